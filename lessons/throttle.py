"""Who is asking (the client's address behind trusted proxies) and how often (per-address rate limits).

The address is what the lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``) and the rate limits
(django-ratelimit, ``RATELIMIT_IP_META_KEY``) count by. With ``TRUSTED_PROXY_COUNT = 0`` it is
``REMOTE_ADDR``. Behind N proxies, each appends the address it received the request from to
``X-Forwarded-For``, so the client's address is the N-th entry from the right; anything to its left
was written by the client and is ignored. A request that did not come through the proxies (too few
entries, or a malformed one) is counted under ``REMOTE_ADDR``.

(django-ipware was the obvious candidate; its ``proxy_count`` counts the proxies listed *inside*
the header and, for the common single-proxy deployment, falls back to the "best" public address in
the header, which a client can choose. Reading the header from the right by a count is six lines.)

Rate limits are django-ratelimit's fixed-window counters in the shared cache (Redis in production),
so every app server counts together. Rates are ``settings.RATE_LIMITS[group]``. When the cache is
down the counters are skipped (``RATELIMIT_FAIL_OPEN``): the site keeps serving, and the lockout
stored in Postgres still holds.
"""

import ipaddress
from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage


def client_address(request):
    """The client's IP address as the outermost trusted proxy saw it (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a bucket for requests without an address
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def _usage(request, group, *, increment):
    return get_usage(request, group=group, key="ip", rate=settings.RATE_LIMITS[group], increment=increment)


def too_many_requests(request, retry_after):
    """The 429 page, with ``Retry-After`` in seconds."""
    seconds = max(int(retry_after), 1)
    minutes = -(-seconds // 60)
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}" if seconds >= 60 else f"{seconds} seconds"
    response = render(request, "429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def over_limit(request, group):
    """The 429 response when this address has used up ``group``'s allowance, else None (counts nothing)."""
    usage = _usage(request, group, increment=False)
    if usage and usage["count"] >= usage["limit"]:
        return too_many_requests(request, usage["time_left"])
    return None


def count(request, group):
    """Count one use of ``group`` by this address (e.g. a failed log-in)."""
    _usage(request, group, increment=True)


def rate_limited(group):
    """View decorator: every POST from one address counts; past the limit the view is not run (429)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                usage = _usage(request, group, increment=True)
                if usage and usage["should_limit"]:
                    return too_many_requests(request, usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
