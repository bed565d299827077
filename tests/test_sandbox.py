"""The grading sandbox on its own: a real kernel started by the kit's provisioner under real bwrap."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from peninsula.grader.sandbox import KERNEL_NAME, SandboxKernelSpecs, preflight

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sandboxed")
    (root / "course").mkdir()
    (root / "course" / "answer_key.yaml").write_text("recommendations: []\n")
    (root / "gradebook.db").write_text("")
    (root / "source_texts").symlink_to(ROOT / "source_texts")
    (root / "autograded" / "me" / "a1").mkdir(parents=True)
    (root / "autograded" / "other" / "a1").mkdir(parents=True)
    return root


@pytest.fixture(scope="module")
def kernel(course):
    preflight()
    manager = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=SandboxKernelSpecs())
    manager.start_kernel(cwd=str(course / "autograded" / "me" / "a1"))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code: str) -> str:
    """What the kernel prints for `code`."""
    printed = []
    reply = client.execute_interactive(code, output_hook=lambda m: printed.append(m["content"].get("text", "")),
                                       timeout=60)  # fmt: skip
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def test_the_course_folder_key_and_gradebook_are_not_there(kernel, course):
    code = f"""
import os
for path in ["{course}/course/answer_key.yaml", "{course}/gradebook.db", "{course}/autograded/other", "/root"]:
    print(path, os.path.exists(path))
print(sorted(os.listdir("{course}/autograded")))
"""
    out = run(kernel, code)
    assert f"{course}/course/answer_key.yaml False" in out and f"{course}/gradebook.db False" in out
    assert f"{course}/autograded/other False" in out and "['me']" in out


def test_only_the_scratch_copy_is_writable(kernel, course):
    out = run(
        kernel,
        f"""
import os, sys
for path in ["{course}/planted.txt", sys.prefix.rstrip("/") + "/planted.txt", "/usr/planted.txt", "here.txt"]:
    try:
        open(path, "w").write("x")
        print(path, "written")
    except OSError as error:
        print(path, type(error).__name__)
""",
    )
    assert (
        "here.txt written" in out and "/usr/planted.txt OSError" in out and "venv/planted.txt OSError" in out
    )
    # A write under the course lands in the sandbox's own /tmp or scratch copy, never in the real folder.
    assert not (course / "planted.txt").exists()
    assert not (course / "autograded" / "me" / "a1" / "here.txt").exists()


def test_no_network_and_the_texts_are_there(kernel):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        out = run(
            kernel,
            f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3)
    print("connected")
except OSError as error:
    print("refused", type(error).__name__)
from peninsula.texts import load_corpus
print(len(list(load_corpus())), "texts")
""",
        )
    assert "refused" in out and "2 texts" in out


def test_process_and_memory_limits(kernel):
    out = run(
        kernel,
        """
import subprocess
kids = []
try:
    for _ in range(200):
        kids.append(subprocess.Popen(["sleep", "20"]))
except OSError as error:
    print("stopped at", len(kids), type(error).__name__)
for kid in kids:
    kid.kill()
try:
    hog = bytearray(3 * 1024**3)
except MemoryError:
    print("MemoryError")
""",
    )
    assert "stopped at" in out and "MemoryError" in out
