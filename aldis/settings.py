"""ALDIS settings: everything comes from the environment (django-environ), with safe local defaults.

Two modes share this one module:

* embedded (no ``DATABASE_URL``/``REDIS_URL``): SQLite under ``var/``, Celery tasks run in-process
  through the same code path (``task_always_eager``);
* production shape: PostgreSQL from ``DATABASE_URL``, Redis broker and result backend from
  ``REDIS_URL``, Celery workers and beat. With ``DJANGO_DEBUG`` off the site refuses to start
  without ``DJANGO_SECRET_KEY`` and enables every ``check --deploy`` protection.
"""

from pathlib import Path

import environ

from eligibility.limits import stale_after_minutes

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Production refuses to start without its secret; only debug mode has a throwaway default.
SECRET_KEY = (
    env.str("DJANGO_SECRET_KEY")
    if not DEBUG
    else env.str("DJANGO_SECRET_KEY", default="django-insecure-aldis-local-debug-only")
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("ALDIS_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "aldis.organisations",
    "aldis.feeds",
    "audit",
    "households",
    "traders",
    "eligibility",
    "compensation",
    "fixtures",
]
# Covering indexes (``Index(include=...)``) are PostgreSQL's, where national lists are read; in
# embedded mode SQLite builds the same index on its key columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

MIDDLEWARE = [
    "aldis.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aldis.middleware.ChosenLanguageMiddleware",  # Latvian unless English was chosen
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "aldis.urls"
WSGI_APPLICATION = "aldis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "aldis" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            # The person's pages format money per language ({% load person_status %}).
            "libraries": {"person_status": "households.web.templatetags"},
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'aldis.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # embedded mode on a fresh checkout
    # IMMEDIATE transactions serialise writers up front instead of failing with "database is
    # locked" when a reader upgrades; WAL lets readers go on while the monthly run writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
else:
    # Feed imports stage national files in temporary tables; PostgreSQL's default 8 MB of
    # temp_buffers would spill them to disk. The memory is taken only when temp tables are used.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c temp_buffers={env.str('ALDIS_PG_TEMP_BUFFERS', default='512MB')}"
    )
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- The person's sign-in to /status/ (households.auth): never a Django user ----------------
# OpenID Connect against the state portal (mozilla-django-oidc), on when these are all set.
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")  # optional: claims from userinfo too
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="") or None
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_AUTHENTICATION_CALLBACK_URL = "status:oidc-callback"
# The verified claim that carries the person's personal code.
ALDIS_OIDC_PERSONAL_CODE_CLAIM = env.str("ALDIS_OIDC_PERSONAL_CODE_CLAIM", default="personal_code")
ALDIS_OIDC_ENABLED = all(
    (OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET, OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT)
)
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Answers only the OIDC callback's call; maps the claim to a Person, never to a user.
    *(["households.auth.PersonOIDCBackend"] if ALDIS_OIDC_ENABLED else []),
]
# A clearly marked sign-in that picks a synthetic person: only in demo mode (and DEBUG).
ALDIS_DEMO_SIGN_IN = env.bool("ALDIS_DEMO_SIGN_IN", default=False) and DEBUG
# A person's session on /status/ ends this long after sign-in (shared computers at service centres).
ALDIS_PERSON_SESSION_SECONDS = env.int("ALDIS_PERSON_SESSION_SECONDS", default=30 * 60)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "lv"
LANGUAGES = [("lv", "Latviešu"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Riga"
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise) --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
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

# --- Security (check --deploy is clean when DEBUG is off) -----------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 8)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Django REST Framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["aldis.api.authentication.OrganisationTokenAuthentication"],
    # Fail closed: a view that does not name the organisation kinds it serves refuses everyone.
    "DEFAULT_PERMISSION_CLASSES": ["aldis.api.permissions.HasOrganisationKind"],
    "DEFAULT_RENDERER_CLASSES": ["aldis.api.renderers.ExactJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "aldis.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["aldis.api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_client": env.str("ALDIS_API_RATE", default="600/minute")},
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ALDIS API",
    "DESCRIPTION": (
        "The API of ALDIS for energy traders, grid operators, heat suppliers, local governments, "
        "registers and the state portal. Every call carries `Authorization: Token <token>`; errors "
        'are `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# A month run through Celery is shared by the workers in this many chunks (households by address
# id modulo the count), finished by a chord; 1 (the default) runs it whole on one worker. Each
# chunk reads the whole country's registers, so chunks pay only with more cores than chunks
# (on 2 cores: 58 s whole, 116 s in 4 chunks on 2 workers). Without a broker: whole, in-process.
ALDIS_RUN_CHUNKS = env.int("ALDIS_RUN_CHUNKS", default=1)
# A run queued (since requested) or running (since started) longer than this is stale: its worker
# was killed or its task lost. It is marked failed by the next request of its month, by the beat
# task every 10 minutes, and by ``run_month --wait``. Default: twice the longest a run may work
# under the tasks' hard time limits (``eligibility.limits``): 60 minutes whole.
ALDIS_RUN_STALE_AFTER_MINUTES = env.int(
    "ALDIS_RUN_STALE_AFTER_MINUTES", default=stale_after_minutes(ALDIS_RUN_CHUNKS if REDIS_URL else 1)
)
# Without a broker every task runs in-process, eagerly, through the same code path.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Caches ---------------------------------------------------------------------------------
# "default" holds the API throttle's request counts per client: in Redis in the production shape,
# so that every worker counts the same client (a count per process would let a client through
# once per worker), in-process otherwise. Short socket timeouts: a hung Redis must cost a request
# a fraction of a second (the throttle then lets it through), not redis-py's default 5 s.
# CACHE_URL puts it on a Redis database of its own (docker-compose does): clearing a cache empties
# its whole database, which on REDIS_URL's would drop the broker's queued tasks. "pages" holds the
# month lists' rendered first pages, keyed by their ETag, in each process only (personal data does
# not leave it), for ALDIS_PAGE_CACHE_SECONDS (5 minutes; 0 keeps none).
CACHE_URL = env.str("CACHE_URL", default=REDIS_URL)
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "aldis",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
    ),
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "TIMEOUT": env.int("ALDIS_PAGE_CACHE_SECONDS", default=300),
        "OPTIONS": {"MAX_ENTRIES": 256},
    },
}

# --- ALDIS ----------------------------------------------------------------------------------
# Personal data and audit trails are kept this many months, then purged (DOMAIN: Audit and retention).
ALDIS_RETENTION_MONTHS = env.int("ALDIS_RETENTION_MONTHS", default=24)
# The largest feed file accepted over the API (bytes); bigger ones are refused with 413.
ALDIS_FEED_MAX_BYTES = env.int("ALDIS_FEED_MAX_BYTES", default=2 * 1024**3)
# The state budget programme that pays energy-supply-cost aid (Scheme E) on compensation
# statements; DOMAIN names only Scheme P's (29.02.00). The default names the Ministry of Climate
# and Energy's budget (29) with no sub-programme: set the one the budget law assigns.
ALDIS_BUDGET_PROGRAMME_ENERGY_AID = env.str("ALDIS_BUDGET_PROGRAMME_ENERGY_AID", default="29.00.00")

# --- Logging: nothing personal is logged; request ids tie log lines to audit events ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "aldis.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request lines carry URLs and query strings; keep them at warning level.
        "django.request": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
    },
}
