"""The practice page's lesson content, cached between requests.

Every student sees the same questions, exercises and cards, so the six
prefetch queries behind them run once per content version, not once per page
view. The cache key holds the lesson's ``updated_at``, and every change to a
lesson's content bumps it (``lessons.signals``), so an edit is seen at once by
every app server sharing the cache (Redis in production).
"""

from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404

from lessons.models import Lesson
from lessons.models.content import practice_prefetches

TIMEOUT = 24 * 3600


def practice_lesson(queryset=None, **lookup):
    """The lesson matching ``lookup`` (404 if none) with all its content prefetched, from the cache when fresh."""
    queryset = Lesson.objects.select_related("course") if queryset is None else queryset.select_related("course")
    lesson = get_object_or_404(queryset, **lookup)
    key = f"lesson-content:{lesson.pk}:{lesson.updated_at.isoformat()}"
    content = cache.get(key)
    if content is None:
        # Prefetch onto the lesson already fetched: a cold view costs the six content queries, not a seventh.
        prefetch_related_objects([lesson], *practice_prefetches())
        content = lesson._prefetched_objects_cache
        cache.set(key, content, TIMEOUT)
    lesson._prefetched_objects_cache = content
    return lesson
