"""The load balancer's health check: can this app server serve? The database is required, the cache is not."""

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def _cache_ok():
    """A PING for the Redis cache (lessons.cache); the local-memory cache of a single server is always there."""
    is_available = getattr(cache, "is_available", None)
    return is_available() if is_available else True


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Plain text: "ok", "degraded" or "unavailable", then one line per part.

    200 while the database answers (a cache outage only slows pages: "degraded"), else 503.

    A request carrying a session cookie during a database outage fails before it gets here (the session
    cannot be read); lessons.views.errors answers it with 503 too.
    """
    database, cache_ok = _database_ok(), _cache_ok()
    summary = "unavailable" if not database else "ok" if cache_ok else "degraded"
    lines = [
        summary,
        f"database: {'ok' if database else 'unavailable'}",
        f"cache: {'ok' if cache_ok else 'unavailable (pages are served from the database)'}",
    ]
    return HttpResponse("\n".join(lines) + "\n", status=200 if database else 503, content_type="text/plain")
