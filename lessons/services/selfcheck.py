"""Writes that touch student records. Keyword-only, typed, atomic."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import SelfCheckAttempt, SelfCheckQuestion, Verdict

from .progress import lesson_progress_record


def selfcheck_reveal(*, user, question: SelfCheckQuestion, answer_text: str) -> SelfCheckAttempt:
    """Record the first reveal of a question; a second reveal keeps the first attempt."""
    existing = SelfCheckAttempt.objects.filter(user=user, question=question).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            attempt = SelfCheckAttempt.objects.create(
                user=user, question=question, answer_text=answer_text, revealed_at=timezone.now()
            )
            lesson_progress_record(user=user, lesson=question.lesson)
            return attempt
    except IntegrityError:  # a double click raced us: the first one wins
        return SelfCheckAttempt.objects.get(user=user, question=question)


def selfcheck_judge(*, user, question: SelfCheckQuestion, verdict: Verdict) -> SelfCheckAttempt:
    """Store the student's own verdict on a revealed question; refused (409) before the reveal."""
    with transaction.atomic():
        attempt = SelfCheckAttempt.objects.select_for_update(of=("self",)).filter(user=user, question=question).first()
        if attempt is None:
            raise ApplicationError("Show the answer before judging yourself.", status=409)
        attempt.verdict = verdict
        attempt.judged_at = timezone.now()
        attempt.save(update_fields=["verdict", "judged_at"])
        lesson_progress_record(user=user, lesson=question.lesson)  # the verdict's time is activity
        return attempt
