"""Request middleware of the lessons app.

``LtiFramingMiddleware`` and ``LtiCookiesMiddleware`` let the site run inside an LMS's iframe, for LTI
visitors only: a request whose session came from an LTI launch, or the LTI login and launch themselves
(their views set ``request.lti_framed``). Everyone else gets the responses they would get without them,
and no query is spent on them.

``ApplicationErrorMiddleware`` turns a service's refusal into its 4xx alert.

``request_body_guard`` runs before anything reads the body (sessions, CSRF, the views):

- a body larger than ``MAX_REQUEST_BODY_BYTES`` (the lesson-file upload: ``LESSON_FILE_MAX_BYTES``
  plus room for the form around it) is refused with 413 from its ``Content-Length``, unread;
- a form body declaring a charset other than UTF-8 is refused with 400. Django answers such a
  urlencoded body with ``BadRequest``, but its error views then read the body again and the 400
  became a 500.

``private_pages`` gives every response of our views (not whitenoise's static files, which are
answered before it) ``Cache-Control: private, no-store`` unless the view chose its own, and a
``Permissions-Policy`` that turns off the browser features the site does not use.
"""

from http import cookies

from django.conf import settings
from django.urls import reverse
from django.utils.cache import patch_cache_control

from lessons.errors import ApplicationError
from lessons.selectors.lti import LAUNCH_SESSION_KEY, frame_origins
from lessons.views.htmx import alert_response

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
UPLOAD_OVERHEAD = 64 * 1024  # the multipart framing, the CSRF token and the form's other fields
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi",
        "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial",
        "usb", "xr-spatial-tracking", "browsing-topics",
    )
)  # fmt: skip


def _body_limit(request):
    if request.path_info == reverse("admin:lessons_lesson_upload"):
        return settings.LESSON_FILE_MAX_BYTES + UPLOAD_OVERHEAD
    return settings.MAX_REQUEST_BODY_BYTES


def _declared_charset(request):
    content_type = request.META.get("CONTENT_TYPE", "")
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() not in FORM_TYPES:
        return None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"')
    return None


def request_body_guard(get_response):
    def middleware(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = _body_limit(request)
        if length > limit:
            message = f"That request is too large ({length:,} bytes; the limit is {limit:,}). Nothing was saved."
            return alert_response(request, message, status=413)
        charset = _declared_charset(request)
        if charset is not None and charset.lower() != "utf-8":  # Django's own rule for urlencoded bodies
            return alert_response(request, "Forms must be sent as UTF-8. Nothing was saved.", status=400)
        return get_response(request)

    return middleware


def private_pages(get_response):
    def middleware(request):
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


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
