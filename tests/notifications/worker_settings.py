"""Settings for the Celery worker the relay tests start: the test settings, with
emails written to a file the test can read (``SUSTAIN_TEST_MAIL_LOG``)."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.mail.RecordingBackend"
NOTIFICATION_LEASE_SECONDS = int(os.environ.get("NOTIFICATION_LEASE_SECONDS", "600"))
# The relay tests shorten Redis's redelivery of unacknowledged messages from an hour
# to seconds, so a killed worker's task is seen to run again within the test.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(
        os.environ.get("SUSTAIN_TEST_VISIBILITY_TIMEOUT", "3600")
    ),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
# A worker started with beat (``-B``) runs only the jobs SUSTAIN_TEST_BEAT names
# (comma-separated beat entries), published to the test's own queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("SUSTAIN_TEST_QUEUE", "celery")
CELERY_BEAT_SCHEDULE = {
    name: entry
    for name, entry in CELERY_BEAT_SCHEDULE.items()  # noqa: F405
    if name in os.environ.get("SUSTAIN_TEST_BEAT", "").split(",")
}
