"""JupyterHub for one Peninsula course: real unix users, the grader's Formgrader as a hub service.

deploy/hub/hub.sh copies this file into the hub's state folder and writes settings.json beside it
(ports, paths, course id, grader and instructor accounts). Site additions (the authenticator, who
may log in, TLS) go in config.d/*.py in the same folder, read last; see deploy/README.md.
"""

import json
from pathlib import Path

c = get_config()

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
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(BIN / "python"), S["start_singleuser"]]
c.Spawner.environment = {"PENINSULA_LESSONS": S["lessons"], "PENINSULA_COURSE": COURSE}
c.Spawner.default_url = f"/lab/tree/{COURSE}/{S['first_lesson']}"
# Two cores and a lesson that imports altair: allow a slow first start.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

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
