"""Flashcards: reveal and rate on the practice page, the review queue, settings, stats, print, CSV."""

import csv
import math
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.contrib import messages
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from lessons import flashcards_queue as queue
from lessons import flashcards_stats as stats
from lessons import scheduling
from lessons.forms_flashcards import RateForm, RevealForm, StudySettingsForm, UndoForm
from lessons.models import CardState, Flashcard, FlashcardReveal, Lesson, Rating, ReviewLog
from lessons.services import review as services

from .common import error_response

CARD_TEMPLATE = "lessons/lesson_detail.html#flashcard"
SESSION_TEMPLATE = "lessons/review.html#review-session"


@dataclass
class CardView:
    """One card as a student sees it now: revealed or not, and the four ratings with their intervals."""

    card: Flashcard
    state: CardState | None
    revealed: bool
    previews: list
    undo_log: ReviewLog | None

    @property
    def version(self):
        return self.state.version if self.state else 0

    @property
    def buttons(self):
        """(rating value, name, interval label) for the four rating buttons."""
        return [(outcome.rating, Rating(outcome.rating).label, outcome.label) for outcome in self.previews]

    @property
    def due_now(self):
        return self.state is not None and self.state.due <= timezone.now()

    @property
    def next_due_label(self):
        if self.state is None:
            return ""
        # whole minutes, rounded up: a card due in 59.9 s reads "1m" as its button said
        seconds = max(0, (self.state.due - timezone.now()).total_seconds())
        return scheduling.format_interval(timedelta(minutes=math.ceil(seconds / 60)))


def card_view(user, card, *, state, revealed_at, retention, last_log):
    revealed = revealed_at is not None and (
        state is None or state.last_review is None or revealed_at > state.last_review
    )
    previews = []
    if revealed:
        # As of the reveal, as the rating will be computed (see lessons.scheduling): the labels stay exact.
        previews = scheduling.preview(
            user_id=user.pk,
            card_id=card.pk,
            memory=scheduling.MemoryState.of(state),
            now=revealed_at,
            desired_retention=retention,
        )
    undo_log = last_log if last_log is not None and last_log.card_id == card.pk else None
    return CardView(card=card, state=state, revealed=revealed, previews=previews, undo_log=undo_log)


def _last_log(user):
    return ReviewLog.objects.filter(user=user, undone_at__isnull=True).order_by("-reviewed_at", "-pk").first()


def page_state(user, lesson):
    """The student's state of each of the lesson's cards (four queries, whatever the number of cards)."""
    cards = list(lesson.flashcards.all())
    if not cards:
        return {"flashcard_views": {}}
    states = {state.card_id: state for state in CardState.objects.filter(user=user, card__lesson=lesson)}
    reveals = dict(FlashcardReveal.objects.filter(user=user, card__lesson=lesson).values_list("card_id", "revealed_at"))
    retention = queue.settings_for(user).desired_retention
    last_log = _last_log(user)
    return {
        "flashcard_views": {
            card.pk: card_view(
                user,
                card,
                state=states.get(card.pk),
                revealed_at=reveals.get(card.pk),
                retention=retention,
                last_log=last_log,
            )
            for card in cards
        }
    }


def _visible_cards():
    return Flashcard.objects.live().select_related("lesson__course").filter(lesson__published=True)


def _card(card_id):
    return get_object_or_404(_visible_cards(), pk=card_id)


def _card_response(request, card):
    """The card's fragment for htmx; a plain POST goes back to the card on the practice page."""
    if request.htmx and not request.htmx.history_restore_request:
        user = request.user
        fc = card_view(
            user,
            card,
            state=CardState.objects.filter(user=user, card=card).first(),
            revealed_at=FlashcardReveal.objects.filter(user=user, card=card)
            .values_list("revealed_at", flat=True)
            .first(),
            retention=queue.settings_for(user).desired_retention,
            last_log=_last_log(user),
        )
        return render(request, CARD_TEMPLATE, {"lesson": card.lesson, "card": card, "fc": fc})
    return redirect(f"{card.lesson.get_absolute_url()}#card-{card.pk}")


def _session_response(request):
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, SESSION_TEMPLATE, review_context(request.user))
    return redirect("review")


def _respond(request, card, next_page):
    if next_page == "review":
        return _session_response(request)
    return _card_response(request, card)


def _refused_response(request, card, next_page, refused):
    """A refused rating or undo: a clear 4xx that changed nothing.

    A stale form (409: another tab, a retry) also gets, from htmx, the card or the review session as it
    now is, swapped over the stale one, and the message in the page's alert area; otherwise the student
    would keep pressing buttons of a card that has moved on.
    """
    if refused.status != 409 or not request.htmx or request.htmx.history_restore_request:
        return error_response(request, refused.message, status=refused.status)
    response = _respond(request, card, next_page)
    target = "#review-session" if next_page == "review" else f"#card-{card.pk}"
    response.content += format_html(
        '<div id="alerts" hx-swap-oob="innerHTML"><p class="message message-error">{}</p></div>', refused.message
    ).encode()
    response.status_code = refused.status
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "outerHTML"
    response["HX-Reselect"] = target
    return response


@require_POST
def reveal(request, card_id):
    card = _card(card_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return error_response(request, "That page does not exist.")
    services.review_reveal(user=request.user, card=card)
    return _respond(request, card, form.cleaned_data["next"])


@require_POST
def rate(request, card_id):
    card = _card(card_id)
    form = RateForm(request.POST)
    if not form.is_valid():
        return error_response(request, "Rate the card with Again, Hard, Good or Easy.")
    try:
        services.review_record(
            user=request.user, card=card, rating=form.cleaned_data["rating"], version=form.cleaned_data["version"]
        )
    except services.ReviewRefused as refused:
        return _refused_response(request, card, form.cleaned_data["next"], refused)
    return _respond(request, card, form.cleaned_data["next"])


@require_POST
def undo(request, log_id):
    form = UndoForm(request.POST)
    if not form.is_valid():
        return error_response(request, "That page does not exist.")
    # Look the card up before undoing: a rating on a lesson unpublished since then is a 404 that changes nothing.
    card = get_object_or_404(_visible_cards(), review_logs__pk=log_id, review_logs__user=request.user)
    try:
        services.review_undo(user=request.user, log_id=log_id)
    except services.ReviewRefused as refused:
        return _refused_response(request, card, form.cleaned_data["next"], refused)
    return _respond(request, card, form.cleaned_data["next"])


# ---------------------------------------------------------------- review queue


def review_context(user):
    """The review session: how many are left, the first card, the last rating to undo. Bounded queries."""
    now = timezone.now()
    study_settings = queue.settings_for(user)
    q = queue.queue_for(user, now=now, study_settings=study_settings)
    fc = None
    if q.head_card is not None:
        revealed_at = (
            FlashcardReveal.objects.filter(user=user, card=q.head_card).values_list("revealed_at", flat=True).first()
        )
        fc = card_view(
            user,
            q.head_card,
            state=q.head_state,
            revealed_at=revealed_at,
            retention=study_settings.desired_retention,
            last_log=None,
        )
    last_log = ReviewLog.objects.filter(user=user, undone_at__isnull=True).select_related("card")
    last_log = last_log.order_by("-reviewed_at", "-pk").first()
    next_due = None
    if fc is None:
        next_due = queue.next_due_at(user)
    return {
        "queue": q,
        "fc": fc,
        "last_log": last_log,
        "next_due": next_due,
        "zone": queue.zone_of(study_settings),
    }


def review(request):
    return render(request, "lessons/review.html", review_context(request.user))


# ---------------------------------------------------------------- settings


def study_settings(request):
    instance = queue.settings_for(request.user)
    form = StudySettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.settings_save(user=request.user, **form.cleaned_data)
        messages.success(request, "Your study settings are saved.")
        return redirect("study_settings")
    return render(request, "lessons/study_settings.html", {"form": form})


# ---------------------------------------------------------------- progress and export


def progress(request):
    return render(request, "lessons/progress.html", stats.progress_context(request.user, now=timezone.now()))


class _Echo:
    def write(self, value):
        return value


def _cell(text):
    """Keep spreadsheet programs from running a card's text as a formula."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def reviews_csv(request):
    logs = (
        ReviewLog.objects.filter(user=request.user, undone_at__isnull=True)
        .select_related("card__lesson")
        .order_by("reviewed_at", "pk")
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(["card", "lesson", "rating", "reviewed_at", "duration_ms", "card_archived"])
        for log in logs.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    _cell(log.card.front),
                    _cell(log.card.lesson.title),
                    log.get_rating_display(),
                    log.reviewed_at.astimezone(UTC).isoformat(),
                    "" if log.duration_ms is None else log.duration_ms,
                    "true" if log.card.archived_at else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="review-history.csv"'
    return response


# ---------------------------------------------------------------- print


def print_cards(request, slug):
    lesson = get_object_or_404(
        Lesson.objects.published().prefetch_related(Prefetch("flashcards", queryset=Flashcard.objects.live())),
        slug=slug,
    )
    duplex = request.GET.get("layout") == "duplex"
    return render(request, "lessons/flashcards_print.html", {"lesson": lesson, "duplex": duplex})
