"""Flashcard ratings (on the practice page and in /review/): reveal, rate, undo; the review page itself; and the
shuffle / missed-cards practice, which records nothing."""

import secrets

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lessons.errors import ApplicationError
from lessons.forms.review import RateForm, RevealForm, UndoForm
from lessons.models import Flashcard, Lesson
from lessons.selectors.card_practice import MODES, practice_deck
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
            user=request.user,
            card=card,
            rating=form.cleaned_data["rating"],
            version=form.cleaned_data["version"],
            advance=form.cleaned_data["next"] == "review",  # /review/ shows cards brought forward for a date
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


@require_GET
def practice(request, slug, mode):
    """Flip through a lesson's cards shuffled or only the missed ones: practice that records nothing,
    so the FSRS schedule is exactly as it was (no rating is offered here)."""
    lesson = get_object_or_404(Lesson.objects.published().select_related("course"), slug=slug)
    if mode not in MODES:
        raise ApplicationError("Unknown practice mode: choose shuffle or missed.", status=404)
    url = reverse("card_practice", args=[lesson.slug, mode])
    try:
        seed = int(request.GET["seed"])
        index = int(request.GET.get("card", "1"))
    except (KeyError, ValueError):
        if "seed" in request.GET or "card" in request.GET:
            raise ApplicationError("That practice link is broken: start again from the lesson.") from None
        return redirect(f"{url}?seed={secrets.randbelow(10**6)}&card=1")
    deck = practice_deck(user=request.user, lesson=lesson, mode=mode, seed=seed)
    if deck.cards and not 1 <= index <= len(deck):
        raise ApplicationError(f"There are {len(deck)} cards in this practice: choose 1 to {len(deck)}.")
    card = deck.cards[index - 1] if deck.cards else None
    context = {
        "lesson": lesson,
        "deck": deck,
        "card": card,
        "index": index,
        "previous_url": f"{url}?seed={seed}&card={index - 1}" if index > 1 else "",
        "next_url": f"{url}?seed={seed}&card={index + 1}" if index < len(deck) else "",
        "reshuffle_url": url,
    }
    return render(request, "lessons/card_practice.html", context)
