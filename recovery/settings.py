"""Recovery's one settings module: every value comes from the environment.

Every variable is listed, with its default, in the README's "Settings" table and in
`.env.example`. A `.env` file at the project root is read when present.
"""

import atexit
import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# Off unless asked for: a forgotten variable must never expose tracebacks in production.
DEBUG = env.bool("DEBUG", default=False)
# Set by pytest (and nothing else): a test run needs no collected static files.
TESTING = "pytest" in sys.modules

# The files a run keeps beside the database: the embedded broker's messages and beat's
# schedule, under var/ (git-ignored). A test run gets a fresh folder of its own, deleted at
# its end, so that `make test` beside `make run` never takes the devserver's messages (nor
# the devserver a test's), and two test runs never share a file. BROKER_DIR is exported
# (over any set in the shell or .env) so that the Celery workers the tests start read the
# same broker as the test that starts them.
if TESTING:
    VAR_DIR = Path(tempfile.mkdtemp(prefix="recovery-test-"))
    atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)
    os.environ["BROKER_DIR"] = str(VAR_DIR / "broker")
else:
    VAR_DIR = BASE_DIR / "var"

_DEV_SECRET_KEY = "django-insecure-recovery-dev-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY if (DEBUG or TESTING) else None)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off. "
        "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Django's own form templates, for the admin's widgets (Django templates that include
    # them); every other field and widget renders through Jinja2 (FORM_RENDERER below).
    "django.forms",
    "simple_history",
    "axes",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's files, served from here: the documentation page needs no CDN.
    "drf_spectacular_sidecar",
    "candidates",
    "reminders",
    "outreach",
    "api",
    "webhooks",
    "ats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Near the top: it also logs refusals made by the middleware below (CSRF, lockouts).
    "recovery.middleware.RefusedRequestLogMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "recovery.middleware.SessionIdleTimeoutMiddleware",
    "recovery.middleware.UserTimeZoneMiddleware",
    # Records who made each change in the audit trail (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Fields and widgets through Jinja2, a fraction of the cost (recovery/renderers.py).
FORM_RENDERER = "recovery.renderers.FormRenderer"

ROOT_URLCONF = "recovery.urls"
WSGI_APPLICATION = "recovery.wsgi.application"

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
                "candidates.context_processors.navigation",
                "reminders.context_processors.reminders_due",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# Default: a SQLite file under the project (git-ignored), so `make run` needs no server.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker share the file: WAL lets readers and one
    # writer proceed together, IMMEDIATE transactions avoid "database is locked" upgrades.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # A file, not :memory:, so that a real worker process can see the test database.
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_DATABASE_NAME", default=str(VAR_DIR / "test-db.sqlite3"))
    }
else:
    if env("TEST_DATABASE_NAME", default=""):
        DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "candidates.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Accounts: login throttling, sessions -------------------------------------------------
# django-axes counts failed logins per username *and* address: an attacker guessing one
# member's password is stopped, but cannot lock that member out from their own machine.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the member's organization loaded in the same query.
    "candidates.accounts.MemberBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "candidates.accounts.lockout_response"  # 429 and a page that explains
AXES_USERNAME_CALLABLE = "candidates.accounts.login_username"
AXES_CLIENT_IP_CALLABLE = "candidates.accounts.client_ip"

# Database sessions that know their member, so deactivating a member ends all of theirs.
# In the database, not in Redis: a Redis outage must not log everyone out or fail a page.
SESSION_ENGINE = "candidates.sessions"
# Idle timeout: a session unused for this long is over (recovery.middleware slides it).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=120) * 60

# The audit trail (django-simple-history): change reasons such as "erased: <why>" can be long.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

if TESTING:
    # Django's advice for test suites: a deliberately slow hasher only slows tests down.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- Redis, cache and Celery --------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# `make test` runs the suite in parallel (pytest-xdist): each test process takes a Redis
# database of its own (the configured one plus 1 + its number), so that one process's Celery
# workers never take another's messages nor its cache entries. Exported, like BROKER_DIR, for
# the workers and servers the tests start.
if TESTING and REDIS_URL and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    _redis = urlsplit(REDIS_URL)
    _db = int(_redis.path.strip("/") or 0) + 1 + int(os.environ["PYTEST_XDIST_WORKER"][2:])
    REDIS_URL = urlunsplit(_redis._replace(path=f"/{_db}"))
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ.pop("CELERY_BROKER_URL", None)
# Used without REDIS_URL (below); set either way, so tests can compare it with make run's.
BROKER_DIR = Path(env("BROKER_DIR", default=str(VAR_DIR / "broker")))

if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis, because it fails open: with IGNORE_EXCEPTIONS a cache read while
            # Redis is down is a miss and a write is skipped (logged), never a 500.
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                # Fail fast: a page must not wait on a dead Redis.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "recovery.cache"
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Embedded default: kombu's filesystem transport needs no server, so `make run` can
    # run a real worker and beat with nothing installed. (The host name only spares kombu's
    # "No hostname was supplied" warning: there is no server to name.)
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost//")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        # Broadcast (pidbox) messages too, or kombu writes them to ./control.
        "control_folder": str(BROKER_DIR / "control"),
    }

CELERY_TIMEZONE = "UTC"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# A task is acknowledged after it ran, so a worker killed mid-task leaves it for another.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Statuses that the passing of time changes (a misstep crossing its 6- or 24-month
    # edge). Hourly, not at midnight: the day is TIME_ZONE's while beat runs in UTC, and a
    # run missed while the worker was down is made up within the hour; a run with nothing
    # due is one indexed query.
    "reevaluate-statuses-hourly": {
        "task": "candidates.tasks.reevaluate_due_candidates",
        "schedule": crontab(minute=5),
    },
    # Reminders wait as rows; this claims and emails the due ones (reminders/delivery.py).
    # `expires`: after downtime, stale runs are dropped instead of piling up.
    "dispatch-due-reminders": {
        "task": "reminders.tasks.dispatch_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Web imports are written by a worker (candidates/importer.py, "Jobs"): this picks up a
    # job whose message was lost (broker down at upload) or whose worker died mid-import.
    "resume-import-jobs": {
        "task": "candidates.tasks.resume_imports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Emails to candidates wait in an outbox (outreach/delivery.py), sent like reminders.
    "send-candidate-emails": {
        "task": "outreach.tasks.send_candidate_emails",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Webhook deliveries wait in an outbox too (webhooks/delivery.py).
    "send-webhooks": {
        "task": "webhooks.tasks.send_webhooks",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The webhook log keeps 30 days (webhooks.services.deliveries_prune).
    "prune-webhook-log": {
        "task": "webhooks.tasks.prune_webhook_log",
        "schedule": crontab(minute=35, hour=3),
    },
    "send-reminder-digests": {
        "task": "reminders.tasks.send_digests",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
}

# --- Webhooks out (webhooks/, docs/webhooks.md) -------------------------------------------
# Off, deliveries go only to public addresses over https (an SSRF guard, checked on every
# attempt). On: also http:// and private, loopback and link-local addresses (tests; a
# receiver on the same network by choice).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)

# --- The REST API (api/, docs/api.md) ---------------------------------------------------
# Requests per token (per member when logged in by session) in the default cache: Redis
# when REDIS_URL is set, failing open when it is down. "N/second|minute|hour|day"; empty: none.
API_RATE_LIMIT = env("API_RATE_LIMIT", default="300/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its WWW-Authenticate header makes an unauthenticated request a 401.
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "api.permissions.OrganizationMember",
        "api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Recovery API",
    "DESCRIPTION": "Candidates' missteps and second chances: the same reads, rules and audit "
    "trail as the pages. Authenticate with `Authorization: Bearer <token>` (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its page are public and hold no data: a token sent to them is ignored.
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "JobStateEnum": "candidates.models.JobState",
        "ReminderStateEnum": "reminders.models.State",
        "EventKindEnum": "api.serializers.EVENT_KINDS",
        "LoggableKindEnum": "api.serializers.LOGGABLE_KINDS",
        "EventReasonEnum": "candidates.models.REASON_CHOICES",
        "ReminderKindEnum": "api.serializers.REMINDER_KINDS",
    },
}

# --- Email --------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# A backend EMAIL_URL has no scheme for, e.g. reminders.backends.DatabaseEmailBackend (tests).
if env("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env("EMAIL_BACKEND")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Recovery <recovery@localhost>")
# Links in emails (reminders, password resets sent from tasks) need an absolute address.
# Unset in production (DEBUG off): https on the first ALLOWED_HOSTS name, never localhost
# (a reset link mailed to http://127.0.0.1:8000 is no link at all).
_SITE_DEFAULT = (
    "http://127.0.0.1:8000"
    if DEBUG or TESTING
    else f"https://{ALLOWED_HOSTS[0].lstrip('.').replace('*', 'localhost')}"
)
SITE_URL = env("SITE_URL", default=_SITE_DEFAULT).rstrip("/")

# Lever's Data API (ats/lever_api.py), for a Lever source with an API key; the tests point
# it at a local fake.
LEVER_API_URL = env("LEVER_API_URL", default="https://api.lever.co/v1").rstrip("/")
# Off: Lever's API is asked only at an https:// URL on the public internet (the API key goes
# with every request). On: also http:// and private or loopback addresses (the tests' fake).
LEVER_API_ALLOW_PRIVATE = env.bool("LEVER_API_ALLOW_PRIVATE", default=False)

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Tests and development serve files straight from static/ (nothing collected, no warning).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
# Files browsers ask for at the site's root whatever the page says (/favicon.ico): served
# by WhiteNoise there, so they are never a 404 (each one logged as a refused request).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production; plain ones when nothing was collected.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# --- Security -----------------------------------------------------------------------------
# Behind the docker-compose proxy, TLS ends before gunicorn: trust its X-Forwarded-Proto.
if env.bool("SECURE_PROXY_SSL", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies append to X-Forwarded-For in front of gunicorn: the client's address (login
# throttling, logs) is then the Nth hop from the right (candidates.accounts.client_ip). 0: the
# header is ignored and the socket's address counts, so a client cannot choose its address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT is a number of proxies: 0 or more.")
# Secure by default: with DEBUG off, HTTPS-only cookies, the redirect of plain http to https
# and HSTS are on unless switched off one by one (a plain-http trial, see docker-compose.yml),
# so that a deployment that forgets a variable is not served over http. `make run` (DEBUG=1)
# and the test suite serve plain http.
HTTPS_BY_DEFAULT = not (DEBUG or TESTING)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS_BY_DEFAULT)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS_BY_DEFAULT)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS_BY_DEFAULT)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS_BY_DEFAULT else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
X_FRAME_OPTIONS = "DENY"
# The compose health check calls http://.../healthz from inside the network; /livez is the
# benchmark's bare view. Both answer plain http whatever SECURE_SSL_REDIRECT says.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]

# WARNING and above is what an operator must act on; INFO tells what happened.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Paths as Django logs them ("Not Found: /calendar/<token>.ics"), masked like the access
    # log's: no token, no query string.
    "filters": {"private_paths": {"()": "recovery.log_filters.PrivatePathFilter"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"filters": ["private_paths"]},
        "django.server": {"filters": ["private_paths"]},
        # A line per process start ("AXES: BEGIN version ...", "Watching for file changes"):
        # nothing to act on, and it pushes what matters out of `make run`'s console.
        "axes.apps": {"level": "WARNING"},
        "django.utils.autoreload": {"level": "WARNING"},
    },
}
# A Celery worker logs what its tasks print, at WARNING unless told otherwise. The console
# email backend prints every email it "sends": that is news, not a problem.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"

# The public pages' rate limit (outreach/views.py, django-ratelimit) counts on the cache;
# with Redis down it lets requests through rather than refusing everyone.
RATELIMIT_FAIL_OPEN = True
