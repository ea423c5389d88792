"""Request middleware of the lessons app.

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

from django.conf import settings
from django.urls import reverse
from django.utils.cache import patch_cache_control

from lessons.errors import ApplicationError
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
