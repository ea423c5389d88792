"""Request middleware of the lessons app."""

from lessons.errors import ApplicationError
from lessons.views.htmx import alert_response


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
