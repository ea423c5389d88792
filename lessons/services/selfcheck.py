"""Writes that touch student records. Keyword-only, typed, atomic."""

from contextlib import suppress
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.errors import ApplicationError
from lessons.models import CardState, FlashcardReveal, Rating, SelfCheckAttempt, SelfCheckQuestion, Verdict

from .progress import lesson_progress_record
from .review import MAX_DURATION_MS, item_rate

# A self-check verdict as an FSRS rating. "Got it" is a successful recall: Good. "Partly" is a recall that
# succeeded with effort or with gaps, which is what FSRS's Hard means (a pass that grows the interval
# less), not a lapse. "Missed" is a failed recall, a lapse: Again. Nothing maps to Easy: a student's own
# "Got it" does not tell an effortless recall from an ordinary one.
VERDICT_RATING = {Verdict.GOT_IT: Rating.GOOD, Verdict.PARTLY: Rating.HARD, Verdict.MISSED: Rating.AGAIN}

NOT_IN_REVIEW = "This question is not in your reviews yet: answer it on its lesson page first."


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
    """Store the student's own verdict on a revealed question; refused (409) before the reveal.

    The first verdict is the question's first review: it enters the student's reviews, scheduled by FSRS
    (``VERDICT_RATING``). A later verdict on the practice page (a change of mind, a retry) is practice: logged,
    the schedule unchanged.
    """
    with transaction.atomic():
        attempt = SelfCheckAttempt.objects.select_for_update(of=("self",)).filter(user=user, question=question).first()
        if attempt is None:
            raise ApplicationError("Show the answer before judging yourself.", status=409)
        attempt.verdict = verdict
        attempt.judged_at = timezone.now()
        attempt.save(update_fields=["verdict", "judged_at"])
        with suppress(ApplicationError):  # a double click's other half scheduled it first: the verdict is saved
            item_rate(
                user=user,
                item=question,
                rating=VERDICT_RATING[Verdict(verdict)],
                version=None,
                reviewed_at=attempt.judged_at,
                revealed_at=attempt.revealed_at,
                first_try=True,
            )
        lesson_progress_record(user=user, lesson=question.lesson)  # the verdict's time is activity
        return attempt


# ---------------------------------------------------------------- in /review/


def question_review_reveal(
    *, user, question: SelfCheckQuestion, answer_text: str, shown_at: datetime | None = None
) -> FlashcardReveal:
    """ "Show answer" on a question in /review/: keep what the student typed and when. Refused before its
    first try (it is not a review item yet)."""
    if not CardState.objects.filter(user=user, question=question).exists():
        raise ApplicationError(NOT_IN_REVIEW, status=409)
    now = timezone.now()
    if shown_at is None or not (now - timedelta(milliseconds=MAX_DURATION_MS) <= shown_at <= now):
        shown_at = now
    reveal = FlashcardReveal(user=user, question=question, revealed_at=now, shown_at=shown_at, answer_text=answer_text)
    FlashcardReveal.objects.bulk_create(
        [reveal],
        update_conflicts=True,
        unique_fields=["user", "question"],
        update_fields=["revealed_at", "shown_at", "answer_text"],
    )
    return reveal


def question_review_rate(*, user, question: SelfCheckQuestion, verdict: Verdict, version: int):
    """ "Got it / Partly / Missed" on a question in /review/: FSRS schedules it (``VERDICT_RATING``)."""
    # Only /review/ posts here: an item brought forward for a date that matters is reviewed (exam_plan).
    return item_rate(user=user, item=question, rating=VERDICT_RATING[Verdict(verdict)], version=version, advance=True)
