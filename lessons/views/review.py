"""Flashcard ratings (on the practice page and in /review/): reveal, rate, undo; and the review page itself."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from lessons.errors import ApplicationError
from lessons.forms.review import RateForm, RevealForm, UndoForm
from lessons.models import Flashcard
from lessons.selectors.practice_page import flashcard
from lessons.selectors.review_page import review_session
from lessons.services import review as services

from .htmx import alert_response, redrawn_with_alert, wants_fragment

CARD_TEMPLATE = "lessons/lesson_detail.html#flashcard"
SESSION_TEMPLATE = "lessons/review.html#review-session"


def _visible_cards():
    return Flashcard.objects.published().select_related("lesson__course")


def _respond(request, card, next_page):
    """The card's fragment (or the review session's) for htmx; a plain POST goes back to where it came from."""
    if next_page == "review":
        if wants_fragment(request):
            return render(request, SESSION_TEMPLATE, review_session(request.user))
        return redirect("review")
    if wants_fragment(request):
        return render(request, CARD_TEMPLATE, flashcard(request.user, card))
    return redirect(f"{card.lesson.get_absolute_url()}#card-{card.pk}")


def _refused(request, card, next_page, refused: ApplicationError):
    """A refused rating or undo: a clear 4xx that changed nothing.

    A stale form (409: another tab, a retry) also gets, from htmx, the card or the review session as it
    now is, swapped over the stale one, and the message in the page's alert area; otherwise the student
    would keep pressing buttons of a card that has moved on.
    """
    if refused.status != 409 or not wants_fragment(request):
        return alert_response(request, refused.message, status=refused.status)
    target = "#review-session" if next_page == "review" else f"#card-{card.pk}"
    return redrawn_with_alert(
        request, _respond(request, card, next_page), refused.message, status=refused.status, target=target
    )


@require_POST
def reveal(request, card_id):
    card = get_object_or_404(_visible_cards(), pk=card_id)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return alert_response(request, "That page does not exist.")
    services.review_reveal(user=request.user, card=card, shown_at=form.shown_at())
    return _respond(request, card, form.cleaned_data["next"])


@require_POST
def rate(request, card_id):
    card = get_object_or_404(_visible_cards(), pk=card_id)
    form = RateForm(request.POST)
    if not form.is_valid():
        return alert_response(request, "Rate the card with Again, Hard, Good or Easy.")
    try:
        services.review_record(
            user=request.user, card=card, rating=form.cleaned_data["rating"], version=form.cleaned_data["version"]
        )
    except ApplicationError as refused:
        return _refused(request, card, form.cleaned_data["next"], refused)
    return _respond(request, card, form.cleaned_data["next"])


@require_POST
def undo(request, log_id):
    form = UndoForm(request.POST)
    if not form.is_valid():
        return alert_response(request, "That page does not exist.")
    # Look the card up before undoing: a rating on a lesson unpublished since then is a 404 that changes nothing.
    card = get_object_or_404(_visible_cards(), review_logs__pk=log_id, review_logs__user=request.user)
    try:
        services.review_undo(user=request.user, log_id=log_id)
    except ApplicationError as refused:
        return _refused(request, card, form.cleaned_data["next"], refused)
    return _respond(request, card, form.cleaned_data["next"])


@require_GET
def review(request):
    return render(request, "lessons/review.html", review_session(request.user))
