"""A deadline rush on a JupyterHub, driven by Locust: each simulated student goes through the
hub the way JupyterLab in a browser does, once, and stops.

Run by bench/hub_load.py in a process of its own (Locust patches the standard library with gevent
on import): `python bench/hubload/rush.py PLAN.json`. The plan names the hub, the shared password,
the users and what each types; every finished step is appended to the plan's `events` file as one
JSON line, which the caller reads while the rush is on (it collects when a share has submitted).

Like hubtraf's simulated user: log in through the form, start the server and follow the hub's
redirects until JupyterLab answers, start a kernel, execute code over the kernel's WebSocket; then
the nbgrader extension's own calls (GET /assignments, POST /assignments/fetch and /submit) and a
save through the contents API, as the Assignment List and the notebook's Save do.
"""

from __future__ import annotations

import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import ClassVar

import gevent
import websocket
from locust import HttpUser, constant, events, task
from locust.env import Environment

PLAN = json.loads(Path(sys.argv[1]).read_text()) if __name__ == "__main__" else {}
STEP_TIMEOUT = 600  # s: a server start or a lesson run under a rush on two cores


class StepFailed(Exception):
    pass


def record(user: str, step: str, started: float, ok: bool = True, **detail) -> None:
    """One line in the events file, and the step in Locust's own statistics."""
    seconds = time.monotonic() - started
    with open(PLAN["events"], "a", encoding="utf-8") as file:
        file.write(
            json.dumps(
                {
                    "user": user,
                    "step": step,
                    "seconds": round(seconds, 3),
                    "ok": ok,
                    "at": time.time(),
                    **detail,
                }
            )
            + "\n"
        )
    events.request.fire(
        request_type="STEP",
        name=step,
        response_time=seconds * 1000,
        response_length=0,
        exception=None if ok else StepFailed(detail.get("error", step)),
        context={},
    )


class Student(HttpUser):
    wait_time = constant(0)
    names: ClassVar[list[str]] = []  # filled from the plan; each simulated user takes the next

    def on_start(self) -> None:
        self.user = Student.names.pop(0)
        self.base = f"/user/{self.user}"

    @task
    def deadline(self) -> None:
        step, started = "login", time.monotonic()
        try:
            self.log_in()
            record(self.user, step, started)
            step, started = "lesson", time.monotonic()
            record(self.user, step, started, **self.run_lesson())
            step, started = "fetch", time.monotonic()
            self.fetch()
            record(self.user, step, started)
            step, started = "type", time.monotonic()
            self.type_answers()
            record(self.user, step, started)
            step, started = "submit", time.monotonic()
            record(self.user, step, started, **self.submit())
        except Exception as error:  # the step's failure is a figure, not a crash of the rush
            record(self.user, step, started, ok=False, error=f"{type(error).__name__}: {error}"[:500])
        # One pass per student. Locust replaces a user that stops, so this one idles until the rush ends.
        gevent.sleep(PLAN["timeout"])

    # ------------------------------------------------------------------ the hub

    def log_in(self) -> None:
        form = self.client.get("/hub/login", name="/hub/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form.text)
        data = {"username": self.user, "password": PLAN["password"], "_xsrf": xsrf.group(1) if xsrf else ""}
        self.client.post("/hub/login", data=data, name="/hub/login [POST]")  # the hub starts the server
        deadline = time.monotonic() + STEP_TIMEOUT
        while True:  # the spawn-pending page until the server answers, then its OAuth round trip
            page = self.client.get(f"{self.base}/lab", name="/user/[name]/lab")
            if page.ok and page.url.rstrip("/").endswith(f"{self.base}/lab"):
                return
            if time.monotonic() > deadline:
                raise StepFailed(f"JupyterLab did not answer within {STEP_TIMEOUT} s (last: {page.url})")
            gevent.sleep(1)

    def api(self, method: str, path: str, name: str, **kwargs):
        xsrf = self.client.cookies.get("_xsrf", path=f"{self.base}/") or self.client.cookies.get("_xsrf", "")
        headers = {"X-XSRFToken": xsrf, **kwargs.pop("headers", {})}
        response = self.client.request(method, f"{self.base}{path}", name=name, headers=headers, **kwargs)
        if not response.ok:
            raise StepFailed(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response.json() if response.content else None

    # ------------------------------------------------------------------ lesson 1, over the kernel's WebSocket

    def run_lesson(self) -> dict:
        path = PLAN["lesson"]
        notebook = self.api("GET", f"/api/contents/{path}?content=1", "/api/contents [lesson]")["content"]
        session = self.api(
            "POST",
            "/api/sessions",
            "/api/sessions",
            json={"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        )
        kernel = session["kernel"]["id"]
        url = (
            self.host.replace("http", "ws", 1) + f"{self.base}/api/kernels/{kernel}/channels"
            f"?session_id={uuid.uuid4().hex}"
        )
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.client.cookies)
        socket = websocket.create_connection(url, header=[f"Cookie: {cookie}"], timeout=STEP_TIMEOUT)
        outputs: list[dict] = []
        try:
            for cell in notebook["cells"]:
                if cell["cell_type"] == "code":
                    outputs += execute(socket, self.user, cell["source"])
        finally:
            socket.close()  # the kernel keeps running, as for a student who leaves the lesson open
        errors = [o for o in outputs if o["msg_type"] == "error"]
        texts = "".join(json.dumps(o["content"]) for o in outputs)
        widgets = sum(
            "application/vnd.jupyter.widget-view+json" in o["content"].get("data", {}) for o in outputs
        )
        charts = sum(any("vegalite" in k for k in o["content"].get("data", {})) for o in outputs)
        if errors:
            raise StepFailed(
                f"lesson 1 raised: {errors[0]['content'].get('ename')}: {errors[0]['content'].get('evalue')}"
            )
        if "T1" not in texts or not widgets:
            raise StepFailed(f"lesson 1 showed no text paragraphs or no widgets ({widgets} widgets)")
        return {"widgets": widgets, "charts": charts}

    # ------------------------------------------------------------------ the Assignment List's calls

    def fetch(self) -> None:
        course, assignment = PLAN["course_id"], PLAN["assignment"]
        self.api("GET", "/nbgrader_version?version=0.9.6", "/nbgrader_version")
        listed = self.api("GET", f"/assignments?course_id={course}", "/assignments")
        if not any(a.get("assignment_id") == assignment for a in listed.get("value", [])):
            raise StepFailed(f"{assignment} is not in the Assignment List: {str(listed)[:300]}")
        body = {"course_id": course, "assignment_id": assignment}
        fetched = self.api("POST", "/assignments/fetch", "/assignments/fetch", data=json.dumps(body))
        if not any(a.get("status") == "fetched" for a in fetched.get("value", [])):
            raise StepFailed(f"fetch did not fetch: {str(fetched)[:300]}")

    def type_answers(self) -> None:
        """Open the fetched notebook, replace the blank answers, and save it (JupyterLab's Save)."""
        assignment = PLAN["assignment"]
        path = f"{assignment}/{assignment}.ipynb"
        model = self.api("GET", f"/api/contents/{path}?content=1&type=notebook", "/api/contents [assignment]")
        notebook = model["content"]
        (answers,) = [
            c for c in notebook["cells"] if (c["metadata"].get("nbgrader") or {}).get("grade_id") == "answers"
        ]
        source = answers["source"]
        for blank, typed in PLAN["typed"][self.user].items():
            source = source.replace(blank, typed)
        answers["source"] = source + f"\n# typed by {self.user}, {PLAN['nonce'][self.user]}"
        self.api(
            "PUT",
            f"/api/contents/{path}",
            "/api/contents [save]",
            json={"type": "notebook", "format": "json", "content": notebook},
        )

    def submit(self) -> dict:
        body = {"course_id": PLAN["course_id"], "assignment_id": PLAN["assignment"]}
        result = self.api("POST", "/assignments/submit", "/assignments/submit", data=json.dumps(body))
        if result.get("success") is False:
            raise StepFailed(f"submit failed: {str(result.get('value'))[:300]}")
        stamps = [
            n.get("timestamp")
            for a in result.get("value", [])
            if a.get("status") == "submitted"
            for n in a.get("submissions", [a])
        ]
        return {"timestamps": [s for s in stamps if s]}


def execute(socket, user: str, code: str) -> list[dict]:
    """Execute one cell on the kernel (Jupyter's messaging protocol, JSON over the WebSocket) and
    return its IOPub outputs."""
    msg_id = uuid.uuid4().hex
    socket.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": user,
                    "session": uuid.uuid4().hex,
                    "msg_type": "execute_request",
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "buffers": [],
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
            }
        )
    )
    outputs, replied, idle = [], False, False
    while not (replied and idle):
        message = json.loads(socket.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "execute_reply":
            replied = True
        elif kind == "status":
            idle = message["content"]["execution_state"] == "idle"
        elif kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append({"msg_type": kind, "content": message["content"]})
    return outputs


def main() -> int:
    Student.names = list(PLAN["users"])
    Student.host = PLAN["url"]
    environment = Environment(user_classes=[Student], events=events)
    runner = environment.create_local_runner()
    runner.start(len(Student.names), spawn_rate=PLAN["spawn_rate"])
    deadline = time.monotonic() + PLAN["timeout"]
    done = 0
    while time.monotonic() < deadline:  # bounded: every user stops after one pass, or the time is up
        gevent.sleep(1)
        lines = Path(PLAN["events"]).read_text().splitlines() if Path(PLAN["events"]).exists() else []
        done = sum(1 for line in lines if (e := json.loads(line))["step"] == "submit" or not e["ok"])
        if done >= len(PLAN["users"]):
            break
    runner.quit()
    stats = {
        f"{entry.method} {entry.name}": {
            "count": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
        }
        for entry in environment.stats.entries.values()
    }
    Path(PLAN["stats"]).write_text(json.dumps(stats, indent=1))
    return 0 if done >= len(PLAN["users"]) else 1


if __name__ == "__main__":
    sys.exit(main())
