"""`peninsula release`: the student version out to the students, through the exchange or an LMS zip.

It calls nbgrader (its Python API or its command line); nothing here re-implements it. Release
refuses a student version that holds key material and stamps the due date on it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from peninsula.grader.course import Course, PipelineError


def release(course: Course, assignment: str, lms_zip: bool = False) -> Path:
    """Generate the student version, refuse it if anything from the key leaked, then publish it.

    Returns the exchange folder (hub path) or the zip written for an LMS.
    """
    from peninsula.grader.exchange import leaks_in_release, use_kit_exchange

    course.notebooks(assignment)
    api = course.api()
    use_kit_exchange(api)  # the exchange's release runs the same leak check again (the Formgrader's button)
    generated = api.generate_assignment(assignment)
    if not generated["success"]:
        raise PipelineError(f"nbgrader generate_assignment failed:\n{generated.get('log', '')}")
    from peninsula.grader.deadlines import stamp_due_date

    stamp_due_date(course, assignment)  # the due date, at the top of the student's notebook
    released = course.folder("release", assignment)
    leaks = leaks_in_release(course, released)
    if leaks:
        found = "\n".join(leaks)
        raise PipelineError(f"the release contains answer key material; nothing was published:\n{found}")
    if lms_zip:
        target = course.folder("exports", f"{assignment}-release.zip")
        target.parent.mkdir(exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(released.rglob("*")):
                archive.write(path, path.relative_to(released.parent))
        return target
    published = api.release_assignment(assignment)
    if not published["success"]:
        raise PipelineError(f"nbgrader release_assignment failed:\n{published.get('log', '')}")
    config = api.config
    return Path(config.Exchange.root) / config.CourseDirectory.course_id / "outbound" / assignment
