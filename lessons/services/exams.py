"""A student's exam dates: set (one per course) and remove. Keyword-only, atomic."""

from datetime import date

from django.db import transaction

from lessons.errors import ApplicationError
from lessons.models import Course, StudentExam


def exam_set(*, user, course: Course, day: date, today: date) -> StudentExam:
    """Set (or move) the student's exam date for ``course``; a date not after ``today`` is refused."""
    if day <= today:
        raise ApplicationError("Choose a date after today: a plan needs at least one day before it.")
    with transaction.atomic():
        exam, _ = StudentExam.objects.update_or_create(user=user, course=course, defaults={"date": day})
    return exam


def exam_delete(*, user, exam_id: int) -> None:
    """Remove one of the student's own exam dates (another student's does not exist for them)."""
    with transaction.atomic():
        deleted, _ = StudentExam.objects.filter(user=user, pk=exam_id).delete()
    if not deleted:
        raise ApplicationError("There is no such exam date of yours.", status=404)
