"""`make hub-load`: a deadline rush on a real hub, with figures (run as root).

`hub.sh up` sets up a private hub (its own prefix, ports and accounts, as tests/hub does) with N
real unix users. The grader releases the assignment; then every user, at once, logs in, runs
lesson 1, fetches the assignment, types answers and submits: Locust drives N - B users over HTTP
and the kernel's WebSocket (bench/hubload/rush.py) while Debian's chromium drives B of them
through JupyterLab's own pages. The grader collects twice while submissions still arrive, and
once at the end. Every submission must then be in submitted/ exactly once, holding what that user
typed. Figures go to bench/hub_load.json and a section of bench/results.md; the hub is removed.

    python bench/hub_load.py --users 40 --browsers 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hub"))

from hubkit import ASSIGNMENT, LOGS, Hub, harness, hub_up  # noqa: E402

from peninsula.grader.course import Course  # noqa: E402
from peninsula.grader.key import model_answers  # noqa: E402

KEY = Course(ROOT).key_file  # the key of this repository's course

RUSH = ROOT / "bench" / "hubload" / "rush.py"
LESSON = "peninsula/notebooks/01_start_here.ipynb"
STEPS = ["login", "lesson", "fetch", "type", "submit"]
START_WAIT_MS = 600_000
SECTION = "## Hub load: a deadline rush"  # the section of bench/results.md this script rewrites


@dataclass
class Watch:
    """What happens on the machine during the rush: load and memory peaks, the grader's collects."""

    peak_load: float = 0.0
    peak_used_gib: float = 0.0
    collects: list[dict] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)


def typed_answers(index: int) -> dict[str, str]:
    """What user number `index` types: the key's answer for a number of items that differs by user,
    so that two users' notebooks never look alike."""
    items = list(model_answers(ASSIGNMENT, KEY).items())
    count = (index * 7) % (len(items) + 1)
    return {f"\n{item}:": f"\n{item}: {answer}" for item, answer in items[:count]}  # plain lines


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def watch_machine(watch: Watch, hub: Hub, event_files: list[Path], users: int) -> None:
    """Sample load and memory each second; collect as the grader when a third and two thirds of
    the class have submitted."""
    thresholds = [max(1, users // 3), max(2, 2 * users // 3)]
    while not watch.stop.is_set():
        watch.peak_load = max(watch.peak_load, float(Path("/proc/loadavg").read_text().split()[0]))
        memory = dict(line.split(":") for line in Path("/proc/meminfo").read_text().splitlines())
        used = int(memory["MemTotal"].split()[0]) - int(memory["MemAvailable"].split()[0])
        watch.peak_used_gib = max(watch.peak_used_gib, used / 2**20)
        submitted = sum(e["step"] == "submit" and e["ok"] for f in event_files for e in events(f))
        if thresholds and submitted >= thresholds[0]:
            thresholds.pop(0)
            watch.collects.append(collect(hub, submitted_before=submitted))
        watch.stop.wait(1)


def collect(hub: Hub, submitted_before: int) -> dict:
    started = time.monotonic()
    result = hub.as_user(hub.grader, "peninsula", "collect", ASSIGNMENT, cwd=hub.course_dir, check=False)
    found = re.search(r"Collected (\d+) student", result.stdout)
    return {
        "while_submitted": submitted_before,
        "seconds": round(time.monotonic() - started, 1),
        "collected": int(found.group(1)) if found else None,
        "ok": result.returncode == 0,
        "error": result.stderr[-500:] if result.returncode else "",
    }


def browser_users(hub: Hub, users: list[str], plan: dict, event_file: Path) -> None:
    """The same steps as the Locust users, by clicks in JupyterLab (tests/hub/test_hub.py's helpers)."""
    from playwright.sync_api import expect, sync_playwright
    from test_hub import UI_WAIT, UserServer, assignment_list, log_in, open_fetched_notebook, row, wait_lab

    def record(user: str, step: str, started: float, ok: bool = True, **detail) -> None:
        with event_file.open("a") as file:
            file.write(
                json.dumps(
                    {
                        "user": user,
                        "step": step,
                        "seconds": round(time.monotonic() - started, 3),
                        "ok": ok,
                        "at": time.time(),
                        "browser": True,
                        **detail,
                    }
                )
                + "\n"
            )

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=harness.chromium_or_skip(),
            args=harness.CHROMIUM_FLAGS,
            env={**os.environ, "XDG_CONFIG_HOME": str(event_file.parent / "xdg")},
        )
        for user in users:
            step, started = "login", time.monotonic()
            try:
                page = log_in(chromium, hub, user)
                # a server start in a rush takes minutes, longer than the hub test's UI wait
                page.wait_for_function("window.jupyterapp && jupyterapp.started", timeout=START_WAIT_MS)
                wait_lab(page)
                record(user, step, started)
                step, started = "lesson", time.monotonic()
                tab = harness.LabPage(page, UserServer(hub, user), f"rush-{user}")
                tab.run_all_and_wait()
                tab.assert_no_error_outputs()
                visible = ".jp-NotebookPanel:not(.lm-mod-hidden)"
                page.wait_for_selector(f"{visible} .jupyter-widgets", timeout=UI_WAIT)
                page.wait_for_selector(f"{visible} .vega-embed :is(canvas.marks, svg.marks)", timeout=UI_WAIT)
                record(user, step, started, widgets_drawn=True)
                step, started = "fetch", time.monotonic()
                assignment_list(tab)
                row(page, "released_assignments_list").get_by_role("button", name="Fetch").click()
                fetched = row(page, "fetched_assignments_list")
                expect(fetched).to_be_visible(timeout=UI_WAIT)
                record(user, step, started)
                step, started = "type", time.monotonic()
                open_fetched_notebook(page)
                tab.wait_kernel_ready()
                page.evaluate(
                    """([typed, tail]) => {
                    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
                    const answers = cells.find(
                        c => (c.model.getMetadata("nbgrader") || {}).grade_id === "answers");
                    let source = answers.model.sharedModel.getSource();
                    for (const [blank, answer] of Object.entries(typed))
                        source = source.replace(blank, answer);
                    answers.model.sharedModel.setSource(source + tail);
                }""",
                    [plan["typed"][user], f"\n# typed by {user}, {plan['nonce'][user]}"],
                )
                tab.command("docmanager:save")
                page.wait_for_timeout(1000)
                tab.close_notebook()
                record(user, step, started)
                step, started = "submit", time.monotonic()
                assignment_list(tab)
                row(page, "fetched_assignments_list").get_by_role("button", name="Submit").click()
                submitted = (
                    page.locator("#submitted_assignments_list .list_item").filter(has_text=ASSIGNMENT).first
                )
                expect(submitted).to_be_visible(timeout=UI_WAIT)
                record(user, step, started)
            except Exception as error:
                record(user, step, started, ok=False, error=f"{type(error).__name__}: {error}"[:500])
        chromium.close()


def memory_per_user(users: list[str]) -> list[float]:
    """MiB of resident memory each user's processes hold: the server and the lesson's kernel."""
    sizes = []
    for user in users:
        listed = subprocess.run(
            ["ps", "-o", "rss=", "-u", user], capture_output=True, text=True
        ).stdout.split()
        sizes.append(sum(int(kib) for kib in listed) / 1024)
    return sizes


def account_for_submissions(hub: Hub, plan: dict, submitted_users: list[str]) -> dict:
    """Each submission collected exactly once, holding what its user typed and nobody else's."""
    problems = []
    inbound = hub.exchange / "peninsula" / "inbound"
    for user in plan["users_all"]:
        sent = sorted(inbound.glob(f"{user}+{ASSIGNMENT}+*"))
        folders = sorted((hub.course_dir / "submitted").glob(f"{user}/{ASSIGNMENT}"))
        if user not in submitted_users:
            if sent or folders:
                problems.append(f"{user}: a submission exists though the user's submit failed")
            continue
        if len(sent) != 1:
            problems.append(f"{user}: {len(sent)} submissions in the exchange, expected 1")
        if len(folders) != 1:
            problems.append(f"{user}: not collected")
            continue
        notebook = folders[0] / f"{ASSIGNMENT}.ipynb"
        cells = json.loads(notebook.read_text())["cells"]
        (answers,) = [c for c in cells if (c["metadata"].get("nbgrader") or {}).get("grade_id") == "answers"]
        source = "".join(answers["source"])
        if f"# typed by {user}, {plan['nonce'][user]}" not in source:
            problems.append(f"{user}: the collected notebook is not the one this user typed")
        if any(v in source for k, v in plan["nonce"].items() if k != user):
            problems.append(f"{user}: the collected notebook holds another user's work")
        if not all(typed in source for typed in plan["typed"][user].values()):
            problems.append(f"{user}: an answer the user typed is missing from the collected notebook")
        # collect keeps the time the student's folder claimed beside the time it trusts
        claimed = folders[0] / "claimed_timestamp.txt"
        if sent and (sent[0] / "timestamp.txt").read_text().strip() not in claimed.read_text():
            problems.append(f"{user}: the collected submission is not the one in the exchange")
    return {
        "submitted": len(submitted_users),
        "collected_exactly_once": len(submitted_users) - len(problems),
        "problems": problems,
    }


def rush(hub: Hub, browsers: int, spawn_rate: float, work: Path) -> dict:
    """The whole rush on a hub that is up; returns the figures and the accounting."""
    work.mkdir(parents=True, exist_ok=True)
    hub.grader_runs("peninsula", "release", ASSIGNMENT)
    users = hub.students
    plan = {
        "url": hub.url,
        "password": hub.password,
        "course_id": "peninsula",
        "assignment": ASSIGNMENT,
        "lesson": LESSON,
        "users": users[browsers:],
        "users_all": users,
        "spawn_rate": spawn_rate,
        "timeout": 1500,
        "events": str(work / "events.jsonl"),
        "stats": str(work / "locust-stats.json"),
        "typed": {u: typed_answers(i) for i, u in enumerate(users)},
        "nonce": {u: secrets.token_hex(6) for u in users},
    }
    (work / "plan.json").write_text(json.dumps(plan))
    browser_events = work / "browser-events.jsonl"
    for stale in (Path(plan["events"]), browser_events):
        stale.unlink(missing_ok=True)
    watch = Watch()
    watcher = threading.Thread(
        target=watch_machine, args=(watch, hub, [Path(plan["events"]), browser_events], len(users))
    )
    started = time.monotonic()
    watcher.start()
    driver = subprocess.Popen(
        [sys.executable, str(RUSH), str(work / "plan.json")],
        stdout=(work / "locust.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        # A thread of its own: the caller may already run Playwright's sync API (the test session does),
        # and a second one refuses to start in the same thread.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(browser_users, hub, users[:browsers], plan, browser_events).result()
        driver.wait(timeout=plan["timeout"] + 60)
    finally:
        if driver.poll() is None:
            driver.kill()
        watch.stop.set()
        watcher.join()
    rush_seconds = time.monotonic() - started
    memory = memory_per_user(users)
    watch.collects.append(collect(hub, submitted_before=len(users)))
    everything = events(Path(plan["events"])) + events(browser_events)
    submitted = sorted(e["user"] for e in everything if e["step"] == "submit" and e["ok"])
    failed = [e for e in everything if not e["ok"]]
    steps = {}
    for step in STEPS:
        seconds = sorted(e["seconds"] for e in everything if e["step"] == step and e["ok"])
        if seconds:
            steps[step] = {
                "n": len(seconds),
                "p50_s": round(statistics.median(seconds), 2),
                "p95_s": round(seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))], 2),
                "max_s": round(seconds[-1], 2),
            }
    locust_stats = json.loads(Path(plan["stats"]).read_text()) if Path(plan["stats"]).exists() else {}
    return {
        "users": len(users),
        "browser_users": browsers,
        "spawn_rate_per_s": spawn_rate,
        "rush_seconds": round(rush_seconds, 1),
        "steps": steps,
        "memory_per_user_mib": {"median": round(statistics.median(memory), 1), "max": round(max(memory), 1)},
        "peak_load_1min": watch.peak_load,
        "peak_memory_used_gib": round(watch.peak_used_gib, 2),
        "collects": watch.collects,
        "failures": failed,
        "accounting": account_for_submissions(hub, plan, submitted),
        "locust_requests": locust_stats,
    }


def write_results(figures: dict) -> None:
    (ROOT / "bench" / "hub_load.json").write_text(json.dumps(figures, indent=1) + "\n")
    a, memory = figures["accounting"], figures["memory_per_user_mib"]
    failed = [f"{f['user']} {f['step']}: {f.get('error', '')}" for f in figures["failures"]]
    lines = [
        SECTION,
        "",
        f"`make hub-load` on {figures['date']}: {figures['users']} real unix users on the 2-core machine "
        f"({figures['browser_users']} of them in chromium, the rest driven by Locust over HTTP and "
        "the kernel's "
        f"WebSocket), all starting within {figures['users'] / figures['spawn_rate_per_s']:.0f} s. "
        f"Load average before the rush: {figures['load_before']} (the machine is shared). "
        f"The whole rush took {figures['rush_seconds']} s.",
        "",
        "| step | users | p50 (s) | p95 (s) | max (s) |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {step} | {s['n']} | {s['p50_s']} | {s['p95_s']} | {s['max_s']} |"
            for step, s in figures["steps"].items()
        ],
        "",
        f"- Memory per user (RSS of the user's server and the lesson's kernel): median "
        f"{memory['median']} MiB, largest {memory['max']} MiB.",
        f"- Peak load average (1 min): {figures['peak_load_1min']}; peak memory in use on the machine: "
        f"{figures['peak_memory_used_gib']} GiB.",
        "- Collects: "
        + "; ".join(
            f"{c['collected']} collected in {c['seconds']} s with {c['while_submitted']} submitted"
            for c in figures["collects"]
        )
        + ".",
        f"- Accounted for: {a['collected_exactly_once']} of {a['submitted']} submissions collected exactly "
        f"once, each holding what its user typed; {len(failed)} step(s) failed"
        + (f": {'; '.join(a['problems'] + failed)}" if a["problems"] or failed else "")
        + ".",
        "",
    ]
    results = ROOT / "bench" / "results.md"
    text = results.read_text() if results.exists() else ""
    if SECTION in text:
        before, _, after = text.partition(SECTION)
        rest = after.split("\n## ", 1)
        text = before + "\n".join(lines) + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    results.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--browsers", type=int, default=2, help="users driven in chromium (default 2)")
    parser.add_argument("--spawn-rate", type=float, default=0.2,
                        help="users starting per second (default 0.2: 40 users within 200 s)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("hub_load.py creates unix users and runs deploy/hub/hub.sh: run it as root")
    load_before = float(Path("/proc/loadavg").read_text().split()[0])
    with hub_up(students=args.users, student_prefix="ld") as hub:
        figures = rush(hub, args.browsers, args.spawn_rate, LOGS / f"rush-{hub.tag}")
    figures = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": load_before,
        **figures,
    }
    write_results(figures)
    print(
        json.dumps(
            {k: figures[k] for k in ("steps", "memory_per_user_mib", "peak_load_1min", "accounting")},
            indent=1,
        )
    )
    return 0 if not figures["accounting"]["problems"] and not figures["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
