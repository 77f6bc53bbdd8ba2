"""RapLyrics settings: everything comes from the environment through typed helpers (raplyrics.env).

With nothing set, the embedded defaults serve: DEBUG on, SQLite under var/, artifacts in
var/artifacts, Celery tasks run eagerly. `DJANGO_DEBUG=0` is production: it refuses to boot
without a secret key, allowed hosts and a PostgreSQL DATABASE_URL.
"""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from raplyrics.env import (
    database_from_url,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
    made_folder,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env_path("RAPLYRICS_DATA_DIR", BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", True)
PRODUCTION = not DEBUG

# --- secrets, hosts, database -------------------------------------------------------------------
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
DATABASE_URL = env_str("DATABASE_URL")

if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY (50+ random characters)")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_ALLOWED_HOSTS (comma-separated)")
    if not DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://")):
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DATABASE_URL=postgres://user:pass@host/db")
else:
    # Local only: a fixed, obviously unsafe key so sessions survive restarts of `make run`.
    SECRET_KEY = SECRET_KEY or "django-insecure-local-development-key-never-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

if not DATABASE_URL:
    # The embedded default: SQLite cannot create the folder its file lives in.
    made_folder("RAPLYRICS_DATA_DIR", DATA_DIR)
DATABASES = {
    "default": database_from_url(DATABASE_URL)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "db.sqlite3")}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's behaviour now: Genius URLs are https.

# --- applications --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "raplyrics.admin_config.StudioAdminConfig",  # django.contrib.admin, its index the studio home
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "raplyrics",  # site-wide pieces: the admin of axes' sign-in records
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "lyrics",
    "scraping",
    "generator",
]

MIDDLEWARE = [
    "raplyrics.security_headers.ContentSecurityPolicyMiddleware",
    # First: it also gives the shape to what the middleware below answer (bad Host, 404).
    "raplyrics.api_errors.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its own page.
    "axes.middleware.AxesMiddleware",
]

# --- sign-in throttling (django-axes) ------------------------------------------------------------
# Failed admin sign-ins are counted per client address and, separately, per account; past the
# limit both are refused for the cool-off time. Staff unlock earlier in the admin (Axes > Access
# attempts: delete the row) or with `manage.py axes_reset_username NAME` / `axes_reset_ip ADDR`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("RAPLYRICS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RAPLYRICS_LOGIN_COOLOFF_MIN", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "raplyrics.client_address.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "raplyrics.urls"
WSGI_APPLICATION = "raplyrics.wsgi.application"

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
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")

# --- security (production behind Apache, which terminates TLS) -----------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# The same policy Apache sends (raplyrics.security_headers); empty turns Django's copy off.
CONTENT_SECURITY_POLICY = env_str(
    "RAPLYRICS_CONTENT_SECURITY_POLICY",
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)
# DEBUG pages and mailed reports mask passwords inside URL settings such as DATABASE_URL.
DEFAULT_EXCEPTION_REPORTER_FILTER = "raplyrics.error_reports.CredentialMaskingFilter"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    # The health check is polled over plain HTTP by local probes; everything else is redirected.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- artifacts (models, checkpoints, corpora) ----------------------------------------------------
ARTIFACTS_DIR = env_path("ARTIFACTS_DIR", DATA_DIR / "artifacts")
ARTIFACTS_S3_BUCKET = env_str("ARTIFACTS_S3_BUCKET")
ARTIFACTS_S3_ENDPOINT_URL = env_str("ARTIFACTS_S3_ENDPOINT_URL") or None
ARTIFACTS_S3_PREFIX = env_str("ARTIFACTS_S3_PREFIX", "raplyrics/")
ARTIFACTS_S3_MAX_ATTEMPTS = env_int("ARTIFACTS_S3_MAX_ATTEMPTS", 5, minimum=1)

# --- Genius --------------------------------------------------------------------------------------
GENIUS_ACCESS_TOKEN = env_str("GENIUS_ACCESS_TOKEN")
GENIUS_API_URL = env_str("GENIUS_API_URL", "https://api.genius.com").rstrip("/")
GENIUS_REQUEST_DELAY_MS = env_int("GENIUS_REQUEST_DELAY_MS", 250, minimum=0)
GENIUS_TIMEOUT_S = env_int("GENIUS_TIMEOUT_S", 15, minimum=1)
GENIUS_MAX_RETRIES = env_int("GENIUS_MAX_RETRIES", 4, minimum=0)
GENIUS_BACKOFF_BASE_MS = env_int("GENIUS_BACKOFF_BASE_MS", 500, minimum=1)

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
# Without a broker every task runs in the calling process: a fresh clone works with no services.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Training gets a queue of its own, served by a worker with --concurrency 1 (one run at a time).
CELERY_TASK_ROUTES = {"generator.train_model": {"queue": "training"}}
# `celery beat` runs these (or cron `manage.py purge_drafts`, the same service).
CELERY_BEAT_SCHEDULE = {
    "purge-expired-drafts": {"task": "generator.purge_drafts", "schedule": 24 * 60 * 60},
}

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "generator.api.schema.ApiAutoSchema",  # errors and sign-in documented
    "EXCEPTION_HANDLER": "raplyrics.api_errors.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# Who a client is (raplyrics.client_address): production runs behind Apache on this host, which
# appends the address it saw to X-Forwarded-For. The header counts only on connections from a
# trusted proxy, and only its last NUM_PROXIES entries; 0 trusts no header at all.
NUM_PROXIES = env_int("RAPLYRICS_NUM_PROXIES", 1 if PRODUCTION else 0, minimum=0)
TRUSTED_PROXIES = env_list("RAPLYRICS_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
for _proxy in TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"RAPLYRICS_TRUSTED_PROXIES: {_proxy!r} is not an address or network (10.0.0.0/8)"
        ) from None
RAPLYRICS_GENERATE_RATE = env_str("RAPLYRICS_GENERATE_RATE", "30/min")
# A generation request is a few hundred bytes: anything far larger is refused before it is read.
API_MAX_BODY_BYTES = env_int("RAPLYRICS_API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
SPECTACULAR_SETTINGS = {
    "TITLE": "RapLyrics API",
    "DESCRIPTION": "Generate rap lyrics from the active model.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# A hard limit per generation request: past it the API answers 503 and the worker moves on.
# It counts from the request's arrival (at Apache, or at the view): waiting for a slot counts.
GENERATION_TIME_LIMIT_S = env_int("RAPLYRICS_GENERATION_TIME_LIMIT_S", 20, minimum=1)
# Streams (candidate lines) one worker runs or queues at once; past it a request gets 503. At
# least the most candidates one request may ask for (generator.limits.CANDIDATES_MAX, 16): a
# lower limit would refuse such a request with "try again" for ever.
ENGINE_MAX_STREAMS_MINIMUM = 16
ENGINE_MAX_STREAMS = env_int("RAPLYRICS_ENGINE_MAX_STREAMS", 64, minimum=ENGINE_MAX_STREAMS_MINIMUM)
ENGINE_RETRY_AFTER_S = env_int("RAPLYRICS_ENGINE_RETRY_AFTER_S", 2, minimum=1)
# The exact one-step-per-character engine, no TensorFlow in the worker: xla (its step compiled
# by JAX on CPU; the default, the faster in bench/) or numpy (plain NumPy, no JAX either);
# keras: the compiled window re-run (loads TensorFlow; kept as the benchmarks' baseline).
SERVING_ENGINE = env_choice("RAPLYRICS_SERVING_ENGINE", "xla", ("xla", "numpy", "keras"))
# The xla engine deals a worker's streams into this many lanes that step in turn, so one lane's
# drawing and bookkeeping run while the other's step computes (generator.ml.engine.StreamBatch):
# 1 steps them all as one call.
ENGINE_LANES = env_int("RAPLYRICS_ENGINE_LANES", 2, minimum=1)
# Where the xla engine keeps its compiled programs: a worker started after the first loads them
# in milliseconds instead of compiling (seconds, and ~80 MiB more memory at its peak).
XLA_CACHE_DIR = env_path("RAPLYRICS_XLA_CACHE_DIR", DATA_DIR / "xla-cache")
# Requests generating at once per worker process (generator.admission); the rest wait for a slot
# as long as they can still finish by their deadline, else get 503 with Retry-After.
# Two by default, as gunicorn runs two threads a worker: requests arriving together then share
# the engine's batches (generator/ml/batching.py) instead of queueing behind each other.
GENERATION_SLOTS = env_int("RAPLYRICS_GENERATION_SLOTS", 2, minimum=1)

# A cleaning-rule preview answers the admin within this many seconds (a sample of the songs),
# the full count following in the background (lyrics/cleaning/preview_jobs.py).
CLEANING_PREVIEW_SECONDS = env_float("RAPLYRICS_CLEANING_PREVIEW_SECONDS", 1.5, minimum=0.0)

# Without a broker, a run started from the admin trains in a `manage.py train` process of its
# own (True), not inside the web request (False: the tests, which call tasks in-process).
TRAINING_LOCAL_PROCESS = env_bool("RAPLYRICS_TRAINING_LOCAL_PROCESS", True)
# Runs started from the admin train with these options (generator.training.RunOptions' fields,
# e.g. {"epochs": 5}) where the start form leaves them; empty: RunOptions' defaults.
TRAINING_ADMIN_OPTIONS: dict[str, object] = {}

# Evaluate every model version a training run registers (generator/evaluation.py): on the
# training queue with a broker, in the training process without one.
EVALUATE_AFTER_TRAINING = env_bool("RAPLYRICS_EVALUATE_AFTER_TRAINING", True)

# A running training process refreshes its run's heartbeat this often; a run silent for
# TRAINING_SILENT_AFTER_S (its machine vanished without SIGTERM) may be resumed elsewhere.
TRAINING_HEARTBEAT_S = env_int("RAPLYRICS_TRAINING_HEARTBEAT_S", 30, minimum=1)
TRAINING_SILENT_AFTER_S = env_int("RAPLYRICS_TRAINING_SILENT_AFTER_S", 600, minimum=1)

# TensorFlow CPU threads of a training process (0 = TensorFlow's default, one per CPU): one
# thread per op, ops side by side, trained ~10% faster on 2 cores (docs/benchmarks.md).
TRAINING_INTRA_OP_THREADS = env_int("RAPLYRICS_TRAINING_INTRA_OP_THREADS", 1, minimum=0)
TRAINING_INTER_OP_THREADS = env_int("RAPLYRICS_TRAINING_INTER_OP_THREADS", 0, minimum=0)

# Quota windows (raplyrics.quota) must be shared by all gunicorn workers of a host: a file cache
# needs no service; REDIS_CACHE_URL moves them to Redis when the site runs on several hosts.
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
    }
    if REDIS_CACHE_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        # Made now: Django's file cache makes it on first use, a traceback if it cannot.
        "LOCATION": str(made_folder("RAPLYRICS_DATA_DIR", DATA_DIR / "cache")),
    }
}

# --- logging -------------------------------------------------------------------------------------
LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        name: {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False}
        for name in ("raplyrics", "lyrics", "scraping", "generator")
    },
}

# Co-written verses saved by anonymous visitors expire after this many days unless staff star
# them (`manage.py purge_drafts` deletes them; a link to one answers 404 from then on).
DRAFT_EXPIRY_DAYS = env_int("RAPLYRICS_DRAFT_EXPIRY_DAYS", 30, minimum=1)
