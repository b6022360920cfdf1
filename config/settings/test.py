"""Settings for the test suite: SQLite unless DATABASE_URL names PostgreSQL."""

import os

os.environ.setdefault(
    "SECRET_KEY", "test-only-not-secret-sustain-key-0123456789abcdefghij"
)
os.environ.setdefault("DATABASE_URL", "sqlite:///test.sqlite3")
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZlcm5ldC1rZXktbm90LXNlY3JldCE="
)
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")
os.environ.setdefault("ALLOWED_HOSTS", "*")
os.environ.setdefault("CSRF_TRUSTED_ORIGINS", "")

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = False
AXES_ENABLED = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Static files come from the finders (assets/dist); nothing is collected here.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Off for the suite at large (most tests sign people in directly); the two-factor
# tests switch it on.
TWO_FACTOR_REQUIRED = False
# Single sign-on providers on loopback speak plain http.
OIDC_REQUIRE_HTTPS = False
