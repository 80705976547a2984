"""The course: course.yaml and each exercise.yaml, read into a typed model.

Changes when the course format changes (a new key, a new rule). Errors name the file, the
line and the field (:mod:`grader.course.yamlio` keeps the line marks); what a stub is, as
the published form of an exercise file, lives in :mod:`grader.course.stubs`.
"""

from grader.course.model import (
    COURSE_FILE,
    DIFFICULTIES,
    EXERCISE_FILE,
    Course,
    Exercise,
    Limits,
    NoSuchExercise,
    find_course_root,
    load_course,
)

__all__ = ["COURSE_FILE", "DIFFICULTIES", "EXERCISE_FILE", "Course", "Exercise", "Limits", "NoSuchExercise", "find_course_root", "load_course"]
