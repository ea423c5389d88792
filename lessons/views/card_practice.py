import secrets

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from lessons.models import Lesson
from lessons.selectors.card_practice import MODES, practice_deck
from lessons.views.common import error_response


@require_GET
def practice(request, slug, mode):
    """Flip through a lesson's cards shuffled or only the missed ones: practice that records nothing,
    so the FSRS schedule is exactly as it was (no rating is offered here)."""
    lesson = get_object_or_404(Lesson.objects.published().select_related("course"), slug=slug)
    if mode not in MODES:
        return error_response(request, "Unknown practice mode: choose shuffle or missed.", status=404)
    url = reverse("card_practice", args=[lesson.slug, mode])
    try:
        seed = int(request.GET["seed"])
        index = int(request.GET.get("card", "1"))
    except (KeyError, ValueError):
        if "seed" in request.GET or "card" in request.GET:
            return error_response(request, "That practice link is broken: start again from the lesson.")
        return redirect(f"{url}?seed={secrets.randbelow(10**6)}&card=1")
    deck = practice_deck(user=request.user, lesson=lesson, mode=mode, seed=seed)
    if deck.cards and not 1 <= index <= len(deck):
        return error_response(request, f"There are {len(deck)} cards in this practice: choose 1 to {len(deck)}.")
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
