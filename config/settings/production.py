"""Production: HTTPS only, secure cookies, HSTS. Everything else comes from base."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Tasks go to Redis; a missing broker is a configuration error, not eager execution.
CELERY_BROKER_URL = env("REDIS_URL")
