"""Content is encrypted at rest, keys rotate, and a wrong key is an error."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from supervision.fields import ContentKeyError
from supervision.models import SessionAttendance, SupervisionSession
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db

SECRET = "Felt sick after the interview with C-1042"


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


class TestEncryptionAtRest:
    def test_the_database_holds_no_plaintext(self, pair):
        supervisor, supervisee = pair
        session = SupervisionSessionFactory(
            supervisor=supervisor, feelings=SECRET, attendees=[supervisee]
        )
        attendance = SessionAttendance.objects.get(session=session)
        attendance.impact_score = 8
        attendance.save()

        stored = raw("supervision_supervisionsession", "feelings", session.pk)
        score = raw("supervision_sessionattendance", "impact_score", attendance.pk)

        assert SECRET not in stored and stored.startswith("fernet:")
        assert score.startswith("fernet:")
        assert SupervisionSession.objects.get(pk=session.pk).feelings == SECRET
        assert SessionAttendance.objects.get(pk=attendance.pk).impact_score == 8

    def test_after_rotating_and_dropping_the_old_key_every_row_still_opens(
        self, pair, settings
    ):
        supervisor, supervisee = pair
        sessions = [
            SupervisionSessionFactory(
                supervisor=supervisor, feelings=f"{SECRET} {n}", attendees=[supervisee]
            )
            for n in range(3)
        ]
        old_key = settings.FIELD_ENCRYPTION_KEYS[0]
        new_key = Fernet.generate_key().decode()
        settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

        call_command("rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
        settings.FIELD_ENCRYPTION_KEYS = [new_key]

        assert [SupervisionSession.objects.get(pk=s.pk).feelings for s in sessions] == [
            f"{SECRET} {n}" for n in range(3)
        ]

    def test_a_wrong_key_raises_instead_of_showing_ciphertext(self, pair, settings):
        supervisor, _supervisee = pair
        session = SupervisionSessionFactory(supervisor=supervisor, feelings=SECRET)
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

        with pytest.raises(ContentKeyError, match="cannot be decrypted"):
            SupervisionSession.objects.get(pk=session.pk)

    def test_listing_without_content_never_decrypts(self, pair, settings):
        supervisor, _supervisee = pair
        SupervisionSessionFactory(supervisor=supervisor, feelings=SECRET)
        settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

        held = list(
            SupervisionSession.objects.without_content().values_list(
                "held_on", flat=True
            )
        )
        listed = [s.held_on for s in SupervisionSession.objects.without_content()]

        assert held == listed and len(listed) == 1
