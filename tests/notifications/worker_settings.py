"""Settings for the Celery worker the relay tests start: the test settings, with
emails written to a file the test can read (``SUSTAIN_TEST_MAIL_LOG``)."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.mail.RecordingBackend"
NOTIFICATION_LEASE_SECONDS = int(os.environ.get("NOTIFICATION_LEASE_SECONDS", "600"))
