"""Settings shared by every environment; everything configurable comes from the environment."""

from datetime import timedelta

from accounts.passwords import argon2_parameters_check
from config.env import BASE_DIR, env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "django_countries",
    "django_tasks",
    "django_tasks_db",
    "customers",
    "addresses",
    "accounts",
    "customers.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite file in the project folder for a first run; postgres://... for production (psycopg 3).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# PostgreSQL binds the parameters itself, so that each connection prepares the statements it
# runs again and again (after DATABASE_PREPARE_THRESHOLD runs): the lookups then skip
# planning, which costs more than running them (bench/README.md). Empty: never prepare.
_PREPARE_THRESHOLD = env("DATABASE_PREPARE_THRESHOLD", default="5")
POSTGRESQL_OPTIONS = {
    "server_side_binding": env.bool("DATABASE_SERVER_SIDE_BINDING", default=True),
    "prepare_threshold": int(_PREPARE_THRESHOLD) if _PREPARE_THRESHOLD else None,
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **POSTGRESQL_OPTIONS,
    }
# Read replicas (config/db_router.py): `replica_0`, `replica_1`, ... take the reads that need not
# be current; writes, transactions, credentials and a caller's reads right after its own
# write stay on the primary. In tests a replica mirrors the test database.
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])
DATABASE_REPLICAS = [f"replica_{index}" for index in range(len(DATABASE_REPLICA_URLS))]
DATABASES.update(
    {
        alias: {
            **config,
            "OPTIONS": {
                **config.get("OPTIONS", {}),
                **(POSTGRESQL_OPTIONS if config["ENGINE"].endswith("postgresql") else {}),
            },
            "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
            "TEST": {"MIRROR": "default"},
        }
        for alias, config in zip(
            DATABASE_REPLICAS, map(env.db_url_config, DATABASE_REPLICA_URLS), strict=True
        )
    }
)
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
# How long a caller reads from the primary after a write (cover the replicas' usual lag).
DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (per-IP throttle state; the lockout counters: accounts/throttling.py) -------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Shared by every process through the database (table created by the accounts
    # migrations): the per-IP throttles must hold whichever worker answers (SPEC 3). The
    # backend counts its rows on every write and culls expired ones past MAX_ENTRIES;
    # `purge_tokens` deletes expired ones too.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "accounts_cache",
            "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 3},
        }
    }

# --- Passwords (SPEC 12) ----------------------------------------------------------------------
# Argon2id hashes new passwords; the others verify imported hashes and are upgraded on login.
# The cost defaults to OWASP's minimum (19 MiB, 2 iterations, 1 lane): about 21 ms of one core
# a hash, which lets two cores serve 30 creates or logins a second. Weaker values are refused.
ARGON2_MEMORY_KIB = env.int("ARGON2_MEMORY_KIB", default=19 * 1024)
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=1)
argon2_parameters_check(
    memory_kib=ARGON2_MEMORY_KIB, time_cost=ARGON2_TIME_COST, parallelism=ARGON2_PARALLELISM
)
PASSWORD_HASHERS = [
    "accounts.passwords.ConfiguredArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "accounts.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env("PHONENUMBER_DEFAULT_REGION", default=None) or None
PHONENUMBER_DB_FORMAT = "E164"

# --- Static files (admin), served by WhiteNoise -----------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Requests ----------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# --- Email (SPEC 9) ---------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Clientele <no-reply@example.com>")
# A failed email is tried again after each of these delays (seconds), then given up and logged.
EMAIL_RETRY_DELAYS = [int(s) for s in env.list("EMAIL_RETRY_DELAYS", default=["60", "300", "1800"])]

# --- Background tasks (SPEC 10, 12) ----------------------------------------------------------
# Emails are tasks in the database, written by the transaction of the change and run by
# `python manage.py worker`. A task left running by a worker that died is put back after
# TASK_ABANDONED_AFTER seconds by the next worker that starts.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASK_ABANDONED_AFTER = env.int("TASK_ABANDONED_AFTER", default=300)
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=7)

# --- Webhooks (SPEC 13) ----------------------------------------------------------------------
# Deliveries are tasks of the same queue. Targets must be https unless DEBUG is on (or
# WEBHOOK_HTTPS_ONLY=0) and may not resolve to internal addresses unless
# WEBHOOK_ALLOW_PRIVATE_TARGETS. A failed try is retried after each of WEBHOOK_RETRY_DELAYS
# seconds (about a day in all, with jitter), then the delivery is failed; a subscription whose
# tries failed WEBHOOK_DISABLE_AFTER_FAILURES times in a row for WEBHOOK_DISABLE_AFTER_SECONDS
# is disabled.
# Unset: https is required whenever DEBUG is off (the production settings).
WEBHOOK_HTTPS_ONLY = env.bool("WEBHOOK_HTTPS_ONLY", default=None)
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
WEBHOOK_RETRY_DELAYS = [
    int(s)
    for s in env.list(
        "WEBHOOK_RETRY_DELAYS",
        default=["5", "60", "300", "1800", "3600", "7200", "14400", "28800", "36000"],
    )
]
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=20)
WEBHOOK_DISABLE_AFTER_SECONDS = env.int("WEBHOOK_DISABLE_AFTER_SECONDS", default=24 * 60 * 60)

# --- Product settings (SPEC 10) ---------------------------------------------------------------
DEFAULT_STORE_CODE = env("DEFAULT_STORE_CODE", default="DE")
STOREFRONT_URL = env("STOREFRONT_URL", default="http://localhost:3000").rstrip("/")
REQUIRE_EMAIL_CONFIRMATION = env.bool("REQUIRE_EMAIL_CONFIRMATION", default=True)
BULK_UPLOAD_MAX_ITEMS = env.int("BULK_UPLOAD_MAX_ITEMS", default=1000)
# How deep a JSON body may nest objects and arrays (config/api/common.py). No body of any
# dialect nests deeper than a TWC upload's attribute groups (6 levels); the limit leaves
# room and keeps hostile documents away from recursive code.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
AUTH_THROTTLE_RATE = env("AUTH_THROTTLE_RATE", default="10/min")
AUTH_LOCKOUT_FAILURES = env.int("AUTH_LOCKOUT_FAILURES", default=5)
AUTH_LOCKOUT_WINDOW = timedelta(minutes=15)

# --- REST framework ---------------------------------------------------------------------------
# Each dialect's base view sets its own authentication, permissions, renderers, paginator and
# exception handler (config/api/); these are only the defaults they start from.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"auth": AUTH_THROTTLE_RATE},
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Clientele",
    "DESCRIPTION": (
        "Customer accounts, addresses and credentials in three dialects: the Storefront API "
        "(JSON:API), the Admin API (/api/customers) and the Integration API (/api/v2)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Tags, the tenant header and every error status in the dialect's envelope, added once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.postprocess",
    ],
    # Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar): no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": False,
}

# Customer and staff tokens are both simplejwt JWTs; a `principal` claim tells them apart.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}
CUSTOMER_ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
CUSTOMER_REFRESH_TOKEN_LIFETIME = timedelta(days=30)

# Every record goes through the one console handler, once, with keys and tokens redacted
# from paths and query strings (config/logging.py). Django's own `django` and `django.server`
# handlers are removed: the first printed each line a second time under DEBUG, the second
# bypassed the redaction.
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.logging.redacting_filter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}
