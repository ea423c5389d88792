"""LTI reads: the origins allowed to frame the site, the deep-linking catalogue, a class's LMS binding."""

from django.core.cache import cache
from django.db import DatabaseError
from lti_tool.models import LtiRegistration

from lessons.models import ClassContext, Lesson
from lessons.models.lti import origin_of
from lessons.services.lti import FRAME_ORIGINS_CACHE_KEY

FRAME_ORIGINS_TIMEOUT = 300  # seconds; saving a platform in the admin clears it at once
LAUNCH_SESSION_KEY = "lti_launch_id"  # set by a launch: the session is an LTI visitor's


def frame_origins() -> list[str]:
    """Origins of the active platforms' pages (their ``PlatformFrame``, else their auth URL's origin), cached.

    Read on every response by the framing middleware, so it costs a cache read, not a query.
    """
    origins = cache.get(FRAME_ORIGINS_CACHE_KEY)
    if origins is None:
        found = set()
        try:
            registrations = list(LtiRegistration.objects.active().select_related("frame"))
        except DatabaseError:
            return []  # no database, no framing; the page says what is wrong
        for registration in registrations:
            frame = getattr(registration, "frame", None)
            listed = frame.origin_list() if frame else []
            found.update(listed or [origin_of(registration.auth_url)])
        origins = sorted(origin for origin in found if origin)
        cache.set(FRAME_ORIGINS_CACHE_KEY, origins, FRAME_ORIGINS_TIMEOUT)
    return origins


def deep_link_catalogue():
    """Published lessons an instructor can link from their LMS course, by course."""
    return (
        Lesson.objects.published()
        .select_related("course")
        .order_by("course__position", "course__title", "position", "title")
    )


def class_binding(classroom) -> ClassContext | None:
    """The LMS course a class mirrors, or None for a class run with a join code."""
    return ClassContext.objects.filter(classroom=classroom).select_related("context").first()
