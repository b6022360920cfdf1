"""The demo practitioner's CPD record: their completions and the reflections they
chose, shaped for a Social Work England entry, and nothing their supervisor wrote."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from learning.models import Completion
from supervision.cpd import HEADERS, REFLECTION
from supervision.forms import cpd_years
from supervision.models import CONTENT_FIELDS, SessionAction, SessionAttendance
from workforce.dates import today
from workforce.models import StaffProfile

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


class TestTheDemoPractitionersCPDRecord:
    def test_it_lists_their_completions_and_chosen_reflections_and_nothing_else(
        self, client
    ):
        call_command("seed_demo", "--quiet-logins")
        person = StaffProfile.objects.get(user__username="practitioner")
        client.force_login(person.user)
        downloaded: list[list[str]] = []
        for start, _label in cpd_years(today()):
            response = client.get(
                reverse("supervision:my_cpd_record"),
                {"period": start, "format": "csv"},
            )
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/csv")
            rows = _rows(response)
            assert rows[0] == list(HEADERS)
            downloaded += [row for row in rows[1:] if len(row) == len(HEADERS)]
        text = "\n".join(",".join(row) for row in downloaded)

        first_year = min(start for start, _ in cpd_years(today()))
        completions = Completion.objects.filter(
            person=person, completed_on__gte=first_year
        ).select_related("module")
        assert completions.exists()
        listed = {(row[0], row[1]) for row in downloaded if row[0] != REFLECTION}
        assert listed == {
            (c.module.title, c.completed_on.isoformat()) for c in completions
        }
        for row in downloaded:
            if row[0] != REFLECTION:
                assert row[5].isdigit() and row[6].isdigit(), row  # version, minutes

        attended = SessionAttendance.objects.filter(
            person=person, session__held_on__gte=first_year, session__state="finalised"
        ).select_related("session")
        chosen = [
            a for a in attended if a.reflection_in_cpd and a.supervisee_reflection
        ]
        assert chosen, "the demo practitioner chose reflections for CPD"
        reflections = [row for row in downloaded if row[0] == REFLECTION]
        assert sorted(row[3] for row in reflections) == sorted(
            a.supervisee_reflection for a in chosen
        )
        assert {row[7] for row in reflections} <= {"Yes", "No"}

        # Nothing their supervisor wrote: no part of any session's record, action,
        # check-in notes; and no reflection they did not choose.
        supervisor_wrote = [
            getattr(a.session, name) for a in attended for name in CONTENT_FIELDS
        ] + list(
            SessionAction.objects.filter(
                session__attendances__person=person
            ).values_list("description", flat=True)
        )
        for words in filter(None, supervisor_wrote):
            assert words not in text
        unchosen = {
            a.supervisee_reflection
            for a in attended
            if a.supervisee_reflection and not a.reflection_in_cpd
        } - {a.supervisee_reflection for a in chosen}
        for words in unchosen:
            assert words not in text

    def test_a_period_not_offered_gets_a_message_beside_the_field(
        self, client, make_person
    ):
        person = make_person()
        client.force_login(person.user)
        response = client.get(
            reverse("supervision:my_cpd_record"),
            {"period": "1999-12-01' OR 1=1", "format": "pdfx"},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Select CPD year from the list" in page
        assert "Select format from the list" in page
