"""The grader's side of the boundary: code that runs only in the instructor's or grader's process.

Nothing here is imported in a student's kernel. It reads the instructor-only answer key of the
course it is run in (`course.Course`), scores answers it reads as data (`autograde`, `scoring`),
and runs student code only inside the bubblewrap sandbox (`sandbox`). The student-safe code is
the rest of the package: texts, codebook, lessons, widgets, charts and `peninsula.answers`.
"""
