"""Request middleware of the lessons app: refusals turned into alerts, and running inside an LMS's iframe (LTI).

The LTI pair decides which pages may frame the site and makes cookies that work there.

Both act only for LTI visitors: a request whose session came from an LTI launch,
or the LTI login and launch themselves (their views set ``request.lti_framed``).
Everyone else gets exactly the responses they would get without these
middlewares, and no query is spent on them.
"""

from http import cookies

from django.conf import settings

from lessons.errors import ApplicationError
from lessons.selectors.lti import LAUNCH_SESSION_KEY, frame_origins
from lessons.views.htmx import alert_response

# The ``Partitioned`` cookie attribute (CHIPS) is known to Python's cookies from 3.14 on; teach it to 3.11
# as pylti1p3 taught it ``SameSite``. A partitioned cookie lives in a jar of its own for the LMS's site,
# which browsers that block third-party cookies (Chrome's incognito, its future default) still keep.
cookies.Morsel._reserved.setdefault("partitioned", "Partitioned")
cookies.Morsel._flags.add("partitioned")
PYLTI_COOKIE_PREFIX = "lti1p3-"  # pylti1p3's state and launch-storage cookies (already SameSite=None; Secure)


def lti_visitor(request) -> bool:
    if getattr(request, "lti_framed", False):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.session_key and LAUNCH_SESSION_KEY in session)


class LtiFramingMiddleware:
    """For LTI visitors, CSP ``frame-ancestors`` lists exactly the registered platforms' origins
    and X-Frame-Options steps aside.

    Sits after ``XFrameOptionsMiddleware`` and ``CSPMiddleware`` in ``MIDDLEWARE``
    so that it sees the response before they do.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = frame_origins() if lti_visitor(request) else []
        if origins:
            replace = dict(getattr(response, "_csp_replace", None) or {})
            replace["frame-ancestors"] = origins
            response._csp_replace = replace
            response.xframe_options_exempt = True
        return response


class LtiCookiesMiddleware:
    """For LTI visitors over HTTPS, the session and CSRF cookies get ``SameSite=None; Secure; Partitioned``.

    A browser sends a cookie to a site framed by another site only if it is
    ``SameSite=None``, and accepts ``None`` only with ``Secure``, hence HTTPS only
    (and ``LTI_IFRAME_COOKIES``); ``Partitioned`` keeps them where third-party
    cookies are blocked, and pylti1p3's own login cookies get it too. Other cookies
    keep their defaults. Sits before the session and CSRF middlewares so that it
    sees the cookies they set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        ours = [name for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME) if name in response.cookies]
        pylti = [name for name in response.cookies if name.startswith(PYLTI_COOKIE_PREFIX)]
        if (ours or pylti) and settings.LTI_IFRAME_COOKIES and request.is_secure() and lti_visitor(request):
            for name in ours:
                response.cookies[name]["samesite"] = "None"
                response.cookies[name]["secure"] = True
            for name in ours + pylti:
                response.cookies[name]["partitioned"] = True
        return response


class ApplicationErrorMiddleware:
    """Turn a service's refusal into its 4xx alert: nothing was changed, and the page says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):
            return alert_response(request, exception.message, status=exception.status)
        return None
