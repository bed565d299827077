"""JupyterHub for one Peninsula course: real unix users, the grader's Formgrader as a hub service.

deploy/hub/hub.sh copies this file into the hub's state folder and writes settings.json beside it
(ports, paths, course id, grader and instructor accounts). Site additions (the authenticator, who
may log in, TLS) go in config.d/*.py in the same folder, read last; see deploy/README.md.
"""

import contextlib
import json
import os
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Integer

c = get_config()
CGROUPS = Path("/sys/fs/cgroup")


class LimitedSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with its mem_limit, cpu_limit and a process limit enforced: each user's
    server starts inside a cgroup of its own (v1 or v2), under the hub's own cgroup, and every
    kernel it starts stays there. LocalProcessSpawner alone only passes the limits on as
    environment variables. Where the hub may not create cgroups, the server starts without them
    and the hub's log says so."""

    pids_limit = Integer(256, config=True, help="the most processes and threads one user may run")

    def limit_files(self) -> dict[Path, dict[str, str]]:
        """{cgroup folder: {file: value}} for this user, by the hierarchy the machine mounts."""
        group = f"peninsula-{COURSE}/{self.user.name}"
        memory = str(self.mem_limit) if self.mem_limit else None
        quota = int(self.cpu_limit * 100_000) if self.cpu_limit else None
        mine = {}  # controller -> the hub's own cgroup in it ("" names the v2 tree)
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            mine.update(dict.fromkeys(controllers.split(","), path.strip("/")))
        if (CGROUPS / "cgroup.controllers").exists():  # v2: one tree
            folder = CGROUPS / mine.get("", "") / group
            values = {"memory.max": memory, "cpu.max": f"{quota} 100000" if quota else None,
                      "pids.max": str(self.pids_limit)}
            return {folder: {k: v for k, v in values.items() if v}}
        wanted = {"memory": {"memory.limit_in_bytes": memory},
                  "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": str(quota) if quota else None},
                  "pids": {"pids.max": str(self.pids_limit)}}
        return {CGROUPS / name / mine.get(name, "") / group: {k: v for k, v in files.items() if v}
                for name, files in wanted.items() if (CGROUPS / name / "cgroup.procs").exists()}

    def make_cgroups(self) -> list[Path]:
        made = []
        try:
            for folder, files in self.limit_files().items():
                # Recorded in hub.sh's manifest for `down` to remove: the hub leaves servers to die
                # with it rather than stopping them, so stop() below does not run then.
                for new in [f for f in (folder.parent, folder) if not f.exists()]:
                    new.mkdir()
                    with (Path(S["env"]).parent / "manifest").open("a") as manifest:
                        manifest.write(f"dir {new}\n")
                if (CGROUPS / "cgroup.controllers").exists():
                    (folder.parent / "cgroup.subtree_control").write_text("+memory +cpu +pids")
                for name, value in files.items():
                    (folder / name).write_text(value)
                made.append(folder)
        except OSError as error:
            self.log.warning("No cgroup for %s (%s): memory and CPU limits are NOT enforced", self.user.name,
                             error)
            return []
        return made

    def make_preexec_fn(self, name):
        switch_user = super().make_preexec_fn(name)
        folders = self.make_cgroups()

        def join_cgroups_then_switch_user():  # in the child, still root, before it becomes the user
            for folder in folders:
                with open(folder / "cgroup.procs", "w") as procs:
                    procs.write(str(os.getpid()))
            switch_user()

        return join_cgroups_then_switch_user

    async def stop(self, now=False):
        await super().stop(now=now)
        for folder in self.limit_files():
            with contextlib.suppress(OSError):  # fails while a process lingers; the next start reuses it
                folder.rmdir()

HERE = Path(__file__).resolve().parent
S = json.loads((HERE / "settings.json").read_text())
BIN = Path(S["env"]) / "bin"
COURSE = S["course_id"]

# The proxy faces the users; the hub's own API and the proxy's API stay on loopback.
c.JupyterHub.bind_url = f"http://{S['ip']}:{S['port']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{S['hub_api_port']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{S['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = [S["proxy"]]
c.ConfigurableHTTPProxy.pid_file = str(HERE / "jupyterhub-proxy.pid")
c.JupyterHub.pid_file = str(HERE / "jupyterhub.pid")
c.JupyterHub.db_url = f"sqlite:///{HERE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(HERE / "jupyterhub_cookie_secret")

# Each user's server runs as their own unix account (the default LocalProcessSpawner), starting
# in their home with their copy of the lessons; the first lesson opens on login.
c.JupyterHub.spawner_class = LimitedSpawner
c.Spawner.cmd = [str(BIN / "python"), S["start_singleuser"]]
c.Spawner.environment = {"PENINSULA_LESSONS": S["lessons"], "PENINSULA_COURSE": COURSE}
c.Spawner.default_url = f"/lab/tree/{COURSE}/{S['first_lesson']}"
# Each user's server and kernels together: at most this much memory and CPU (LimitedSpawner puts
# them in a cgroup of their own; a site may change them in config.d). deploy/README.md sizes them.
c.Spawner.mem_limit = "1G"
c.Spawner.cpu_limit = 1.0
c.LimitedSpawner.pids_limit = 256
# Two cores and a lesson that imports altair: allow a slow first start. In a deadline rush (40
# students within a minute, bench/hub_load.py) 39 servers took longer than 120 s and were given up.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300

# The course service: the grader account's own server, started and stopped by the hub, in the
# course folder, opening on the Formgrader. Only the formgrade group may reach it.
c.JupyterHub.services = [
    {
        "name": COURSE,
        "url": f"http://127.0.0.1:{S['service_port']}",
        "command": [str(BIN / "jupyterhub-singleuser")],
        "user": S["grader"],
        "cwd": S["course_dir"],
        "environment": {"JUPYTERHUB_DEFAULT_URL": "/formgrader"},
        "oauth_no_confirm": True,
    }
]
# nbgrader looks for the group "formgrade-<course>" to list the course for its instructors.
c.JupyterHub.load_groups = {f"formgrade-{COURSE}": {"users": S["instructors"]}}
c.JupyterHub.load_roles = [
    {
        "name": f"formgrade-{COURSE}",
        "groups": [f"formgrade-{COURSE}"],
        "scopes": [f"access:services!service={COURSE}", "list:services", f"read:services!service={COURSE}"],
    }
]

for extra in sorted((HERE / "config.d").glob("*.py")):
    load_subconfig(str(extra))
