"""Quizsite settings: one module, configured from the environment.

Local defaults are safe for a laptop (SQLite, DEBUG on, a development key).
Production (``DJANGO_DEBUG=0``) refuses to start with the development key.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 - refused when DEBUG is off
DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY: production refuses the development key.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "adminsortable2",
    "axes",
    "csp",
    "lti_tool",
    "lessons",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lessons.middleware.request_body_guard",
    "csp.middleware.CSPMiddleware",
    "lessons.middleware.LtiCookiesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lessons.middleware.private_pages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lessons.middleware.LtiFramingMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "lessons.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "quizsite.urls"
WSGI_APPLICATION = "quizsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lessons.context_processors.theme",
            ],
            "builtins": ["django_htmx.templatetags.django_htmx", "template_partials.templatetags.partials"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# Behind PgBouncer in transaction mode (docs/scaling.md) a server-side cursor cannot outlive its
# transaction's server connection: the CSV exports' ``iterator()`` then reads client-side in chunks.
if os.environ.get("DJANGO_DB_TRANSACTION_POOLING") == "1":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: a query whose estimated cost passes jit_above_cost is compiled first, and the queue's new-card
    # count (eight EXISTS, cheap to run) cost 0.8 s instead of 8 ms once the flashcard table's statistics
    # said 9,000 rows (docs/performance.md). No parallel workers either: once a class's kept rows were
    # estimated costly enough (scale 10), Postgres launched two workers for a 0.6 ms aggregate of the
    # dashboard and spent 5 ms starting them; under load they also take the cores other requests need.
    # Our queries are short; neither ever pays. PgBouncer in transaction mode does not pass startup
    # options: there ``ALTER ROLE ... SET`` both (docs/scaling.md).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c max_parallel_workers_per_gather=0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    # A cache, not a dependency: a Redis outage is logged and every cache call is skipped for a few
    # seconds at a time (lessons.cache), so pages come from Postgres instead of failing.
    CACHES = {
        "default": {
            "BACKEND": "lessons.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry_after": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in Postgres only: a Redis outage must not log anyone out or fail their requests.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies (the load balancer, a
# TLS proxy) the address the outermost trusted proxy saw, read from the right of X-Forwarded-For so a
# client cannot choose it by sending its own header. django-axes and the rate limits both use it
# (lessons.throttle.client_address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", os.environ.get("AXES_PROXY_COUNT", "0")))

# Login lockout (django-axes, state in Postgres): five wrong passwords lock the (username, address)
# pair for 15 minutes; never a username alone, so a stranger cannot lock a student out from
# everywhere. A successful password reset unlocks the account (lessons.views.accounts).
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "lessons.throttle.client_address"

# Per-address rate limits (django-ratelimit counters in the shared cache, so every app server counts
# together; while the cache is down they are not enforced, and the axes lockout above still is).
# "login_failure" is the per-address limit across usernames: it stops a password-guessing flood
# before it costs a password hash per request. See the README, "Login and rate limits".
RATE_LIMITS = {
    "login": "60/m",  # every log-in POST
    "login_failure": "20/10m",  # wrong passwords or unknown usernames, any username
    "signup": "20/h",
    "password_reset": "10/h",
    "email_verification": "10/h",  # "send a new link" on the account page
    "join_failure": "20/10m",  # wrong class codes, typed or in a join link
}
RATELIMIT_IP_META_KEY = "lessons.throttle.client_address"
RATELIMIT_FAIL_OPEN = True
RATELIMIT_CACHE_PREFIX = "rl:"

# Request bodies: explicit limits, checked from Content-Length before anything reads the body
# (lessons.middleware.request_body_guard). The lesson-file upload has its own, smaller limit
# (LESSON_FILE_MAX_BYTES below, plus room for the form).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB of form fields (Django's default, stated)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 5
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_REQUEST_BODY_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE  # any request, fields and files together

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "quizsite@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Lesson files larger than this are refused, by `import_lessons` and by the admin upload alike.
LESSON_FILE_MAX_BYTES = int(os.environ.get("LESSON_FILE_MAX_BYTES", "1000000"))

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# Content-Security-Policy (django-csp 4): no inline scripts or styles, no eval.
# htmx is configured in base.html to need neither.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Postgres features that the zero-setup SQLite of `make run` ignores harmlessly: deferrable unique
# constraints (W038) and covering indexes' INCLUDE columns (W040).
SILENCED_SYSTEM_CHECKS = ["models.W038", "models.W040"]

# LTI 1.3 (see the README's "LMS integration"). With no platform registered in the admin, nothing
# changes: cookies stay SameSite=Lax and no page may be framed. Inside an LMS's iframe the session
# and CSRF cookies must be SameSite=None; Secure, which browsers accept only over HTTPS: with this
# on, those two cookies (and no others) get both attributes on HTTPS responses only.
LTI_IFRAME_COOKIES = env_bool("DJANGO_LTI_IFRAME_COOKIES", not DEBUG)
# How long a failed score waits before its next try: LTI_SCORE_RETRY_SECONDS * 2**(attempts-1), capped.
LTI_SCORE_RETRY_SECONDS = int(os.environ.get("LTI_SCORE_RETRY_SECONDS", "60"))
LTI_SCORE_RETRY_MAX_SECONDS = int(os.environ.get("LTI_SCORE_RETRY_MAX_SECONDS", "3600"))
# Seconds to wait for a platform's token, roster or score endpoint.
LTI_HTTP_TIMEOUT = float(os.environ.get("LTI_HTTP_TIMEOUT", "10"))
