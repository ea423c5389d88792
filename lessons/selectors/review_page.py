"""The /review/ page's state: the session's counts, the card to show first, the last rating to undo."""

from django.utils import timezone

from lessons.models import FlashcardReveal, ReviewLog, StudentSettings
from lessons.selectors import review_queue as queue
from lessons.selectors.practice_page import card_view


def review_session(user) -> dict:
    """How many are left, the first card, the last rating to undo. Bounded queries."""
    now = timezone.now()
    study_settings = StudentSettings.objects.for_user(user)
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
            study_settings=study_settings,
            last_log=None,
            now=now,
            advanced=q.head_advanced is not None,
        )
    last_log = ReviewLog.objects.live().filter(user=user).select_related("card").order_by("-reviewed_at", "-pk").first()
    return {
        "queue": q,
        "fc": fc,
        "last_log": last_log,
        "next_due": queue.next_due_at(user) if fc is None else None,
        "zone": study_settings.zone,
    }
