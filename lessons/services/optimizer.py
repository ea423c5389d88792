"""Fitting FSRS parameters to a student's reviews, or to their class's pooled reviews.

A student is fitted on their own history once it has ``scheduling.MIN_TRAINING_ITEMS``
training items (Anki's bar); before that, on the pooled history of a class of theirs that
has that many. The candidate is kept only when it lowers the log loss on the student's own
history (Anki's "Evaluate"), so a fit never makes anyone's schedule worse. Every run is
recorded as a ``ParameterFit`` with the log loss and RMSE before and after.

A fit to the student's own history is judged on that same history, which flatters it: measured
on reviews it was not fitted on (docs/performance.md, "Per-student fits on reviews they were not
fitted on"), a fit to about 500 items is worse than the defaults for most students whose memory
is near FSRS's defaults, and better for most from about 2,000. So an own fit is kept only when it
also wins a two-fold check: fitted to half of the student's cards, it must lower the log loss on
the other half, both ways round.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from lessons import scheduling
from lessons.errors import ApplicationError
from lessons.models import Enrollment, ParameterFit, ReviewLog, StudentSettings

# Anki suggests optimizing "once every few months"; nightly runs refit a student after a month.
REFIT_AFTER = timedelta(days=30)


def review_histories(user_ids):
    """{user id: [card history]}: each card's scheduled, live ratings ``(reviewed_at, rating)`` oldest first,
    only for cards whose history starts with their first rating as a new card (one query)."""
    rows = (
        ReviewLog.objects.scheduled()
        .filter(user_id__in=user_ids)
        .order_by("user_id", "card_id", "question_id", "exercise_id", "reviewed_at", "pk")
        .values_list("user_id", "card_id", "question_id", "exercise_id", "reviewed_at", "rating", "state_before")
    )
    cards = defaultdict(list)  # every kind of review item has its own history (issue 18)
    for user_id, card_id, question_id, exercise_id, reviewed_at, rating, state_before in rows.iterator(chunk_size=5000):
        history = cards[(user_id, card_id, question_id, exercise_id)]
        if not history and state_before is not None:
            continue  # its first rating was undone or is older than our logs: no clean start
        history.append((reviewed_at, rating))
    by_user = defaultdict(list)
    for (user_id, *_item), history in cards.items():
        if history:
            by_user[user_id].append(history)
    return by_user


def _items_of(user_ids, *, folds=1):
    """Training items of these students, each counted in their own study days (two queries).

    ``folds=2``: {user id: (items of their even cards, items of their odd cards)} instead.
    """
    clocks = {s.user_id: scheduling.StudyClock.of(s) for s in StudentSettings.objects.filter(user_id__in=user_ids)}
    items = defaultdict(list) if folds == 1 else defaultdict(lambda: ([], []))
    for user_id, histories in review_histories(user_ids).items():
        clock = clocks.get(user_id) or scheduling.StudyClock.of(StudentSettings())
        if folds == 1:
            items[user_id] = scheduling.training_items(histories, clock)
        else:
            items[user_id] = tuple(scheduling.training_items(half, clock) for half in scheduling.two_folds(histories))
    return items


def _wins_on_unseen_cards(user, current):
    """Whether fits to one half of the student's cards beat ``current`` on the other half, both ways."""
    halves = _items_of([user.pk], folds=2)[user.pk]
    for train, test in (halves, halves[::-1]):
        if not train or not test:
            return False
        fitted = scheduling.fit_parameters(train)
        if scheduling.evaluate(fitted, test).log_loss >= scheduling.evaluate(current, test).log_loss:
            return False
    return True


def class_parameters(classroom_id, *, cache=None):
    """Parameters fitted to a class's pooled history, or None below the threshold (memoised in ``cache``)."""
    cache = {} if cache is None else cache
    if classroom_id not in cache:
        student_ids = list(Enrollment.objects.filter(classroom_id=classroom_id).values_list("student_id", flat=True))
        pooled = [item for items in _items_of(student_ids).values() for item in items]
        fitted = None
        if len(pooled) >= scheduling.MIN_TRAINING_ITEMS:
            fitted = (scheduling.fit_parameters(pooled), len(pooled))
        cache[classroom_id] = fitted
    return cache[classroom_id]


def parameters_fit(*, user, now: datetime | None = None, class_cache=None) -> ParameterFit:
    """Fit the student's FSRS parameters; keep them only if they lower the log loss on their own history.

    Refused (409) when neither their own history nor a class of theirs has enough reviews yet.
    """
    now = now or timezone.now()
    own = _items_of([user.pk])[user.pk]
    study_settings = StudentSettings.objects.for_user(user)
    candidates = []
    if len(own) >= scheduling.MIN_TRAINING_ITEMS:
        candidates.append((ParameterFit.Source.STUDENT, scheduling.fit_parameters(own), len(own)))
    else:
        classroom_ids = Enrollment.objects.filter(student=user).order_by("pk").values_list("classroom_id", flat=True)
        for classroom_id in classroom_ids:
            pooled = class_parameters(classroom_id, cache=class_cache)
            if pooled is not None:
                candidates.append((ParameterFit.Source.CLASS, *pooled))
                break
    if not candidates or not own:
        raise ApplicationError(
            f"Not enough reviews to fit your schedule yet: {len(own)} of the {scheduling.MIN_TRAINING_ITEMS} "
            "reviews needed (reviews of a card on a later day than its previous one; Anki asks for as many). "
            "Keep reviewing and try again later.",
            status=409,
        )
    source, parameters, reviews = candidates[0]
    before = scheduling.evaluate(study_settings.fsrs_parameters, own)
    after = scheduling.evaluate(parameters, own)
    kept = after.log_loss < before.log_loss
    if kept and source == ParameterFit.Source.STUDENT:
        kept = _wins_on_unseen_cards(user, study_settings.fsrs_parameters)
    with transaction.atomic():
        if kept:
            StudentSettings.objects.update_or_create(user=user, defaults={"fsrs_parameters": parameters})
        return ParameterFit.objects.create(
            user=user,
            fitted_at=now,
            source=source,
            reviews=reviews,
            parameters=parameters,
            log_loss_before=before.log_loss,
            log_loss_after=after.log_loss,
            rmse_before=before.rmse,
            rmse_after=after.rmse,
            kept=kept,
        )


def users_due_for_a_fit(*, now: datetime):
    """Students with reviews since their last fit, and no fit in the last ``REFIT_AFTER`` (one query)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.annotate(last_fit=Max("parameter_fits__fitted_at"), last_review=Max("review_logs__reviewed_at"))
        .filter(last_review__isnull=False)
        .filter(Q(last_fit__isnull=True) | Q(last_fit__lt=now - REFIT_AFTER))
        .order_by("pk")
    )
