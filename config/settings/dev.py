"""The embedded default for ``make run``: SQLite, no Redis, local demo secrets.

Nothing here is fit for real data: the keys below are published in this repository.
"""

import os

os.environ.setdefault(
    "SECRET_KEY", "dev-only-not-secret-sustain-demo-key-0123456789abcdef"
)
os.environ.setdefault("DATABASE_URL", "sqlite:///db.sqlite3")
os.environ.setdefault(
    # A published, demo-only Fernet key. Production reads its own from the environment.
    "FIELD_ENCRYPTION_KEYS",
    "c3VzdGFpbi1kZW1vLW9ubHktbm90LWEtc2VjcmV0LWs=",
)
# The demo serves on PORT (make run's), so every link it writes points there too.
os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
os.environ.setdefault("CSRF_TRUSTED_ORIGINS", "")

from config.settings.base import *  # noqa: F403
from config.settings.base import STORAGES, env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Without REDIS_URL, ``manage.py run_scheduler`` runs the beat schedule in-process and
# anything queued runs at once in the calling process.
CELERY_TASK_ALWAYS_EAGER = not env("REDIS_URL", default="")
# Static files come from the finders (assets/dist); nothing is collected here.
STATIC_ROOT = None
# The demo's published accounts sign in without a second factor; each page says so.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=False)
WHITENOISE_USE_FINDERS = True
# Single sign-on providers on loopback speak plain http.
OIDC_REQUIRE_HTTPS = False
