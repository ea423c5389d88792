"""Reads about classes for students: the class a join code opens, my classes with my progress."""

from datetime import datetime

from lessons.errors import ApplicationError
from lessons.models import Classroom
from lessons.models.classes import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from lessons.selectors.lesson_progress import progress_for


def normalize_code(code: str) -> str:
    """Codes are read off a board: ignore case, spaces and dashes."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def looks_like_code(code: str) -> bool:
    return len(code) == JOIN_CODE_LENGTH and all(ch in JOIN_CODE_ALPHABET for ch in code)


def classroom_for_code(*, code: str, now: datetime | None = None) -> Classroom:
    """The class a join code opens; refused (404) with the reason, in words a student understands."""
    code = normalize_code(code)
    if not looks_like_code(code):
        raise ApplicationError(
            f"A join code has {JOIN_CODE_LENGTH} letters and digits (no 0, O, 1, I or L). Check it and try again."
        )
    classroom = Classroom.objects.filter(join_code=code).first()
    if classroom is None:
        raise ApplicationError("No class has this code. Check it with your instructor: codes can be reset.", status=404)
    status = classroom.join_status(now)
    if status == "disabled":
        raise ApplicationError(f"Joining {classroom} with a code is turned off. Ask your instructor.")
    if status == "expired":
        raise ApplicationError(f"The code for {classroom} has expired. Ask your instructor for a new one.")
    return classroom


def joined_classes(user, *, today) -> list[Classroom]:
    """The classes ``user`` joined, each assigned lesson with their progress and "behind" (fixed queries)."""
    classrooms = list(Classroom.objects.joined_by(user).with_assignments())
    lessons = {cl.lesson.pk: cl.lesson for classroom in classrooms for cl in classroom.assigned}
    table = progress_for([user], lessons.values())
    for classroom in classrooms:
        for cl in classroom.assigned:
            cl.progress = table.get(user.pk, cl.lesson)
            cl.behind = bool(cl.expected_by and cl.expected_by < today and not cl.progress.completed)
    return classrooms
