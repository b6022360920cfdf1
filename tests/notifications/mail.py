"""Email backends for the tests: a record that outlives the process, and a flaky one.

A Celery worker is a separate process, so Django's locmem outbox cannot see what it
sent. :class:`RecordingBackend` appends one line per message to the file named by
``SUSTAIN_TEST_MAIL_LOG`` instead, so the test reads exactly what went out.
"""

import os
import re
import smtplib
import time
from collections import Counter
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

MESSAGE_ID = re.compile(r"<notification-(\d+)@[^>]+>")


class RecordingBackend(BaseEmailBackend):
    """Append '<notification id> <address>' for each message sent.

    ``SUSTAIN_TEST_MAIL_DELAY`` seconds pass before each message is recorded, as a
    slow mail server would take; a process killed during the wait sent nothing.
    """

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        path = os.environ["SUSTAIN_TEST_MAIL_LOG"]
        delay = float(os.environ.get("SUSTAIN_TEST_MAIL_DELAY", "0"))
        for message in email_messages:
            if delay:
                time.sleep(delay)
            match = MESSAGE_ID.search(message.extra_headers.get("Message-ID", ""))
            line = f"{match.group(1) if match else '?'} {','.join(message.to)}\n"
            # One write on an O_APPEND file: whole lines, even from two processes.
            with open(path, "a") as log:
                log.write(line)
                log.flush()
                os.fsync(log.fileno())
        return len(email_messages)


class FlakyBackend(BaseEmailBackend):
    """Refuse the first ``failures_left`` messages (as a mail server answering 4xx
    would), then accept and keep the rest in :attr:`sent`."""

    failures_left = 0
    sent: list[EmailMessage] = []

    def send_messages(self, email_messages: list[EmailMessage]) -> int:
        for message in email_messages:
            if FlakyBackend.failures_left > 0:
                FlakyBackend.failures_left -= 1
                raise smtplib.SMTPResponseException(421, b"Try again later")
            FlakyBackend.sent.append(message)
        return len(email_messages)


def sent_ids(path: Path) -> Counter[int]:
    """Count how many times each notification id was sent, from the record file."""
    if not path.exists():
        return Counter()
    return Counter(
        int(line.split()[0]) for line in path.read_text().splitlines() if line.strip()
    )
