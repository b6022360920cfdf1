"""Settings safe for production: every secret comes from the environment.

``dev.py`` and ``test.py`` layer the embedded defaults (SQLite, local keys) on top.
A missing variable here is a loud ``ImproperlyConfigured`` error at start-up.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core ---------------------------------------------------------------------------
SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
# No defaults: a deploy that forgot one would send every email link to localhost, so
# a missing one stops start-up with its name. dev.py and test.py set their own first.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL")

INSTALLED_APPS = [
    # Sustain, in dependency order: workforce reads no other domain app.
    "accounts",
    "workforce",
    "learning",
    "supervision",
    "commissioning",
    "notifications",
    "home",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Third party
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Wraps the views below it: no cache keeps what a signed-in person was sent.
    "config.security.PrivateCacheMiddleware",
    "accounts.middleware.AbsoluteSessionLimitMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks, so it sees every authentication attempt.
    "axes.middleware.AxesMiddleware",
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
                "accounts.context_processors.roles",
                "home.navigation.navigation",
            ],
            # The GOV.UK date and time filters, in every template without a load tag.
            "builtins": ["home.templatetags.govuk_dates"],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def sqlite_options() -> dict[str, object]:
    """Return SQLite options that let the web server and scheduler share one file."""
    return {
        # Take the write lock at BEGIN so concurrent writers queue instead of failing.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = sqlite_options()

# --- Cache --------------------------------------------------------------------------
# API throttles count in a table every web process shares (created by the accounts
# migrations), so the web path does not depend on Redis.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttles": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "sustain_throttles",
    },
}

# --- Authentication -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailOrUsernameBackend",
    "accounts.sso.SignInBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: a 30-minute session, renewed by a request at most once a minute (so
# most requests write nothing); the middleware also caps a session at 12 hours.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = env.int("SESSION_TOUCH_SECONDS", default=60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Lockout (accounts/lockout.py): 10 wrong passwords for one account from one address
# lock that pair (Cyber Essentials asks for <= 10), so nobody can lock the admin out
# from elsewhere; an address that fails for 50 different accounts is refused for all
# (password spraying). Both last 30 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
SIGN_IN_ADDRESS_USERNAME_LIMIT = env.int("SIGN_IN_ADDRESS_USERNAME_LIMIT", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.SustainAxesHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.sign_in_name"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Reverse proxies in front of gunicorn (nginx: 1). The client's address is read from
# X-Forwarded-For that many places from the right (accounts/addresses.py); with 0
# the header is ignored, since anyone can send one.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_ip"
# Password reset links: at most this many an hour to one email, and requests an hour
# from one address; beyond, nothing is sent and the page reads the same.
PASSWORD_RESET_EMAIL_LIMIT = env.int("PASSWORD_RESET_EMAIL_LIMIT", default=3)
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=20)

# Two-factor authentication (django-otp): supervisors, managers, commissioners,
# editors and admins must verify a code from an authenticator app or a backup code.
# On unless the environment turns it off (the demo does, with a notice on each page).
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = "Sustain"

# Single sign-on with the organisation's OpenID Connect provider (mozilla-django-oidc):
# off unless a client id and the provider's endpoints are set. Authorization code flow
# with PKCE; ID tokens signed RS256 and checked against the provider's JWKS. It only
# matches existing, active people by verified email (accounts/sso.py).
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
# The provider's issuer: when set, an ID token naming another is refused.
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
# Organisations' own providers (set in the Wagtail admin) must use https://; only the
# dev and test settings turn this off, for providers on loopback.
OIDC_REQUIRE_HTTPS = True
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="your organisation")
# Count the provider's own MFA (an "mfa" amr claim) as the second factor.
OIDC_TRUST_MFA_CLAIM = env.bool("OIDC_TRUST_MFA_CLAIM", default=False)
OIDC_RP_SCOPES = "openid email"
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATE_CLASS = "accounts.sso.SignInStartView"
OIDC_CALLBACK_CLASS = "accounts.sso.SignInCallbackView"
LOGIN_REDIRECT_URL_FAILURE = "accounts:login"

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
# One date style ("1 December 2026") everywhere: see config/formats/en_GB/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static files and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT: Path | None = Path(  # None in dev and test settings
    env("STATIC_ROOT", default=str(BASE_DIR / "static_build"))
)
STATICFILES_DIRS = [BASE_DIR / "assets" / "dist"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# The largest evidence file (PDF, PNG or JPEG) a person may upload, in megabytes.
EVIDENCE_MAX_MB = env.int("EVIDENCE_MAX_MB", default=10)
# Pseudonymised check-in score records older than this many months are deleted by
# the nightly retention purge (72: the default retention of supervision content).
CHECK_IN_SCORE_RETENTION_MONTHS = env.int("CHECK_IN_SCORE_RETENTION_MONTHS", default=72)
# Leavers' personal data is erased this many months after their last day, or after
# their organisation's supervision retention if that is longer (72: end of employment
# plus six years, the retention the supervision design notes propose for reflective
# and wellbeing records). Their dated records stay, unnamed, for past figures.
LEAVER_RETENTION_MONTHS = env.int("LEAVER_RETENTION_MONTHS", default=72)
# Under DEBUG only, the media folders served directly (Wagtail's images); training
# evidence is never among them: it is served by its scoped download view.
PUBLIC_MEDIA_FOLDERS = ("images", "original_images")
# The furthest a manager may extend a training deadline, in months from today.
TRAINING_EXTENSION_MAX_MONTHS = env.int("TRAINING_EXTENSION_MAX_MONTHS", default=6)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email --------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"
)
# With the file-based backend, one file per email lands here.
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "emails")))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Sustain <no-reply@localhost>")

# --- Security headers ---------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Supervision content encryption -------------------------------------------------
# Fernet keys, newest first. Add a key at the front, run ``rotate_keys``, then drop
# the old one. A value that no key can open raises instead of showing ciphertext.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
# The key behind the pseudonymous respondent keys of check-in score aggregates. Set it
# once and keep it: without it, it is derived from SECRET_KEY, and a new SECRET_KEY
# would need `manage.py backfill_check_in_scores --rebuild`.
CHECK_IN_PSEUDONYM_KEY = env("CHECK_IN_PSEUDONYM_KEY", default="")

# --- Wagtail ------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Sustain"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
]
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Approving the sense check publishes; editors have no publish permission of their own.
WAGTAIL_FINISH_WORKFLOW_ACTION = "learning.workflows.publish_after_sense_check"
WAGTAIL_PASSWORD_RESET_ENABLED = False
# An admin may create a person without a password: they are sent an invitation.
WAGTAILUSERS_PASSWORD_REQUIRED = False
# Avatars from Gravatar would send each editor's email hash to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Requests per account (config/api.py), counted in the shared database cache so
    # every gunicorn worker sees one count. Over the rate: a JSON 429 with a detail
    # and Retry-After. Roster syncs also count against their own, lower rate.
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_RATE", default="600/hour"),
        "roster": env("API_ROSTER_RATE", default="30/hour"),
    },
    "NUM_PROXIES": env.int("PROXY_COUNT", default=0),
}
# A roster import waits this long for another to finish, then answers 409 (API) or
# asks to try again (page).
ROSTER_LOCK_WAIT_SECONDS = env.int("ROSTER_LOCK_WAIT_SECONDS", default=20)
# API tokens expire this many days after they are made (accounts/tokens.py).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
SPECTACULAR_SETTINGS = {
    "TITLE": "Sustain API",
    "DESCRIPTION": "Aggregate training and supervision figures, and roster sync.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["config.api.only_versioned_api"],
}

# --- Celery -------------------------------------------------------------------------
CELERY_BROKER_URL = env("REDIS_URL", default="")
CELERY_RESULT_BACKEND = None
# Beat publishes and workers read this queue; two deployments may share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
# Redis hands an unacknowledged task (its worker died) to another worker after the
# visibility timeout. It must be longer than every task's hard time limit (300 s) and
# every retry countdown (at most 600 s), or live work would be handed out twice; it
# need not be longer, or a killed worker's chunk waits an hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Acknowledge after running, and requeue if the worker dies, only for tasks that are
# safe to run twice: each such task sets acks_late and reject_on_worker_lost itself.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = False
# A worker reserves one message at a time, so a killed worker strands at most one.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A web request never waits on Redis: publishing gives up fast and the outbox retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False

# --- The daily sweep's timing and recovery, and /health/'s thresholds ---------------
# Beat starts the sweep at SWEEP_TIME (local, HH:MM). /health/ says "degraded" while
# the day's sweep is unfinished SWEEP_DEADLINE_SECONDS after it was due (or started),
# or the oldest undelivered notification is older than HEALTH_OUTBOX_LAG_SECONDS.
# The watchdog runs every SWEEP_WATCHDOG_SECONDS and queues the unfinished chunks
# again once nothing has moved for SWEEP_STALL_SECONDS (longer than a chunk's 300 s
# time limit, so a live chunk is left alone), at most SWEEP_MAX_REDISPATCHES times.
SWEEP_TIME = env("SWEEP_TIME", default="05:30")
SWEEP_HOUR, SWEEP_MINUTE = (int(part) for part in SWEEP_TIME.split(":"))
SWEEP_DEADLINE_SECONDS = env.int("SWEEP_DEADLINE_SECONDS", default=3600)
SWEEP_STALL_SECONDS = env.int("SWEEP_STALL_SECONDS", default=600)
SWEEP_WATCHDOG_SECONDS = env.int("SWEEP_WATCHDOG_SECONDS", default=300)
SWEEP_MAX_REDISPATCHES = env.int("SWEEP_MAX_REDISPATCHES", default=12)
HEALTH_OUTBOX_LAG_SECONDS = env.int("HEALTH_OUTBOX_LAG_SECONDS", default=900)

# The beat schedule: one entry per job. Each job is idempotent, so a duplicate tick or a
# manual run changes nothing. ``run_scheduler`` runs the same schedule without Redis.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Delete expired sign-in sessions nightly (idempotent: a second run finds none).
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Record last month's commissioning figures on the 1st (a recorded month is never
    # changed, so a duplicate tick or a manual run adds nothing).
    "take-monthly-snapshots": {
        "task": "commissioning.tasks.take_monthly_snapshots_task",
        "schedule": crontab(day_of_month=1, hour=2, minute=30),
    },
    # Send due notifications from the outbox every minute (rows are leased: no repeats).
    "deliver-notifications": {
        "task": "notifications.tasks.deliver_pending_task",
        "schedule": env.float("NOTIFICATION_RELAY_SECONDS", default=60.0),
    },
    # Sweep training and supervision status at 05:30: flags, reminders, escalations
    # and Monday's digests (the day's SweepRun makes a second tick do nothing).
    "daily-sweep": {
        "task": "notifications.tasks.run_daily_sweep_task",
        "schedule": crontab(hour=SWEEP_HOUR, minute=SWEEP_MINUTE),
    },
    # Queue today's sweep again if it stalled (a worker died mid-chunk) or never
    # started; chunks are idempotent, so a copy that finds its chunk done does nothing.
    "sweep-watchdog": {
        "task": "notifications.tasks.sweep_watchdog_task",
        "schedule": float(SWEEP_WATCHDOG_SECONDS),
    },
    # Delete supervision content past each organisation's retention period nightly
    # (idempotent: content already purged is not there to purge again).
    "purge-expired-supervision-content": {
        "task": "supervision.tasks.purge_expired_content_task",
        "schedule": crontab(hour=4, minute=0),
    },
    # Erase the personal data of leavers past LEAVER_RETENTION_MONTHS nightly, in
    # chunks (idempotent: an erased person is marked, so a second run finds no one).
    "erase-leavers-past-retention": {
        "task": "home.tasks.erase_leavers_task",
        "schedule": crontab(hour=4, minute=30),
    },
}
# How long a relay holds the notifications it claimed: longer than the task's 300 s
# limit, so only a relay that died loses its rows to the next one.
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=600)

# --- Logging ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# --- Invitations (accounts) ---------------------------------------------------------
# How long the link in an invitation to set a first password works.
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)
