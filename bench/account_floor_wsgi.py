"""WSGI entry point of the logged-in floor: ``gunicorn bench.account_floor_wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.account_floor"

application = get_wsgi_application()
