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


def pdf_text(response) -> str:  # type: ignore[no-untyped-def]
    """Open the downloaded PDF and read every page's text, as a reader would."""
    import pypdfium2

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = pypdfium2.PdfDocument(response.content)
    text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    # Lines wrap inside paragraphs: compare words, not line breaks.
    return " ".join(text.split())


class TestTheCPDRecordAsPDF:
    @pytest.fixture
    def period(self) -> str:
        return cpd_years(today())[1][0]  # last full CPD year

    @pytest.fixture
    def record(self, pair, period):
        from datetime import date, timedelta

        from tests.factories.learning import CompletionFactory
        from tests.factories.supervision import SupervisionSessionFactory

        supervisor, supervisee = pair
        start = date.fromisoformat(period)
        completion = CompletionFactory(
            person=supervisee, completed_on=start + timedelta(days=40)
        )
        session = SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=start + timedelta(days=70),
            experience="SUPERVISOR-EXPERIENCE-NOTE",
            wellbeing_notes="SUPERVISOR-WELLBEING-NOTE",
            attendees=[supervisee],
        )
        SessionAttendance.objects.filter(session=session).update(
            supervisee_reflection="Naming the impact early made it smaller.",
            practice_change="I note the impact in my log the same day.",
            reflection_in_cpd=True,
            reflection_discussed_with_peer=True,
            wellbeing_notes="SUPERVISOR-ATTENDEE-NOTE",
        )
        kept_out = SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=start + timedelta(days=100),
            attendees=[supervisee],
        )
        SessionAttendance.objects.filter(session=kept_out).update(
            supervisee_reflection="A PRIVATE REFLECTION KEPT OUT",
            reflection_in_cpd=False,
        )
        return supervisor, supervisee, completion

    def test_the_pdf_lists_completions_and_chosen_reflections_only(
        self, client, record, period
    ):
        _, supervisee, completion = record
        client.force_login(supervisee.user)

        text = pdf_text(
            client.get(
                reverse("supervision:my_cpd_record"),
                {"period": period, "format": "pdf"},
            )
        )

        assert "CPD record" in text
        assert supervisee.full_name in text
        assert completion.module.title in text
        assert "Training course (external)" in text
        assert "Naming the impact early made it smaller." in text
        assert "I note the impact in my log the same day." in text
        assert "Discussed with a peer Yes" in text
        held_on = SessionAttendance.objects.get(reflection_in_cpd=True).session.held_on
        assert f"{held_on.day} {held_on:%B %Y}" in text  # the reflection's date
        for private in (
            "SUPERVISOR-EXPERIENCE-NOTE",
            "SUPERVISOR-WELLBEING-NOTE",
            "SUPERVISOR-ATTENDEE-NOTE",
            "A PRIVATE REFLECTION KEPT OUT",
        ):
            assert private not in text

    def test_no_one_else_can_download_it(self, client, record, period):
        """The supervisor asking, even naming the supervisee, gets their own record."""
        supervisor, supervisee, completion = record
        client.force_login(supervisor.user)

        text = pdf_text(
            client.get(
                reverse("supervision:my_cpd_record"),
                {"period": period, "format": "pdf", "person": supervisee.pk},
            )
        )

        assert supervisor.full_name in text
        assert supervisee.full_name not in text
        assert completion.module.title not in text
        assert "Naming the impact early" not in text
