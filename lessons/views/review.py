"""Flashcard ratings (on the practice page and in /review/): reveal, rate, undo; the review page itself with its
self-check questions and ordering exercises; and the shuffle / missed-cards practice, which records nothing."""

import secrets

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from lessons.errors import ApplicationError
from lessons.forms.ordering import FixableOrder, InvalidOrder, read_submission
from lessons.forms.review import ItemVersionForm, RateForm, RevealForm, UndoForm
from lessons.forms.selfcheck import SelfCheckJudgeForm, SelfCheckRevealForm
from lessons.models import Flashcard, Lesson, OrderingExercise, ReviewLog, SelfCheckQuestion
from lessons.models.review import published_items
from lessons.selectors.card_practice import MODES, practice_deck
from lessons.selectors.practice_page import flashcard
from lessons.selectors.review_page import exercise_shown, review_session
from lessons.services import ordering as ordering_services
from lessons.services import review as services
from lessons.services import selfcheck as selfcheck_services

from .htmx import alert_response, redrawn_with_alert, wants_fragment

CARD_TEMPLATE = "lessons/lesson_detail.html#flashcard"
SESSION_TEMPLATE = "lessons/review.html#review-session"
MISSING_VERSION = "This form is missing its version. Reload the page and try again."


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
    # Look the item up before undoing: a rating on a lesson unpublished since then is a 404 that changes nothing.
    log = get_object_or_404(
        ReviewLog.objects.filter(published_items()).select_related("card__lesson"), pk=log_id, user=request.user
    )
    card = log.card
    if card is None and form.cleaned_data["next"] != "review":
        return alert_response(request, "That page does not exist.", status=404)
    try:
        services.review_undo(user=request.user, log_id=log_id)
    except ApplicationError as refused:
        return _refused(request, card, form.cleaned_data["next"], refused)
    return _respond(request, card, form.cleaned_data["next"])


@require_GET
def review(request):
    return render(request, "lessons/review.html", review_session(request.user))


# ---------------------------------------------------------------- self-check questions and exercises in /review/


def _session(request, **context):
    """The review session after a write: its fragment for htmx, else back to /review/ (POST/redirect/GET)."""
    if wants_fragment(request):
        return render(request, SESSION_TEMPLATE, review_session(request.user, **context))
    return redirect("review")


def _item_refused(request, refused: ApplicationError):
    """A refused write: a clear 4xx; a stale htmx form also gets the session as it now is."""
    if refused.status != 409 or not wants_fragment(request):
        return alert_response(request, refused.message, status=refused.status)
    return redrawn_with_alert(
        request, _session(request), refused.message, status=refused.status, target="#review-session"
    )


def _item_post(request, service, **kwargs):
    """Call a review item's ``service`` for the student: the session as it now is, or the service's refusal."""
    try:
        service(user=request.user, **kwargs)
    except ApplicationError as refused:
        return _item_refused(request, refused)
    return _session(request)


def _question(question_id):
    return get_object_or_404(SelfCheckQuestion.objects.published().select_related("lesson"), pk=question_id)


def _exercise(exercise_id):
    return get_object_or_404(
        OrderingExercise.objects.published().select_related("lesson").prefetch_related("items"), pk=exercise_id
    )


@require_POST
def question_reveal(request, question_id):
    question = _question(question_id)
    form = SelfCheckRevealForm(request.POST)
    timing = ItemVersionForm(request.POST)
    if not form.is_valid():
        return alert_response(
            request, f"Your answer is too long: keep it under {form.fields['answer_text'].max_length} characters."
        )
    return _item_post(
        request,
        selfcheck_services.question_review_reveal,
        question=question,
        answer_text=form.cleaned_data["answer_text"],
        shown_at=timing.shown_at() if timing.is_valid() else None,
    )


@require_POST
def question_rate(request, question_id):
    question = _question(question_id)
    form, version = SelfCheckJudgeForm(request.POST), ItemVersionForm(request.POST)
    if not (form.is_valid() and version.is_valid()):
        return alert_response(request, "Choose Got it, Partly or Missed.")
    return _item_post(
        request,
        selfcheck_services.question_review_rate,
        question=question,
        verdict=form.cleaned_data["verdict"],
        version=version.cleaned_data["version"],
    )


@require_POST
def exercise_check(request, exercise_id):
    exercise = _exercise(exercise_id)
    version = ItemVersionForm(request.POST)
    if not version.is_valid():
        return alert_response(request, MISSING_VERSION)
    # The order the page showed (the same seeded shuffle, or the sitting's last order) and the sitting's tries.
    shown = exercise_shown(request.user, exercise)
    try:
        submission = read_submission(
            request.POST,
            labels=[item.label for item in exercise.display_items()],
            shown=shown.order if shown else [],
            recorded=shown.tries if shown else 0,
        )
    except InvalidOrder as problem:
        return alert_response(request, f"{problem} Nothing was saved.")
    except FixableOrder as problem:
        error = {"exercise_error": {"error": problem.message, "positions": problem.positions}}
        template = SESSION_TEMPLATE if wants_fragment(request) else "lessons/review.html"
        return render(request, template, review_session(request.user, **error))
    return _item_post(
        request,
        ordering_services.exercise_review_check,
        exercise=exercise,
        order=submission.order,
        number=submission.number,
        version=version.cleaned_data["version"],
        shown_at=version.shown_at(),
    )


@require_POST
def exercise_reveal(request, exercise_id):
    exercise = _exercise(exercise_id)
    version = ItemVersionForm(request.POST)
    if not version.is_valid():
        return alert_response(request, MISSING_VERSION)
    return _item_post(
        request, ordering_services.exercise_review_reveal, exercise=exercise, version=version.cleaned_data["version"]
    )


@require_POST
def exercise_rate(request, exercise_id):
    exercise = _exercise(exercise_id)
    version = ItemVersionForm(request.POST)
    if not version.is_valid():
        return alert_response(request, MISSING_VERSION)
    return _item_post(
        request, ordering_services.exercise_review_rate, exercise=exercise, version=version.cleaned_data["version"]
    )


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
