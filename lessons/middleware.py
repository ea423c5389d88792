"""Running inside an LMS's iframe (LTI): which pages may frame the site, and cookies that work there.

Both read ``frame_origins()`` (a cache read): with no LTI platform registered,
responses are exactly as without these middlewares.
"""

from django.conf import settings

from lessons.selectors.lti import frame_origins


class LtiFramingMiddleware:
    """CSP ``frame-ancestors`` lists exactly the registered platforms' origins; X-Frame-Options steps aside.

    Sits after ``XFrameOptionsMiddleware`` and ``CSPMiddleware`` in ``MIDDLEWARE``
    so that it sees the response before they do.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        origins = frame_origins()
        if origins:
            replace = dict(getattr(response, "_csp_replace", None) or {})
            replace["frame-ancestors"] = origins
            response._csp_replace = replace
            response.xframe_options_exempt = True
        return response


class LtiCookiesMiddleware:
    """Session and CSRF cookies get ``SameSite=None; Secure`` on HTTPS responses when LTI platforms exist.

    A browser sends a SameSite=Lax cookie to a site framed by another site only
    with ``None``, and accepts ``None`` only with ``Secure``, hence HTTPS only.
    Other cookies (messages, ...) keep their defaults. Sits before the session and
    CSRF middlewares so that it sees the cookies they set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.LTI_IFRAME_COOKIES and request.is_secure() and frame_origins():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["samesite"] = "None"
                    response.cookies[name]["secure"] = True
        return response
