from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.urls import include, path

from lessons.urls import ACCOUNT_OVERRIDES

# Django's auth views, less the ones lessons/urls.py wraps with rate limits and the lockout reset.
auth_patterns = [pattern for pattern in auth_urls.urlpatterns if pattern.name not in ACCOUNT_OVERRIDES]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(auth_patterns)),
    path("", include("lessons.urls")),
]

handler500 = "lessons.views.errors.server_error"
