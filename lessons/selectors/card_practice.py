"""Read-only flashcard practice (shuffle, missed cards): which cards, in which order. Writes nothing."""

import random
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from lessons.models import Rating, ReviewLog

MODES = {"shuffle": "Shuffled cards", "missed": "Cards you missed"}


@dataclass(frozen=True)
class PracticeDeck:
    mode: str
    title: str
    cards: list
    seed: int

    def __len__(self):
        return len(self.cards)


def practice_deck(*, user, lesson, mode: str, seed: int) -> PracticeDeck:
    """The lesson's cards for a practice mode: all of them shuffled by ``seed``, or the ones whose latest
    rating (not undone) was Again, in lesson order. One query; the schedule is not touched."""
    cards = lesson.flashcards.order_by("position", "pk")
    if mode == "missed":
        last_rating = (
            ReviewLog.objects.filter(user=user, card=OuterRef("pk"), undone_at__isnull=True)
            .order_by("-reviewed_at", "-pk")
            .values("rating")[:1]
        )
        cards = list(cards.annotate(last_rating=Subquery(last_rating)).filter(last_rating=Rating.AGAIN))
    else:
        cards = list(cards)
        random.Random(seed).shuffle(cards)
    return PracticeDeck(mode=mode, title=MODES[mode], cards=cards, seed=seed)
