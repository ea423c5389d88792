"""The logged-in floor's view (see bench/account_floor.py), then the site's URLs (its middleware reverses some)."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET

from quizsite.urls import urlpatterns as site_urlpatterns

PAGE = engines["django"].from_string(
    '<!doctype html><html lang="en"><title>Logged in</title><p>Logged-in floor for {{ request.user.username }}</p>'
)


@require_GET
def account_floor(request):
    return HttpResponse(PAGE.render({}, request))


urlpatterns = [path("account-floor/", account_floor), *site_urlpatterns]
