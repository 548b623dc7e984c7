"""Settings for Dialogkonferanse, read from environment variables.

The embedded defaults need no other service: a SQLite file database, Celery tasks run eagerly
when no broker is configured, and outgoing mail is written to files (and the console) when no
SMTP server is configured. With debug off the app refuses to start without a secret key and
allowed hosts. Every variable is listed in the README.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core -----------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off "
            "(comma-separated host names, e.g. dialog.example.no)."
        )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Absolute base URL used for links in emails and calendar files.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Per-language content fields (title_nb, title_nn, title_en, …); must come before the admin.
    "modeltranslation",
    "dialogkonferanse.apps.DialogAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "dialogkonferanse",
    "conferences",
    "registrations",
    "meetings",
    "qa",
]

MIDDLEWARE = [
    # Outermost, so request latency includes every middleware (dialogkonferanse/common/metrics.py).
    # Every middleware here runs sync for pages (served through WSGI on a thread pool) and async
    # for live event streams and file transfers (dialogkonferanse/common/middleware.py).
    "dialogkonferanse.common.metrics.RequestMetricsMiddleware",
    # Without a broker, tasks a request queues run after its response
    # (dialogkonferanse/common/eager.py).
    "dialogkonferanse.common.eager.DeferEagerTasksMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "dialogkonferanse.common.middleware.ContentSecurityPolicyMiddleware",
    "dialogkonferanse.common.middleware.StaticFilesMiddleware",  # ServeStatic; missing file: 404
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads request.POST (CSRF check, views): unreadable bodies get a 400.
    "dialogkonferanse.common.middleware.UnreadableRequestMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Sync-only and innermost: for streams and file transfers (ASGI) everything from here up to
    # ServeStatic runs with the view as one synchronous block
    # (dialogkonferanse/common/middleware.py).
    "dialogkonferanse.common.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "dialogkonferanse.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dialogkonferanse.common.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "dialogkonferanse.wsgi.application"
ASGI_APPLICATION = "dialogkonferanse.asgi.application"
# Threads per web process that serve pages (dialogkonferanse/common/asgi.py): how many pages
# one process works on at once. Live event streams and file transfers need none of them. Few:
# a page is mostly Python under the GIL, so more threads share a process's CPU among more pages
# and lengthen each (bench/bench_load.py at 10x: worst p95 580 ms with 10 threads, 113 with 4).
WEB_THREADS = env_int("WEB_THREADS", 4)

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's built-in pool (psycopg 3 only) keeps connections warm for every thread: the page
    # threads and the per-request threads of streams and file transfers (ASGI), where persistent
    # connections (CONN_MAX_AGE) do not help.
    if env_bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        }
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
    )
DATABASES["default"]["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dialogkonferanse"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Seconds a public page (conference list and landing page) is shared between visitors without a
# session; 0 turns it off (dialogkonferanse/common/caching.py).
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 5)
# Seconds between a public page's reads of which conferences are live (the "live now" badge,
# conferences/views.py live_status); the answer is shared for PUBLIC_PAGE_CACHE_SECONDS.
CONFERENCE_LIVE_POLL_SECONDS = env_int("CONFERENCE_LIVE_POLL_SECONDS", 20)
# Seconds the empty registration form's markup is kept per conference version and language
# (crispy-forms' rendering is most of the form page's time); 0 turns it off.
REGISTRATION_FORM_CACHE_SECONDS = env_int("REGISTRATION_FORM_CACHE_SECONDS", 300)

# --- Auth -----------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "nb"
LANGUAGES = [
    ("nb", _("Norwegian Bokmål")),
    ("nn", _("Norwegian Nynorsk")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content staff write (conference texts, agenda, recordings, answers, …) in each language, with
# django-modeltranslation: Bokmål is the required default, Nynorsk and English are optional per
# conference (Conference.offers_nn / offers_en). A missing text falls back to Bokmål, and the
# pages mark it as such ({% translated %} in dialogkonferanse/templatetags/translated.py).
MODELTRANSLATION_DEFAULT_LANGUAGE = "nb"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("nb",)
# Code that writes a plain field (``Conference(title=…)``) always fills the Bokmål one too.
MODELTRANSLATION_AUTO_POPULATE = "default"
# Admin labels name the language in words ("title (Norwegian Nynorsk)"), not "[nn]".
MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = lambda verbose_name, language: format_lazy(  # noqa: E731
    "{} ({})", verbose_name, dict(LANGUAGES)[language]
)
# British English instead of Django's US "en"; Norwegian clock times as "09.00".
FORMAT_MODULE_PATH = ["dialogkonferanse.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "servestatic.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded media (recordings, captions, documents): local files under MEDIA_ROOT by default, or
# S3-compatible object storage with DJANGO_MEDIA_STORAGE=s3 (needs the "s3" extra, django-storages).
# The files are never served from MEDIA_URL: the app serves what is published (see
# conferences.ranged), or redirects to a short-lived signed address of the object storage.
MEDIA_STORAGE = env_str("DJANGO_MEDIA_STORAGE", "local").strip().lower()
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600),
            "file_overwrite": False,
            # Signature version 4 (every S3 region, MinIO, Ceph RGW); "path" addressing for
            # services reached by host name or address without per-bucket DNS names.
            "signature_version": env_str("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
        },
    }
    # Files the server saves (form posts, resumable uploads, demo data) go up as multipart
    # uploads in parts of AWS_S3_MULTIPART_CHUNKSIZE bytes, AWS_S3_MAX_CONCURRENCY at a time;
    # at most that many parts are in memory at once, whatever the file's size.
    from boto3.s3.transfer import TransferConfig

    _transfer = TransferConfig(
        multipart_threshold=env_int("AWS_S3_MULTIPART_CHUNKSIZE", 8 * 1024 * 1024),
        multipart_chunksize=env_int("AWS_S3_MULTIPART_CHUNKSIZE", 8 * 1024 * 1024),
        max_concurrency=env_int("AWS_S3_MAX_CONCURRENCY", 4),
    )
    _transfer.max_in_memory_upload_chunks = _transfer.max_request_concurrency
    STORAGES["default"]["OPTIONS"]["transfer_config"] = _transfer
    if not STORAGES["default"]["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"DJANGO_MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}.")
# With object storage, public files are answered with a redirect to a signed address of the
# bucket (valid AWS_QUERYSTRING_EXPIRE seconds). Where viewers may not reach the bucket, 1
# streams each requested range through the app instead.
AWS_S3_PROXY_MEDIA = env_bool("AWS_S3_PROXY_MEDIA", default=False)
# A file that could not be deleted from storage (a removed item's) is tried again after this
# many seconds, doubling, up to MEDIA_DELETE_MAX_RETRIES times.
MEDIA_DELETE_RETRY_SECONDS = env_int("MEDIA_DELETE_RETRY_SECONDS", 60)
MEDIA_DELETE_MAX_RETRIES = env_int("MEDIA_DELETE_MAX_RETRIES", 12)
# Request bodies and uploads over this size go to temporary files, never into memory (Django
# streams multipart uploads in 64 KB chunks); a 10 GB recording needs disk, not RAM.
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_TEMP_DIR = env_str("DJANGO_FILE_UPLOAD_TEMP_DIR") or None
# Django's two handlers, each also taking the file's SHA-256 from the chunks as they arrive.
FILE_UPLOAD_HANDLERS = [
    "dialogkonferanse.common.uploads.HashingMemoryFileUploadHandler",
    "dialogkonferanse.common.uploads.HashingTemporaryFileUploadHandler",
]
CAPTION_MAX_UPLOAD_BYTES = env_int("CAPTION_MAX_UPLOAD_BYTES", 2_000_000)
# A two-hour 1080p recording is a few GB; uploads stream to a temporary file, never to memory.
VIDEO_MAX_UPLOAD_BYTES = env_int("VIDEO_MAX_UPLOAD_BYTES", 8_000_000_000)
DOCUMENT_MAX_UPLOAD_BYTES = env_int("DOCUMENT_MAX_UPLOAD_BYTES", 100_000_000)
# Resumable uploads (conferences.services.uploads): chunks are appended to a file here, never
# held in memory; an upload untouched for UPLOAD_ABANDONED_HOURS is deleted by a periodic task.
UPLOAD_TEMP_DIR = Path(env_str("UPLOAD_TEMP_DIR") or str(MEDIA_ROOT / "uploads-in-progress"))
UPLOAD_ABANDONED_HOURS = env_int("UPLOAD_ABANDONED_HOURS", 24)
UPLOAD_CHUNK_BYTES = env_int("UPLOAD_CHUNK_BYTES", 16 * 1024 * 1024)

# Serve straight from the finders when files were not collected (development and tests).
SERVESTATIC_USE_FINDERS = env_bool("SERVESTATIC_USE_FINDERS", default=DEBUG)
SERVESTATIC_AUTOREFRESH = DEBUG

# --- Email ----------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Dialogkonferanse <noreply@dialogkonferanse.local>"
)
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "dialogkonferanse.outbox.backends.FileAndConsoleEmailBackend"
    EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail")))

# --- Celery ---------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    # Without a broker, tasks run in-process right after the transaction commits.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "dialogkonferanse")
# Send tasks on a queue of their own when set (docker-compose: "email", served by worker-email
# with a thread pool: a send waits on the mail server, and a report PDF on the main worker never
# delays a confirmation). Unset, they share the default queue.
CELERY_EMAIL_QUEUE = env_str("CELERY_EMAIL_QUEUE")
if CELERY_EMAIL_QUEUE:
    CELERY_TASK_ROUTES = {"dialogkonferanse.deliver_email": {"queue": CELERY_EMAIL_QUEUE}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
CELERY_BEAT_SCHEDULE["conferences-purge-abandoned-uploads"] = {
    "task": "conferences.purge_abandoned_uploads",
    "schedule": float(env_int("UPLOAD_PURGE_INTERVAL_SECONDS", 3600)),
}
CELERY_BEAT_SCHEDULE["conferences-hash-pending-files"] = {
    "task": "conferences.hash_pending_files",
    "schedule": float(env_int("MEDIA_HASH_SWEEP_SECONDS", 900)),
}

# --- Email outbox (dialogkonferanse.outbox) -------------------------------------------------

# One send task claims up to this many queued emails and sends them over one SMTP connection.
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50)
# A worker thread keeps its SMTP connection open this long between send tasks (0: close it
# after each); mail servers wait at least five minutes (RFC 5321) before dropping an idle one.
EMAIL_KEEP_CONNECTION_SECONDS = env_int("EMAIL_KEEP_CONNECTION_SECONDS", 30)
# Transient SMTP errors are retried with exponential backoff, then the email is marked failed.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
# The sweep re-dispatches emails still queued this long after they were due (a lost task) ...
OUTBOX_REQUEUE_AFTER_SECONDS = env_int("OUTBOX_REQUEUE_AFTER_SECONDS", 60)
# ... and re-queues emails left in "sending" this long (a worker killed mid-send).
OUTBOX_SENDING_TIMEOUT_SECONDS = env_int("OUTBOX_SENDING_TIMEOUT_SECONDS", 900)
CELERY_BEAT_SCHEDULE["dialogkonferanse-sweep-outbox"] = {
    "task": "dialogkonferanse.sweep_outbox",
    "schedule": float(env_int("OUTBOX_SWEEP_INTERVAL_SECONDS", 60)),
}

# --- Security -------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "dialogkonferanse.common.errors.csrf_failure"
LANGUAGE_COOKIE_SAMESITE = "Lax"
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# The health checks answer load balancers, and /metrics each node's scraper, on plain HTTP inside
# the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]

# Hosts that may be framed on the stream and archive pages (players load only after a click).
CSP_FRAME_SRC = env_list(
    "CSP_FRAME_SRC",
    "https://www.youtube-nocookie.com,https://player.vimeo.com",
)

# Where the admin's upload widget may send files besides this site: with S3 storage the browser
# sends recordings and documents straight to the bucket (conferences/services/direct_uploads.py).
_UPLOAD_ORIGIN = ""
if MEDIA_STORAGE == "s3":
    _endpoint = STORAGES["default"]["OPTIONS"]["endpoint_url"] or "https://*.amazonaws.com"
    _UPLOAD_ORIGIN = "/".join(_endpoint.split("/")[:3])  # scheme://host[:port]
CSP_ADMIN_CONNECT_SRC = env_list("CSP_ADMIN_CONNECT_SRC", _UPLOAD_ORIGIN)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Product settings -----------------------------------------------------------------------

# Fallback footer links when a page belongs to no conference (each buyer sets its own).
DEFAULT_ACCESSIBILITY_STATEMENT_URL = env_str("DEFAULT_ACCESSIBILITY_STATEMENT_URL")
DEFAULT_PRIVACY_URL = env_str("DEFAULT_PRIVACY_URL")

# --- Logging --------------------------------------------------------------------------------

# "plain" (the default): one text line per record, and the server's access log. "json": one
# JSON object per line (dialogkonferanse/common/jsonlog.py), and one line per request from
# the app (method, path, status, duration) in place of the server's access log.
LOG_FORMAT = env_str("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "dialogkonferanse.common.jsonlog.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Operations: metrics --------------------------------------------------------------------

# /metrics answers only "Authorization: Bearer <METRICS_TOKEN>"; empty: /metrics is a 404.
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client from the environment, not here) makes the
# worker processes share their metrics (dialogkonferanse/metrics.py).
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Benchmark probe (bench/) ---------------------------------------------------------------

# Baseline views under /_bench/ for `make bench` ratios; never installed in normal runs.
BENCH_PROBE = env_bool("DJANGO_BENCH_PROBE", default=False)
if BENCH_PROBE:
    INSTALLED_APPS.append("bench.probe")

# --- Registrations (registrations/) ---------------------------------------------------------

# Per client address, counted in the shared cache (Redis when REDIS_URL is set), HTTP 429 when
# exceeded. Format "<count>/<s|m|h|d>"; empty or "0" turns a limit off (the benchmarks do).
REGISTRATION_RATE_LIMIT = env_str("REGISTRATION_RATE_LIMIT", "10/h")
REGISTRATION_RESEND_RATE_LIMIT = env_str("REGISTRATION_RESEND_RATE_LIMIT", "5/h")
# Registering or asking for the link with one address, from anywhere: bounds the emails one
# supplier can be sent by others.
REGISTRATION_ADDRESS_RATE_LIMIT = env_str("REGISTRATION_ADDRESS_RATE_LIMIT", "5/h")
# The reverse proxies whose X-Forwarded-For is believed: IP addresses, comma-separated, or "*"
# for any sender. Empty (the default): no one's, so a client cannot choose the address its rate
# limits count against. uvicorn and gunicorn read the same variable (the Makefile, Dockerfile
# and docker-compose.yml pass it on), and so does dialogkonferanse.common.ratelimit.client_ip().
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS")
for _proxy in FORWARDED_ALLOW_IPS:
    if _proxy != "*":
        try:
            ipaddress.ip_address(_proxy)
        except ValueError:
            raise ImproperlyConfigured(
                f"FORWARDED_ALLOW_IPS lists IP addresses (or *), not {_proxy!r}."
            ) from None
if env_str("RATE_LIMIT_TRUSTED_PROXIES").strip() not in ("", "0"):
    raise ImproperlyConfigured(
        "RATE_LIMIT_TRUSTED_PROXIES is replaced by FORWARDED_ALLOW_IPS: list the addresses of "
        "your reverse proxies there (the server and the rate limits both read it)."
    )
CELERY_BEAT_SCHEDULE["registrations-send-reminders"] = {
    "task": "registrations.send_due_reminders",
    "schedule": float(env_int("REGISTRATION_REMINDER_INTERVAL_SECONDS", 300)),
}
# Personal-link tokens (/r/<token>/) never reach a log: access logs and 404 warnings included.
LOGGING.setdefault("filters", {})["redact_access_tokens"] = {
    "()": "registrations.log_filters.RedactAccessTokens"
}
LOGGING["handlers"]["console"].setdefault("filters", []).append("redact_access_tokens")
for _logger in ("uvicorn.access", "gunicorn.access", "django.server"):
    LOGGING["loggers"][_logger] = {
        "handlers": ["console"],
        "filters": ["redact_access_tokens"],
        # JSON logs carry the app's own request line (with its duration) instead.
        "level": "WARNING" if LOG_FORMAT == "json" else "INFO",
        "propagate": False,
    }
# "Not Found: /r/…" warnings: filtered on the logger, before any handler (mail_admins too).
LOGGING["loggers"].setdefault("django.request", {}).setdefault("filters", []).append(
    "redact_access_tokens"
)

# --- Meetings (meetings/) -------------------------------------------------------------------

# Generated Jitsi rooms live here (an unguessable room name per meeting); any Jitsi server works.
JITSI_BASE_URL = env_str("JITSI_BASE_URL", "https://meet.jit.si").rstrip("/")
_MEETINGS_INTERVAL = float(env_int("MEETINGS_TASK_INTERVAL_SECONDS", 300))
CELERY_BEAT_SCHEDULE["meetings-send-reminders"] = {
    "task": "meetings.send_reminders",
    "schedule": _MEETINGS_INTERVAL,
}
CELERY_BEAT_SCHEDULE["meetings-send-pending-invitations"] = {
    "task": "meetings.send_pending_invitations",
    "schedule": _MEETINGS_INTERVAL,
}
CELERY_BEAT_SCHEDULE["meetings-expire-offers"] = {
    "task": "meetings.expire_offers",
    "schedule": _MEETINGS_INTERVAL,
}

# --- Questions and live updates (qa/) -------------------------------------------------------

QA_QUESTION_MAX_LENGTH = env_int("QA_QUESTION_MAX_LENGTH", 1000)
QA_ANSWER_MAX_LENGTH = env_int("QA_ANSWER_MAX_LENGTH", 10000)
# Per registration, counted in the shared cache ("<count>/<s|m|h|d>"; empty or "0" = off).
QA_QUESTION_RATE_LIMIT = env_str("QA_QUESTION_RATE_LIMIT", "5/m")
# Live updates go through Redis pub/sub when set (defaults to REDIS_URL); without it the event
# streams poll the stored events every QA_SSE_POLL_SECONDS.
QA_LIVE_REDIS_URL = env_str("QA_LIVE_REDIS_URL", REDIS_URL)
# Pub/sub channel prefix; empty = "dk:qa:<database name>:" (pub/sub ignores Redis db numbers).
QA_LIVE_CHANNEL_PREFIX = env_str("QA_LIVE_CHANNEL_PREFIX")
QA_SSE_HEARTBEAT_SECONDS = env_int("QA_SSE_HEARTBEAT_SECONDS", 15)
QA_SSE_POLL_SECONDS = float(env_str("QA_SSE_POLL_SECONDS", "1") or 1)
QA_SSE_RETRY_MS = env_int("QA_SSE_RETRY_MS", 2000)
QA_SSE_QUEUE_SIZE = env_int("QA_SSE_QUEUE_SIZE", 1000)
# At most one vote-count update per question in this window; the rest follow when it ends.
QA_VOTE_COALESCE_MS = env_int("QA_VOTE_COALESCE_MS", 500)

# --- Personal data and the audit log (registrations/retention.py) ---------------------------

# Registrations of conferences closed longer ago than their retention period are anonymised.
CELERY_BEAT_SCHEDULE["dialogkonferanse-anonymise-expired"] = {
    "task": "dialogkonferanse.anonymise_expired",
    "schedule": float(env_int("RETENTION_INTERVAL_SECONDS", 86_400)),
}
# The email provider named in the privacy notice; defaults to the configured SMTP host.
PRIVACY_EMAIL_PROCESSOR = env_str("PRIVACY_EMAIL_PROCESSOR", EMAIL_HOST)
