"""Classes: create and edit a class, join and leave it, reset its code. Keyword-only, typed, atomic."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import ClassLesson, Classroom, Enrollment, Lesson
from lessons.models.classes import new_join_code
from lessons.selectors.classes import classroom_for_code

CODE_ATTEMPTS = 5
DOUBLE_SUBMIT_WINDOW = timedelta(seconds=30)


@dataclass
class JoinResult:
    classroom: Classroom
    created: bool


def enrollment_join(*, user, code: str, now: datetime | None = None) -> JoinResult:
    """Join the class of ``code``. Joining twice is harmless (one enrollment, unique constraint)."""
    classroom = classroom_for_code(code=code, now=now)
    if classroom.instructors.filter(pk=user.pk).exists():
        raise ApplicationError(f"You teach {classroom}; instructors do not join their own class.")
    with transaction.atomic():
        _, created = Enrollment.objects.get_or_create(classroom=classroom, student=user)
    return JoinResult(classroom=classroom, created=created)


def enrollment_leave(*, user, classroom: Classroom) -> bool:
    """Leave a class. The student's own work on its lessons is kept. False if not a member."""
    with transaction.atomic():
        deleted, _ = Enrollment.objects.filter(classroom=classroom, student=user).delete()
    return bool(deleted)


def classroom_code_reset(*, classroom: Classroom) -> str:
    """A fresh join code; the old one stops working at once."""
    for _ in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                classroom.regenerate_join_code()
            return classroom.join_code
        except IntegrityError:  # 31**7 codes: a clash is very unlikely, but it is settled here
            continue
    raise RuntimeError("Could not find a free join code.")


def classroom_save(
    *,
    user,
    classroom: Classroom | None,
    name: str,
    section: str,
    join_enabled: bool,
    join_expires_at: datetime | None,
    instructors: list,
    lessons: list[tuple[Lesson, date | None]],
) -> Classroom:
    """Create (``classroom=None``) or update a class with its instructors and assigned lessons.

    Unassigning a lesson keeps the students' work; it only leaves the dashboard. A second create of
    the same class by the same instructor within ``DOUBLE_SUBMIT_WINDOW`` (a double click) returns
    the first one: the instructor's row is locked so two such requests cannot both create.
    """
    for _ in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                if classroom is None:
                    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
                    twin = (
                        Classroom.objects.taught_by(user)
                        .filter(name=name, section=section, created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW)
                        .first()
                    )
                    if twin:
                        return twin
                return _save(classroom, name, section, join_enabled, join_expires_at, instructors, lessons)
        except IntegrityError:
            if classroom is not None and classroom.pk:
                raise
            classroom = None  # the new class drew a code that is taken: draw again
    raise RuntimeError("Could not find a free join code.")


def _save(classroom, name, section, join_enabled, join_expires_at, instructors, lessons):
    if classroom is None:
        classroom = Classroom(join_code=new_join_code())
    else:
        classroom = Classroom.objects.select_for_update().get(pk=classroom.pk)
    classroom.name = name
    classroom.section = section
    classroom.join_enabled = join_enabled
    classroom.join_expires_at = join_expires_at
    classroom.save()
    classroom.instructors.set(instructors)
    wanted = {lesson.pk: (position, lesson, expected_by) for position, (lesson, expected_by) in enumerate(lessons, 1)}
    ClassLesson.objects.filter(classroom=classroom).exclude(lesson_id__in=wanted).delete()
    existing = {cl.lesson_id: cl for cl in ClassLesson.objects.filter(classroom=classroom)}
    for lesson_id, (position, lesson, expected_by) in wanted.items():
        cl = existing.get(lesson_id)
        if cl is None:
            ClassLesson.objects.create(classroom=classroom, lesson=lesson, position=position, expected_by=expected_by)
        elif (cl.position, cl.expected_by) != (position, expected_by):
            cl.position, cl.expected_by = position, expected_by
            cl.save(update_fields=["position", "expected_by"])
    return classroom


def end_of_day(day: date | None) -> datetime | None:
    """The moment a code set to work "until" ``day`` stops: midnight after it, in the site's time zone."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()))
