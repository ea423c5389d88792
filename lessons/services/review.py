"""Flashcard reviews: reveal, rate (scheduled by FSRS), undo. Keyword-only, typed, atomic."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons import scheduling
from lessons.errors import ApplicationError
from lessons.models import (
    CardState,
    Flashcard,
    FlashcardReveal,
    ItemKind,
    Lesson,
    Rating,
    ReviewLog,
    ReviewOptOut,
    StudentSettings,
)
from lessons.models.review import item_filter
from lessons.selectors import exam_plan
from lessons.services.progress import lesson_progress_record, progress_version_bump

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
    left exactly as it was. The CardState row is locked while it is updated; two first ratings of a new
    card race on the unique (user, card) constraint and the loser is refused like any stale form.
    """
    return item_rate(
        user=user,
        item=card,
        rating=rating,
        version=version,
        reviewed_at=reviewed_at,
        practice=practice,
        advance=advance,
        study_settings=study_settings,
    )


def fsrs_item_id(item) -> int:
    """The id FSRS knows an item by (it seeds the interval fuzz): a flashcard's own pk, as always; a question
    or an exercise in a range of its own so that it never shares a card's seed."""
    offset = {ItemKind.CARD: 0, ItemKind.QUESTION: 10**12, ItemKind.EXERCISE: 2 * 10**12}
    return offset[_kind_of(item)] + item.pk


def _kind_of(item) -> str:
    return next(iter(item_filter(item)))


def item_rate(
    *,
    user,
    item,
    rating: Rating,
    version: int | None,
    reviewed_at: datetime | None = None,
    practice: bool = False,
    study_settings: StudentSettings | None = None,
    revealed_at: datetime | None = None,
    shown_at: datetime | None = None,
    first_try: bool = False,
    advance: bool = False,
) -> tuple[CardState | None, ReviewLog]:
    """Rate any review item (a flashcard, a self-check question, an ordering exercise) with FSRS.

    Without ``revealed_at`` the item's reveal row (``FlashcardReveal``: "Show answer" in /review/ or on a
    card) must stand; with it (a first try on the practice page, where the attempt is the reveal) none is
    needed. ``version`` None skips the stale-form check (a service that already settled double clicks).
    ``first_try``: a try on the practice page, which is the item's first review when it has no state yet and
    practice once it has one. ``advance`` (a rating in /review/): an item brought forward today for a date
    that matters (``lessons.selectors.exam_plan``) is reviewed early, as Anki's "Advance" does: a real review,
    FSRS counting the shorter elapsed time.
    """
    reviewed_at = reviewed_at or timezone.now()
    study_settings = study_settings or StudentSettings.objects.for_user(user)
    clock = scheduling.StudyClock.of(study_settings)
    which = item_filter(item)
    with transaction.atomic():
        state = CardState.objects.select_for_update().filter(user=user, **which).first()
        if version is not None and (state.version if state else 0) != version:
            raise ApplicationError(STALE_MESSAGE, status=409)
        last_review = state.last_review if state else None
        if first_try:
            practice = state is not None
        reveal = None
        if revealed_at is None:
            reveal = FlashcardReveal.objects.filter(user=user, **which).first()
            if reveal is None or reveal.revealed_at is None or (last_review and reveal.revealed_at <= last_review):
                raise ApplicationError(f"Show the answer before rating the {_NOUN[_kind_of(item)]}.", status=409)
            if not scheduling.reveal_counts(reveal.revealed_at, last_review=last_review, now=reviewed_at, clock=clock):
                raise ApplicationError(EXPIRED_MESSAGE, status=409)
            revealed_at, shown_at = reveal.revealed_at, reveal.shown_at
        memory = scheduling.MemoryState.of(state)
        learn_ahead = timedelta(minutes=study_settings.learn_ahead_minutes)
        if memory.is_new and practice:
            raise ApplicationError("A new card is learnt in a review first; practise it once it is scheduled.", 409)
        due = scheduling.is_due(memory, now=revealed_at, clock=clock, learn_ahead=learn_ahead) or (
            advance
            and exam_plan.is_advanced(
                user, state, lesson_id=item.lesson_id, now=revealed_at, study_settings=study_settings
            )
        )
        if practice or not due:
            if reveal is not None:  # used up: the item turns back to its front, and a second click is refused
                FlashcardReveal.objects.filter(pk=reveal.pk).delete()
            log = _practice_log(
                user=user,
                which=which,
                rating=rating,
                state=state,
                at=reviewed_at,
                revealed_at=revealed_at,
                shown_at=shown_at,
            )
            return state, log
        # As of the reveal, when the buttons showed their intervals; the interval runs from now.
        outcome = scheduling.review(
            user_id=user.pk,
            card_id=fsrs_item_id(item),
            memory=memory,
            rating=rating,
            now=revealed_at,
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
                    state = CardState.objects.create(user=user, version=1, **which, **fields)
            except IntegrityError as error:  # another request rated this new item first
                raise ApplicationError(STALE_MESSAGE, status=409) from error
        else:
            for name, value in fields.items():
                setattr(state, name, value)
            state.version += 1
            state.save()
        log = ReviewLog.objects.create(
            user=user,
            **which,
            rating=int(rating),
            reviewed_at=reviewed_at,
            duration_ms=_duration_ms(shown_at, revealed_at, reviewed_at),
            revealed_at=revealed_at,
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
        if "card" in which:
            lesson_progress_record(user=user, lesson=item.lesson)  # a first rating may finish the flashcards
        else:  # the practice page's review note of the question or exercise changed
            progress_version_bump(user=user, lesson_ids=[item.lesson_id])
    return state, log


_NOUN = {ItemKind.CARD: "card", ItemKind.QUESTION: "question", ItemKind.EXERCISE: "exercise"}


def _duration_ms(shown_at, revealed_at, reviewed_at):
    """From the front shown to the rating (Anki's answer time), capped."""
    duration = (reviewed_at - (shown_at or revealed_at)).total_seconds() * 1000
    return max(0, min(round(duration), MAX_DURATION_MS))


def _practice_log(*, user, which, rating, state, at, revealed_at, shown_at) -> ReviewLog:
    """Log a practice rating: the item's state before and after are the same, its schedule untouched."""
    return ReviewLog.objects.create(
        user=user,
        **which,
        rating=int(rating),
        reviewed_at=at,
        duration_ms=_duration_ms(shown_at, revealed_at, at),
        revealed_at=revealed_at,
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
            .select_related("card__lesson", "question__lesson", "exercise__lesson")
            .filter(user=user, pk=log_id)
            .first()
        )
        if log is None:
            raise ApplicationError("There is no such rating to undo.", status=404)
        if log.undone_at is not None:
            raise ApplicationError("That rating was already undone.", status=409)
        which = {f"{log.kind}_id": log.item_id}
        state = CardState.objects.select_for_update().filter(user=user, **which).first()
        latest = (
            ReviewLog.objects.filter(user=user, **which)
            .live()
            .order_by("-reviewed_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if latest != log.pk or state is None:
            raise ApplicationError(f"Only the latest rating of a {_NOUN[log.kind]} can be undone.", status=409)
        if log.practice:
            pass  # a practice rating never changed the schedule
        elif None in (log.state_before, log.stability_before, log.difficulty_before):
            # New before it, or a state without a memory (rated before migration 0013), which was scheduled as new.
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
        if log.kind == ItemKind.CARD:
            lesson_progress_record(user=user, lesson=log.card.lesson)  # undoing a first rating can undo the flashcards
        else:
            progress_version_bump(user=user, lesson_ids=[log.item.lesson_id])
    return log


def review_switches_save(*, user, lesson_ids: list[int], questions_on: set[int], exercises_on: set[int]) -> None:
    """Switch each listed lesson's self-check questions and ordering exercises in or out of review.

    Out: a ``ReviewOptOut`` row, nothing else (the items' states and logs stay, and come back as they were).
    """
    lessons = list(Lesson.objects.filter(pk__in=lesson_ids).values_list("pk", flat=True))
    with transaction.atomic():
        for kind, on in ((ItemKind.QUESTION, questions_on), (ItemKind.EXERCISE, exercises_on)):
            ReviewOptOut.objects.filter(user=user, kind=kind, lesson_id__in=[pk for pk in lessons if pk in on]).delete()
            ReviewOptOut.objects.bulk_create(
                [ReviewOptOut(user=user, lesson_id=pk, kind=kind) for pk in lessons if pk not in on],
                ignore_conflicts=True,
            )
        progress_version_bump(user=user, lesson_ids=lessons)  # the practice pages say whether items are in review


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
