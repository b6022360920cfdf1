"""Production: HTTPS only, secure cookies, HSTS. Everything else comes from base."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, SITE_URL, env

# base.py already stops start-up when one of these is missing; an empty one is as bad.
for _name, _value in (
    ("ALLOWED_HOSTS", ALLOWED_HOSTS),
    ("CSRF_TRUSTED_ORIGINS", CSRF_TRUSTED_ORIGINS),
    ("SITE_URL", SITE_URL),
):
    if not _value:
        raise ImproperlyConfigured(f"Set the {_name} environment variable.")
if not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "Set the SITE_URL environment variable to the public https:// address "
        f"(it is {SITE_URL!r}): every email and certificate link starts with it."
    )

# Single sign-on, when set up, talks to the provider over HTTPS only.
for _name in (
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
    "OIDC_OP_ISSUER",
):
    _endpoint = globals()[_name]
    if _endpoint and not _endpoint.startswith("https://"):
        raise ImproperlyConfigured(f"Set {_name} to the provider's https:// address.")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The container's healthcheck asks over plain HTTP from inside; it needs no redirect.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Tasks go to Redis; a missing broker is a configuration error, not eager execution.
CELERY_BROKER_URL = env("REDIS_URL")
