"""Settings, all from the environment (see README.md, "Configuration")."""

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# Unset outside DEBUG, Django refuses to sign anything ("The SECRET_KEY setting must not be
# empty") while commands that need no key (migrations, checks) still run.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-local-development-key-only"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "simple_history",
    "articles",
    "negotiations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Set DATABASE_URL (e.g. postgres://user@127.0.0.1:5432/stance), or start through `make run` /
# `make test`, which provide an embedded PostgreSQL. Unset, the local socket's "stance" database
# is tried, so that commands that need no database (checks, makemigrations) still run.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres:///stance")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
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
WHITENOISE_USE_FINDERS = DEBUG

# htmx is served from static/ and every page is server-rendered: nothing needs more than 'self'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".local" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict = {
    # Beat only triggers; which feeds are due, and which articles stalled, is read from PostgreSQL.
    "poll-due-feeds": {"task": "articles.tasks.poll_due_feeds", "schedule": 60.0},
    "requeue-stalled-articles": {"task": "articles.tasks.requeue_stalled", "schedule": 300.0},
}
# Celery's Django fix-up closes the database connection after every task unless this is set:
# a new PostgreSQL connection per task. Reused instead (CONN_MAX_AGE and the health checks
# still apply), and recycled after twice this many tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# Stance suggestions for every article that ingestion stores (docs/suggestions.md).
SUGGEST_ON_INGEST = env.bool("SUGGEST_ON_INGEST", default=True)

# Ingestion (articles/, see docs/ingestion.md).
INGEST_ALLOW_LOOPBACK = env.bool("INGEST_ALLOW_LOOPBACK", default=False)
INGEST_USER_AGENT = env(
    "INGEST_USER_AGENT", default="StanceBot/0.1 (+negotiation positions research; contact admin)"
)
INGEST_MAX_FETCH_BYTES = env.int("INGEST_MAX_FETCH_BYTES", default=10 * 1024 * 1024)
INGEST_MAX_UPLOAD_BYTES = env.int("INGEST_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
INGEST_FETCH_DEADLINE_SECONDS = env.float("INGEST_FETCH_DEADLINE_SECONDS", default=30.0)
INGEST_READ_TIMEOUT_SECONDS = env.float("INGEST_READ_TIMEOUT_SECONDS", default=10.0)
INGEST_MAX_REDIRECTS = env.int("INGEST_MAX_REDIRECTS", default=5)
INGEST_MAX_ATTEMPTS = env.int("INGEST_MAX_ATTEMPTS", default=4)
INGEST_RETRY_BACKOFF_SECONDS = env.float("INGEST_RETRY_BACKOFF_SECONDS", default=30.0)
# Queued articles that no worker has taken up after this long are enqueued again (the sweep).
INGEST_REQUEUE_AFTER_SECONDS = env.int("INGEST_REQUEUE_AFTER_SECONDS", default=300)
# A claimed article is not run again before its lease ends: longer than the hard time limit.
INGEST_LEASE_SECONDS = env.int("INGEST_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30)
INGEST_MIN_TEXT_CHARS = env.int("INGEST_MIN_TEXT_CHARS", default=200)
INGEST_NEAR_DUPLICATE_THRESHOLD = env.float("INGEST_NEAR_DUPLICATE_THRESHOLD", default=0.7)
INGEST_LANGUAGES = env.list(
    "INGEST_LANGUAGES", default=["en", "fr", "uk", "ru", "de", "es", "it", "pl"]
)
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_UPLOAD_BYTES + 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # fpdf2's font subsetting logs every glyph at INFO.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

DEMO_PASSWORD = env("DEMO_PASSWORD", default="stance-demo")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["negotiations.permissions.CanReadRecord"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stance API",
    "DESCRIPTION": "Read-only access to parties, issues, statements, shifts and positions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}
