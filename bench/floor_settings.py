"""The floor: a bare Django view with no middleware, no apps, no database.

Served by gunicorn with the same settings as the site in the same benchmark
run; every endpoint's throughput is reported as a ratio to this one, so the
figures hold on a noisy machine.
"""

import os

from django.http import HttpResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",")
ROOT_URLCONF = __name__
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True


def floor(request):
    return HttpResponse("floor", content_type="text/plain")


urlpatterns = [path("floor/", floor)]
