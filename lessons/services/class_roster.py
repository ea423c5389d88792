"""An instructor's changes to a class's students: remove one, email those who are behind."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from lessons.classes_dashboard import class_dashboard
from lessons.models import Classroom, Enrollment

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
    already_sent_at: datetime | None = None


def behind_reminders_send(*, classroom: Classroom, sender, now: datetime, class_url: str) -> ReminderResult:
    """Email each student who is behind on an expected-by date which lessons to finish.

    One send per class every ten minutes: the class row is locked and stamped, so a double click or two
    instructors pressing at once send the mails once.
    """
    with transaction.atomic():
        locked = Classroom.objects.select_for_update().get(pk=classroom.pk)
        if locked.behind_reminded_at and now - locked.behind_reminded_at < REMINDER_COOLDOWN:
            return ReminderResult(already_sent_at=locked.behind_reminded_at)
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
