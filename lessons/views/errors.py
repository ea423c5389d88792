"""The site's 500 handler: a database that cannot be reached is an outage (503), not a bug (500)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def server_error(request):
    """Like Django's: rendered without the request (no session or user, which may be what failed)."""
    _, error, _ = sys.exc_info()
    if isinstance(error, OperationalError | InterfaceError):  # cannot connect, or the connection dropped
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
