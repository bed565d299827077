"""The sandbox a student's code runs in while it is graded: a bubblewrap (`bwrap`) kernel.

nbgrader runs each submission in a Jupyter kernel. Here that kernel is started the Jupyter way, by
a kernel provisioner (`BubblewrapProvisioner`, registered under `jupyter_client.kernel_provisioners`)
named in the kit's own kernelspec, `peninsula-sandbox` (`SandboxedKernelManager` finds it). Inside:

- read-only: the system's /usr, the Python environment, the package, and the student-safe texts;
- read-write: a scratch copy of the submission's own folder (what it writes there is thrown away),
  and the kernel's private folder for its connection file and IPC sockets;
- nothing else: not the course folder, the key, the gradebook, the exchange, other students'
  folders or anyone's home. No network (its own network namespace; the kernel talks over IPC
  sockets), no capabilities, a memory limit, a process-count limit, and nothing outlives it
  (its own pid namespace dies with it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.ioloop import AsyncIOLoopKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Int, List, Unicode

import peninsula
from peninsula.grader.course import course_of
from peninsula.paths import TEXTS_ENV, TextsNotFound

KERNEL_NAME = "peninsula-sandbox"
KERNELS = Path(__file__).resolve().parent / "kernels"
#: System files a Python kernel needs; nothing else of /etc (site configs may hold passwords).
ETC_FILES = ("ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf", "mime.types")
PIDS_V1 = Path("/sys/fs/cgroup/pids")
HOME = "/tmp/home"


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot start here; the message says what to install."""


def environment_paths() -> list[Path]:
    """Folders the kernel needs read-only: the venv, the Python it was built from, the package."""
    package_root = Path(peninsula.__file__).resolve().parent.parent  # site-packages, or src/ if editable
    paths = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
        Path(sysconfig.get_paths()["purelib"]).resolve(),
        package_root,
    }
    return sorted(p for p in paths if p.exists() and not _is_under(p, Path("/usr")))


def _is_under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def bwrap_arguments(
    work: Path, runtime: Path, texts: Path | None, read_only: tuple[str, ...] = ()
) -> list[str]:
    """The bwrap command line up to the program: what the kernel sees, in the order bwrap applies it."""
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all", "--cap-drop", "ALL"]
    args += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/lib", "/lib64", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", HOME]  # /tmp before binds in it
    for path in [*map(str, environment_paths()), *read_only]:
        args += ["--ro-bind", path, path]
    if texts is not None:
        args += ["--ro-bind", str(texts), str(texts), "--setenv", TEXTS_ENV, str(texts)]
    args += ["--bind", str(runtime), str(runtime), "--bind", str(runtime / "work"), str(work)]
    for name, value in {"HOME": HOME, "IPYTHONDIR": f"{HOME}/.ipython", "MPLCONFIGDIR": f"{HOME}/.mpl",
                        "TMPDIR": "/tmp", "JUPYTER_RUNTIME_DIR": str(runtime)}.items():
        args += ["--setenv", name, value]
    # With its own pid namespace ipykernel would see parent pid 1 and shut down; bwrap's
    # --die-with-parent stops it instead.
    args += ["--unsetenv", "JPY_PARENT_PID", "--chdir", str(work)]
    return args


class ProcessLimit:
    """At most `limit` processes for one kernel: a pids cgroup where this user may make one (root),
    else RLIMIT_NPROC, which the kernel does not apply to root."""

    def __init__(self, name: str, limit: int) -> None:
        self.limit = limit
        self.group: Path | None = None
        if PIDS_V1.is_dir() and os.access(PIDS_V1, os.W_OK):
            self.group = PIDS_V1 / "peninsula" / name
            self.group.mkdir(parents=True, exist_ok=True)
            (self.group / "pids.max").write_text(str(limit))

    def wrap(self, command: list[str]) -> list[str]:
        if self.group is None:
            return ["prlimit", f"--nproc={self.limit}", "--", *command]
        # The shell joins the group, then becomes the sandbox: every process it starts stays inside.
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.group / "cgroup.procs"), *command]

    def kill_all(self) -> None:
        """Kill whatever the kernel left behind, then remove the group."""
        if self.group is None or not self.group.is_dir():
            return
        for _ in range(50):
            pids = [int(p) for p in (self.group / "cgroup.procs").read_text().split()]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.group.rmdir()


class BubblewrapProvisioner(LocalProvisioner):
    """Starts the kernel inside bwrap, with its own folder for the connection file and IPC sockets
    (so parallel graders never share a socket path)."""

    memory_limit = Int(2 * 1024**3, help="address-space limit for the kernel, in bytes").tag(config=True)
    max_processes = Int(64, help="how many processes the kernel may have at once").tag(config=True)
    texts = Unicode("", help="student-safe texts to show read-only (default: the course's)").tag(config=True)
    extra_read_only = List(Unicode(), help="more folders to show read-only").tag(config=True)

    _runtime: Path | None = None
    _limit: ProcessLimit | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        self._runtime = Path(tempfile.mkdtemp(prefix="peninsula-kernel-"))
        km.transport = "ipc"  # the sandbox has no network, so no TCP
        km.cache_ports = False
        km.connection_file = str(self._runtime / "kernel.json")
        km.ip = str(self._runtime / "kernel-ipc")  # absolute: the kernel and the grader run in other folders
        kwargs = await super().pre_launch(**kwargs)
        work = Path(kwargs.get("cwd") or os.getcwd()).resolve()
        shutil.copytree(work, self._runtime / "work", symlinks=True)
        sandbox = bwrap_arguments(work, self._runtime, self._texts(), tuple(self.extra_read_only))
        self._limit = ProcessLimit(f"{os.getpid()}-{self.kernel_id}", self.max_processes)
        command = ["prlimit", f"--as={self.memory_limit}", "--", *sandbox, "--", *kwargs["cmd"]]
        kwargs["cmd"] = self._limit.wrap(command)
        return kwargs

    def _texts(self) -> Path | None:
        if self.texts:
            return Path(self.texts).resolve()
        try:
            return course_of(self.config).texts.resolve()
        except TextsNotFound:
            return None

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        if self._limit is not None:
            self._limit.kill_all()
        if self._runtime is not None and not restart:
            shutil.rmtree(self._runtime, ignore_errors=True)


class SandboxKernelSpecs(KernelSpecManager):
    """Only the kit's sandboxed kernelspec: a student's notebook cannot choose another kernel."""

    ensure_native_kernel = False

    def _kernel_dirs_default(self) -> list[str]:
        return [str(KERNELS)]


class SandboxedKernelManager(AsyncIOLoopKernelManager):
    """The kernel manager nbgrader's Execute step uses (`c.Execute.kernel_manager_class`)."""

    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return SandboxKernelSpecs(data_dir=self.data_dir)


def preflight() -> None:
    """Raise SandboxUnavailable with what to do if bwrap cannot start a Python here."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "the grading sandbox needs bubblewrap, which is not installed. Install it (Debian/Ubuntu: "
            "`apt-get install bubblewrap`), or grade with --no-sandbox, which lets student code read "
            "and change the course folder."
        )
    with tempfile.TemporaryDirectory(prefix="peninsula-check-") as folder:
        runtime = Path(folder)
        (runtime / "work").mkdir()
        command = [*bwrap_arguments(runtime / "work", runtime, None), "--", sys.executable, "-c", "pass"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap could not start a sandbox here: {result.stderr.strip()[-300:]}. It needs user "
            "namespaces (as a normal user: sysctl kernel.unprivileged_userns_clone=1). Or grade with "
            "--no-sandbox, which lets student code read and change the course folder."
        )
