"""Classes: create and edit a class, join and leave it, reset its code. Keyword-only, typed, atomic."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import ClassLesson, Classroom, Enrollment, Lesson
from lessons.models.classes import new_join_code
from lessons.selectors.class_dashboard import class_dashboard
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
                    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
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


# ---------------------------------------------------------------- the instructor's changes to the students


REMINDER_COOLDOWN = timedelta(minutes=10)


def enrollment_remove(*, classroom: Classroom, student) -> bool:
    """Take a student out of the class. Their own work is kept (as when they leave). False if not in it."""
    with transaction.atomic():
        deleted, _ = Enrollment.objects.filter(classroom=classroom, student=student).delete()
    return bool(deleted)


@dataclass
class ReminderResult:
    sent: int = 0
    without_email: int = 0


def behind_reminders_send(*, classroom: Classroom, sender, now: datetime, class_url: str) -> ReminderResult:
    """Email each student who is behind on an expected-by date which lessons to finish.

    One send per class every ten minutes: the class row is locked and stamped, so a double click or two
    instructors pressing at once send the mails once.
    """
    with transaction.atomic():
        locked = Classroom.objects.select_for_update().get(pk=classroom.pk)
        if locked.behind_reminded_at and now - locked.behind_reminded_at < REMINDER_COOLDOWN:
            when = timezone.localtime(locked.behind_reminded_at)
            raise ApplicationError(
                f"Reminders were already sent at {when:%H:%M}; wait ten minutes to send them again.", status=409
            )
        board = class_dashboard(locked, now=now)
        messages, result = [], ReminderResult()
        for row in board.rows:
            if not row.behind:
                continue
            if not row.student.email:
                result.without_email += 1
                continue
            messages.append(_reminder(locked, row, sender=sender, class_url=class_url))
        locked.behind_reminded_at = now
        locked.save(update_fields=["behind_reminded_at"])
        # Sent inside the transaction: if the mail server fails, the stamp is rolled back and it can be retried.
        if messages:
            result.sent = get_connection().send_messages(messages) or 0
    return result


def _reminder(classroom, row, *, sender, class_url):
    name = row.student.get_full_name() or row.student.username
    teacher = sender.get_full_name() or sender.username
    lines = [f"Hello {name},", "", f"In {classroom}, these lessons were expected by now and are not finished yet:", ""]
    for cell in row.behind:
        lesson = cell.class_lesson.lesson
        lines.append(
            f"- {lesson.title} (expected by {cell.class_lesson.expected_by:%d %b %Y}; you are at {cell.progress.percent}%)"
        )
    lines += ["", f"Pick up where you left off: {class_url}", "", f"{teacher}, via Quizsite"]
    return EmailMessage(
        subject=f"{classroom}: lessons to finish",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.student.email],
        reply_to=[sender.email] if sender.email else None,
    )
