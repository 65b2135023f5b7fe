"""Fast, isolated settings for the test suite."""

from .base import *  # noqa: F403
from .base import SIMPLE_JWT

SECRET_KEY = "test-only-secret-key-0123456789abcdef0123456789abcdef"
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run at once after commit, so tests read `mail.outbox` right after the request;
# tests/accounts/test_notifications.py and test_worker.py cover the database queue itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STOREFRONT_URL = "https://shop.example.com"
REST_FRAMEWORK = {**REST_FRAMEWORK, "TEST_REQUEST_DEFAULT_FORMAT": "json"}  # noqa: F405
# A replica alias on the test database itself, for tests/core/test_db_router.py: the router
# only sends reads there when a test lists it in DATABASE_REPLICAS. Read-only on PostgreSQL,
# so that a write routed to it fails.
DATABASES["replica_0"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F405
    DATABASES["replica_0"]["OPTIONS"] = {  # noqa: F405
        **DATABASES["default"].get("OPTIONS", {}),  # noqa: F405
        "options": "-c default_transaction_read_only=on",
    }
