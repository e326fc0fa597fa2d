"""Settings, read from the environment (django-environ).

Development defaults need nothing set: SQLite in the project folder and Celery running
tasks eagerly. `QUOTA_LEDGER_MODE=production` turns on the hardened mode that passes
`manage.py check --deploy`; it then requires SECRET_KEY and ALLOWED_HOSTS.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

MODES = ("development", "production")
MODE = env.str("QUOTA_LEDGER_MODE", default="development").strip().lower()
if MODE not in MODES:
    # A typo ("prod", "live") must not quietly start the development mode, with its
    # default secret key and relaxed cookies, on a server.
    raise ImproperlyConfigured(
        f"QUOTA_LEDGER_MODE={MODE!r} is not a known mode: use 'development' or 'production'."
    )
PRODUCTION = MODE == "production"

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    DEBUG = env.bool("DEBUG", default=False)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")
    DEBUG = env.bool("DEBUG", default=True)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "rules",
    "axes",
    "pgtrigger",
    "ledger",
    "reductions",
    "allocations",
    "quota_ledger.api",
]

MIDDLEWARE = [
    # First: the container health check needs no host check, HTTPS redirect or session.
    "quota_ledger.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything that may query the database with a value from the address.
    "quota_ledger.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A reporting client (API token only) never holds a web session; an idle session ends.
    "ledger.web_access.RefuseApiOnlySessionsMiddleware",
    "ledger.web_access.IdleSessionMiddleware",
    # The signed-in user's chosen language over the browser's cookie (User.language).
    "quota_ledger.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # One structured line per API request, with its user and token id.
    "quota_ledger.api.middleware.ApiRequestLogMiddleware",
    # Last, as django-axes asks, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy, in every mode so a violation shows up while developing: scripts,
# styles, fonts and images only from our own origin (whitenoise serves the npm libraries
# too), no inline scripts, handlers or style attributes (tests/quota_ledger/test_csp.py
# scans the templates), no plugins, no framing, forms post only to us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

ROOT_URLCONF = "quota_ledger.urls"
WSGI_APPLICATION = "quota_ledger.wsgi.application"
ASGI_APPLICATION = "quota_ledger.asgi.application"

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
                "quota_ledger.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: a new PostgreSQL connection per request cost ~7 ms (issue 13).
# The health check replaces a connection the server closed before it is used.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=600))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Server-side binding lets psycopg prepare repeated statements (the ledger's hot
    # posting path), so PostgreSQL does not re-plan them on every posting.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True)
    )
    # The JIT compiles plans for the bigger counts and lists of the pages, costing more
    # than it saves on queries this short (30 of a 50 ms inbox count at 100,000 projects).
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Serialise writers instead of failing with "database is locked" under eager Celery.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# Optional read replica: with DATABASE_REPLICA_URL set, a database router
# (api/routers.py) sends the reads of read-only API lists and exports to it (the scope the
# API base view opens); every write, detail, read-your-writes (the sync) and everything
# outside the API stays on "default". Nothing is migrated on it: it mirrors the primary.
# Tests create their own stand-in (tests/api/test_replica.py).
DATABASE_ROUTERS = []
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    DATABASE_ROUTERS = ["quota_ledger.api.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "ledger.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# Idle timeout: a session ends after this many minutes without a request; activity moves
# its expiry forward (ledger.web_access.IdleSessionMiddleware, at most one write a minute).
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=30)
if SESSION_IDLE_TIMEOUT_MINUTES <= 0:
    raise ImproperlyConfigured("SESSION_IDLE_TIMEOUT_MINUTES must be a positive number.")
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout (django-axes): a username from one address is locked after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Evidence and exports are private: MEDIA_ROOT is never served as a folder (there is no
# /media/ route, and MEDIA_URL is deliberately unset). Views that check permissions deliver
# each file (ledger/files.py): streamed by Django, or handed to the front web server.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# "" streams from Django; "nginx" answers with X-Accel-Redirect to PRIVATE_FILES_ACCEL_PREFIX
# (an `internal` nginx location aliased to MEDIA_ROOT); "sendfile" answers with X-Sendfile
# (Apache mod_xsendfile, lighttpd).
PRIVATE_FILES_SERVER = env.str("PRIVATE_FILES_SERVER", default="").strip().lower()
if PRIVATE_FILES_SERVER not in ("", "nginx", "sendfile"):
    raise ImproperlyConfigured(
        f"PRIVATE_FILES_SERVER={PRIVATE_FILES_SERVER!r} is not known: use nothing (Django "
        "streams files), 'nginx' (X-Accel-Redirect) or 'sendfile' (X-Sendfile)."
    )
PRIVATE_FILES_ACCEL_PREFIX = (
    "/" + env.str("PRIVATE_FILES_ACCEL_PREFIX", default="/_private/").strip("/") + "/"
)
# Statement exports are deleted this many days after they were written (beat task).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# Spreadsheet imports (issue 11): the largest file accepted, and the row count above which the
# check and the import run as a Celery task whose progress the page polls.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_ASYNC_ROWS = env.int("IMPORT_ASYNC_ROWS", default=1000)
# Uploaded import files are deleted this many days after upload (beat task and
# `manage.py expire_import_uploads`); the job rows stay as the record of what was imported.
IMPORT_UPLOAD_RETENTION_DAYS = env.int("IMPORT_UPLOAD_RETENTION_DAYS", default=30)
# Panels of the home page, each a function user → list of chart dicts (issue 11 dashboards).
QUOTA_HOME_PANELS = ["allocations.dashboards.home_charts"]
# The empty choice of a select, in the reader's language: Django's BLANK_CHOICE_LABEL
# ("- Select an option -", which Django's zh_Hans catalog leaves in English, so locale/ has
# it) and django-filter's (its own default is "---------").
FILTERS_EMPTY_CHOICE_LABEL = _("- Select an option -")
# The kinds of waiting work the inbox (待我处理, ledger/inbox.py) gathers, lowest app first.
QUOTA_INBOX_KINDS = ["ledger.inbox.LEDGER_KINDS", "allocations.inbox.KINDS"]

# Celery: with REDIS_URL unset, tasks run eagerly in the calling process (the embedded default).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Beat answers `celery inspect ping -d celerybeat@<host>` while its scheduler is ticking (and
# stops answering when it stalls): the compose health check for beat.
CELERY_BEAT_ENABLE_REMOTE_CONTROL = True
CELERY_BEAT_SCHEDULE = {
    "reconcile-ledger-nightly": {
        "task": "ledger.tasks.reconcile_ledger",
        "schedule": 24 * 60 * 60,
    },
    # Commit sequence numbers for transactions committed since (integrity.sequencer_sql).
    "number-commits": {
        "task": "ledger.tasks.number_commits",
        "schedule": 5,
    },
    "ledger-digest-daily": {
        "task": "ledger.tasks.write_digest",
        "schedule": 24 * 60 * 60,
    },
    "expire-statement-exports-hourly": {
        "task": "ledger.tasks.expire_statement_exports",
        "schedule": 60 * 60,
    },
    # Construction requests past their hold deadline: holds released, requester told.
    "expire-use-requests-hourly": {
        "task": "allocations.tasks.expire_use_requests",
        "schedule": 60 * 60,
    },
    "expire-import-uploads-daily": {
        "task": "allocations.tasks.expire_import_uploads",
        "schedule": 24 * 60 * 60,
    },
}

# PostgreSQL posts each transaction through one server-side call, ledger_post() (issue 13);
# False keeps the Python path there too (SQLite always uses it). Tests run both.
LEDGER_SERVER_SIDE_POSTING = env.bool("LEDGER_SERVER_SIDE_POSTING", default=True)

# DESIGN.md §2 rule 4 (interpretation): a type with no Annex 2 row is MICRO when every
# pollutant is at or below this many tonnes.
QUOTA_MICRO_THRESHOLD = Decimal(env.str("QUOTA_MICRO_THRESHOLD", default="0.1"))

# Default policy rows `manage.py load_reference` adds where missing (higher apps' reference data).
QUOTA_REFERENCE_LOADERS = [
    "reductions.reference.ensure_policies",
    "allocations.reference.ensure_policies",
]

# Loaders `manage.py load_demo` calls after the demo users exist (higher apps' demo data).
QUOTA_DEMO_LOADERS = [
    "reductions.demo.load_demo_projects",
    "allocations.demo.load_demo_allocations",
]

# The REST API (/api/v1/, the `api` app and each app's api/ package). Systems authenticate
# with hashed, expiring tokens (django-rest-knox); the browser with its session.
REST_FRAMEWORK = {
    # The token first: a request without credentials is a 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "quota_ledger.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["quota_ledger.api.filters.ValidatingFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "quota_ledger.api.parsers.UnicodeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "quota_ledger.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "quota_ledger.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["quota_ledger.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_THROTTLE_RATE", default="6000/hour")},
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "DATE_FORMAT": "iso-8601",
}
API_MAX_PAGE_SIZE = 500


def _shared_cache(name: str) -> dict:
    """A cache every process shares when there is Redis (under its own key prefix), so what
    one gunicorn worker writes the others read; process memory otherwise."""
    if REDIS_URL:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": name,
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The API's throttle counts: every worker counts against the same budget.
    "api": _shared_cache("api"),
    # The navigation's inbox counts and cached dashboard figures (ledger/inbox.py): a change
    # one worker sees invalidates what the others cached.
    "inbox": _shared_cache("inbox"),
}
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=365)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# How long an Idempotency-Key is remembered (hours).
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "总量指标台账 API · Pollutant quota ledger API",
    "DESCRIPTION": (
        "上海市主要污染物总量指标台账的 REST 接口（v1）。Read the ledger, sync transactions "
        "by commit sequence (`after_seq`), and act on every workflow. Amounts are decimal "
        "strings with three places (t/a). Errors share one JSON shape: "
        "`{status, code, detail, errors}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set (several models have a "status").
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "reductions.models.Status",
        "FilingStatusEnum": "reductions.models.FilingStatus",
        "HoldStatusEnum": "ledger.models.HoldStatus",
        "CorrectionStatusEnum": "ledger.models.CorrectionStatus",
        "RoundStatusEnum": "allocations.models.RoundStatus",
        "ConstructionStatusEnum": "allocations.models.ConstructionStatus",
        "RecordStatusEnum": "allocations.models.RecordStatus",
    },
    "DISABLE_ERRORS_AND_WARNINGS": True,
}

# Development prints mail to the console; production sends through SMTP.
EMAIL_DEFAULT_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend"
)
MAILERS = {
    "default": {
        "BACKEND": env.str("EMAIL_BACKEND", default=EMAIL_DEFAULT_BACKEND),
        "OPTIONS": (
            {"host": env.str("EMAIL_HOST", default="localhost"), "port": env.int("EMAIL_PORT", 25)}
            if PRODUCTION
            else {}
        ),
    },
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="quota-ledger@localhost")

# One console handler, on the root logger. Django's own default config gives the "django"
# logger a console handler of its own too (in DEBUG), which printed every refused request
# twice; naming "django" here with no handlers leaves only the root one. Refused requests
# (4xx) are one line each, without a traceback (quota_ledger.log.OneLineRefusals).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_refusals": {"()": "quota_ledger.log.OneLineRefusals"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["one_line_refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
