"""Flashcard reviews: reveal, rate (scheduled by FSRS), undo. Keyword-only, typed, atomic."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons import scheduling
from lessons.errors import ApplicationError
from lessons.models import CardState, Flashcard, FlashcardReveal, Rating, ReviewLog, StudentSettings
from lessons.selectors import exam_plan
from lessons.services.progress import lesson_progress_record

# Anki caps the time it records for one answer (60 s by default) so a card left open over lunch
# does not skew the statistics; we keep more but still cap it.
MAX_DURATION_MS = 10 * 60 * 1000


STALE_MESSAGE = (
    "This card was already rated (a double click, a retried request or another tab). Your first rating counts."
)


EXPIRED_MESSAGE = "That answer was shown too long ago (or yesterday). Show it again to rate the card."


def review_reveal(
    *, user, card: Flashcard, revealed_at: datetime | None = None, shown_at: datetime | None = None
) -> FlashcardReveal:
    """Record that the student turned the card over (and when its front was shown). One upsert.

    ``shown_at`` comes from the page (when it drew the front); it is only trusted within
    ``MAX_DURATION_MS`` before the reveal, else the front counts as shown at the reveal.
    """
    revealed_at = revealed_at or timezone.now()
    if shown_at is None or not (revealed_at - timedelta(milliseconds=MAX_DURATION_MS) <= shown_at <= revealed_at):
        shown_at = revealed_at
    reveal = FlashcardReveal(user=user, card=card, revealed_at=revealed_at, shown_at=shown_at)
    FlashcardReveal.objects.bulk_create(
        [reveal], update_conflicts=True, unique_fields=["user", "card"], update_fields=["revealed_at", "shown_at"]
    )
    return reveal


def review_record(
    *,
    user,
    card: Flashcard,
    rating: Rating,
    version: int,
    reviewed_at: datetime | None = None,
    practice: bool = False,
    advance: bool = False,
    study_settings: StudentSettings | None = None,
) -> tuple[CardState | None, ReviewLog]:
    """Schedule the card with FSRS and log the rating; refuse a stale version or an unrevealed card.

    A rating of a card that is not due (see ``scheduling.is_due``), or any rating with ``practice=True``
    (a shuffle or missed-only mode), is practice: logged with ``practice=True`` and the card's schedule
    left exactly as it was. With ``advance`` (a rating in /review/), a card brought forward today for a date
    that matters (``lessons.selectors.exam_plan``) is reviewed early, as Anki's "Advance" does: a real review,
    FSRS counting the shorter elapsed time. The CardState row is locked while it is updated; two first ratings of a new
    card race on the unique (user, card) constraint and the loser is refused like any stale form.
    """
    reviewed_at = reviewed_at or timezone.now()
    study_settings = study_settings or StudentSettings.objects.for_user(user)
    clock = scheduling.StudyClock.of(study_settings)
    with transaction.atomic():
        state = CardState.objects.select_for_update().filter(user=user, card=card).first()
        if (state.version if state else 0) != version:
            raise ApplicationError(STALE_MESSAGE, status=409)
        reveal = FlashcardReveal.objects.filter(user=user, card=card).first()
        last_review = state.last_review if state else None
        if reveal is None or (last_review and reveal.revealed_at <= last_review):
            raise ApplicationError("Show the answer before rating the card.", status=409)
        if not scheduling.reveal_counts(reveal.revealed_at, last_review=last_review, now=reviewed_at, clock=clock):
            raise ApplicationError(EXPIRED_MESSAGE, status=409)
        memory = scheduling.MemoryState.of(state)
        learn_ahead = timedelta(minutes=study_settings.learn_ahead_minutes)
        if memory.is_new and practice:
            raise ApplicationError("A new card is learnt in a review first; practise it once it is scheduled.", 409)
        due = scheduling.is_due(memory, now=reveal.revealed_at, clock=clock, learn_ahead=learn_ahead) or (
            advance
            and exam_plan.is_advanced(
                user, state, lesson_id=card.lesson_id, now=reveal.revealed_at, study_settings=study_settings
            )
        )
        if practice or not due:
            return state, _practice_log(user=user, card=card, rating=rating, state=state, reveal=reveal, at=reviewed_at)
        # As of the reveal, when the buttons showed their intervals; the interval runs from now.
        outcome = scheduling.review(
            user_id=user.pk,
            card_id=card.pk,
            memory=memory,
            rating=rating,
            now=reveal.revealed_at,
            answered_at=reviewed_at,
            desired_retention=study_settings.desired_retention,
            parameters=study_settings.fsrs_parameters,
            clock=clock,
        )
        after = outcome.after
        fields = {
            "state": after.state,
            "step": after.step,
            "stability": after.stability,
            "difficulty": after.difficulty,
            "due": after.due,
            "last_review": after.last_review,
            "reps": after.reps,
            "lapses": after.lapses,
        }
        if state is None:
            try:
                with transaction.atomic():
                    state = CardState.objects.create(user=user, card=card, version=1, **fields)
            except IntegrityError as error:  # another request rated this new card first
                raise ApplicationError(STALE_MESSAGE, status=409) from error
        else:
            for name, value in fields.items():
                setattr(state, name, value)
            state.version += 1
            state.save()
        log = ReviewLog.objects.create(
            user=user,
            card=card,
            rating=int(rating),
            reviewed_at=reviewed_at,
            duration_ms=_duration_ms(reveal, reviewed_at),
            revealed_at=reveal.revealed_at,
            retrievability_before=None if memory.is_new else outcome.retrievability_before,
            state_before=memory.state,
            step_before=memory.step,
            stability_before=memory.stability,
            difficulty_before=memory.difficulty,
            due_before=memory.due,
            last_review_before=memory.last_review,
            reps_before=memory.reps,
            lapses_before=memory.lapses,
            state_after=after.state,
            stability_after=after.stability,
            difficulty_after=after.difficulty,
            due_after=after.due,
        )
        lesson_progress_record(user=user, lesson=card.lesson)  # a first rating may finish the flashcards
    return state, log


def _duration_ms(reveal, reviewed_at):
    """From the front shown to the rating (Anki's answer time), capped."""
    duration = (reviewed_at - (reveal.shown_at or reveal.revealed_at)).total_seconds() * 1000
    return max(0, min(round(duration), MAX_DURATION_MS))


def _practice_log(*, user, card, rating, state, reveal, at) -> ReviewLog:
    """Log a practice rating: the card's state before and after are the same, its schedule untouched.

    The reveal is used up (deleted): the card turns back to its front, and a second click is refused.
    """
    FlashcardReveal.objects.filter(pk=reveal.pk).delete()
    return ReviewLog.objects.create(
        user=user,
        card=card,
        rating=int(rating),
        reviewed_at=at,
        duration_ms=_duration_ms(reveal, at),
        revealed_at=reveal.revealed_at,
        practice=True,
        state_before=state.state,
        step_before=state.step,
        stability_before=state.stability,
        difficulty_before=state.difficulty,
        due_before=state.due,
        last_review_before=state.last_review,
        reps_before=state.reps,
        lapses_before=state.lapses,
        state_after=state.state,
        stability_after=state.stability,
        difficulty_after=state.difficulty,
        due_after=state.due,
    )


def review_undo(*, user, log_id: int, undone_at: datetime | None = None) -> ReviewLog:
    """Undo a rating: restore the card's state exactly as it was (delete it if the card was new).

    Only the card's latest rating that is not undone yet can be undone, once.
    """
    undone_at = undone_at or timezone.now()
    with transaction.atomic():
        log = (
            ReviewLog.objects.select_for_update(of=("self",))
            .select_related("card__lesson")
            .filter(user=user, pk=log_id)
            .first()
        )
        if log is None:
            raise ApplicationError("There is no such rating to undo.", status=404)
        if log.undone_at is not None:
            raise ApplicationError("That rating was already undone.", status=409)
        state = CardState.objects.select_for_update().filter(user=user, card_id=log.card_id).first()
        latest = (
            ReviewLog.objects.filter(user=user, card_id=log.card_id)
            .live()
            .order_by("-reviewed_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if latest != log.pk or state is None:
            raise ApplicationError("Only the latest rating of a card can be undone.", status=409)
        if log.practice:
            pass  # a practice rating never changed the schedule
        elif log.state_before is None:
            state.delete()
        else:
            state.state = log.state_before
            state.step = log.step_before
            state.stability = log.stability_before
            state.difficulty = log.difficulty_before
            state.due = log.due_before
            state.last_review = log.last_review_before
            state.reps = log.reps_before
            state.lapses = log.lapses_before
            state.version += 1
            state.save()
        log.undone_at = undone_at
        log.save(update_fields=["undone_at"])
        lesson_progress_record(user=user, lesson=log.card.lesson)  # undoing a first rating can undo the flashcards
    return log


def settings_save(*, user, **fields):
    """Create or update the student's study settings (any of the form's fields)."""
    study_settings, _ = StudentSettings.objects.update_or_create(user=user, defaults=fields)
    return study_settings


def theme_save(*, user, theme: str) -> StudentSettings:
    """Save the user's colour theme ("" follows the device)."""
    study_settings, _ = StudentSettings.objects.update_or_create(user=user, defaults={"theme": theme})
    return study_settings


def goal_save(*, user, daily_goal: int) -> StudentSettings:
    """Save the number of reviews a day the Today page counts toward (0: no goal)."""
    study_settings, _ = StudentSettings.objects.update_or_create(user=user, defaults={"daily_goal": daily_goal})
    return study_settings
