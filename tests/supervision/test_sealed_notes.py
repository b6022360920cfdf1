"""Sealed notes: a confidential record between a supervisor and one supervisee.

Only those two read it. Tested as the people it is for, and as each attacker who
might reach it: a provider manager, another supervisor, a platform admin, a
commissioner, a colleague from a group session and an API token.
"""

import io
import zipfile
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from accounts.tokens import issue_token
from supervision import sealed_notes, services
from supervision.fields import sealed_models
from supervision.models import SealedNote, SupervisionSession
from tests.factories.supervision import SupervisionSessionFactory
from tests.factories.workforce import CommissioningContractFactory

pytestmark = pytest.mark.django_db

SECRET = "SEALED-7Q: a divorce, and drinking more than before"


@pytest.fixture
def world(make_person):
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    org, team = supervisor.organisation, supervisor.team
    supervisee = make_person(
        Role.PRACTITIONER, organisation=org, team=team, supervisor=supervisor
    )
    colleague = make_person(
        Role.PRACTITIONER, organisation=org, team=team, supervisor=supervisor
    )
    other_supervisor = make_person(Role.SUPERVISOR, organisation=org, team=team)
    manager = make_person(Role.PROVIDER_MANAGER, organisation=org)
    admin = make_person(Role.PLATFORM_ADMIN)
    commissioner = make_person(Role.COMMISSIONER)
    CommissioningContractFactory(
        commissioner=commissioner.organisation,
        provider=org,
        starts_on=date(2020, 1, 1),
    )
    SupervisionSessionFactory(
        supervisor=supervisor,
        format=SupervisionSession.Format.GROUP,
        attendees=[supervisee, colleague],
    )
    note = sealed_notes.write_sealed_note(
        by=supervisor.user, supervisee_id=supervisee.pk, text=SECRET
    )
    return {
        "supervisor": supervisor,
        "supervisee": supervisee,
        "colleague": colleague,
        "other_supervisor": other_supervisor,
        "manager": manager,
        "admin": admin,
        "commissioner": commissioner,
        "note": note,
    }


def get(client, person, url):
    client.force_login(person.user)
    return client.get(url)


def zip_text(response) -> str:
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


class TestThePair:
    def test_the_supervisor_writes_it_from_their_supervisees_page(
        self, client, make_person
    ):
        supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
        supervisee = make_person(
            Role.PRACTITIONER,
            organisation=supervisor.organisation,
            supervisor=supervisor,
        )
        client.force_login(supervisor.user)
        dashboard = client.get(reverse("supervision:supervisor_dashboard"))
        url = reverse("supervision:sealed_note_edit", args=[supervisee.pk])
        assert url in dashboard.content.decode()
        response = client.post(url, {"text": SECRET}, follow=True)
        assert response.status_code == 200
        assert SECRET in response.content.decode()  # shown back in the form
        assert SealedNote.objects.get(supervisee=supervisee).text == SECRET

    def test_an_empty_note_is_refused_beside_the_field_and_saves_nothing(
        self, client, world
    ):
        client.force_login(world["supervisor"].user)
        url = reverse("supervision:sealed_note_edit", args=[world["supervisee"].pk])
        response = client.post(url, {"text": "   "})
        assert response.status_code == 400
        assert "govuk-error-message" in response.content.decode()
        world["note"].refresh_from_db()
        assert world["note"].text == SECRET

    def test_the_supervisee_is_shown_it_exists_and_reads_it(self, client, world):
        supervisee, note = world["supervisee"], world["note"]
        page = get(client, supervisee, reverse("supervision:my_supervision"))
        text = page.content.decode()
        detail = reverse("supervision:sealed_note_detail", args=[note.pk])
        assert detail in text and "Sealed notes" in text
        assert SECRET not in text  # its text only on its own page
        read = client.get(detail)
        assert read.status_code == 200
        assert SECRET in read.content.decode()
        assert "no-store" in read["Cache-Control"]

    def test_the_supervisee_sees_when_their_supervisor_read_it(self, client, world):
        get(
            client,
            world["supervisor"],
            reverse("supervision:sealed_note_detail", args=[world["note"].pk]),
        )
        page = get(client, world["supervisee"], reverse("supervision:my_supervision"))
        assert "Read your sealed note" in page.content.decode()

    def test_it_is_stored_encrypted_and_found_for_key_rotation(self, world):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT text FROM supervision_sealednote WHERE id = %s",
                [world["note"].pk],
            )
            (stored,) = cursor.fetchone()
        assert stored.startswith("fernet:") and "SEALED-7Q" not in stored
        assert SealedNote in sealed_models()

    def test_every_read_and_write_is_audited_without_its_text(self, client, world):
        note = world["note"]
        get(
            client,
            world["supervisee"],
            reverse("supervision:sealed_note_detail", args=[note.pk]),
        )
        get(
            client,
            world["supervisor"],
            reverse("supervision:sealed_note_edit", args=[world["supervisee"].pk]),
        )
        entries = ModelLogEntry.objects.filter(
            object_id=str(note.pk), action__startswith="sustain.sealed_note."
        )
        assert [(e.action, e.user_id) for e in entries.order_by("pk")] == [
            ("sustain.sealed_note.write", world["supervisor"].user_id),
            ("sustain.sealed_note.read", world["supervisee"].user_id),
            ("sustain.sealed_note.read", world["supervisor"].user_id),
        ]
        for entry in entries:
            assert "SEALED-7Q" not in str(entry.data) + entry.label

    def test_the_supervisee_s_own_data_download_holds_it(self, client, world):
        response = get(
            client, world["supervisee"], reverse("home:my_data") + "?download=1"
        )
        assert SECRET in zip_text(response)

    def test_the_supervisor_s_own_download_does_not(self, client, world):
        response = get(
            client, world["supervisor"], reverse("home:my_data") + "?download=1"
        )
        assert "SEALED-7Q" not in zip_text(response)


class TestAttackers:
    @pytest.mark.parametrize(
        "who", ["manager", "other_supervisor", "admin", "commissioner", "colleague"]
    )
    def test_gets_a_404_for_the_note_and_its_edit_page(self, client, world, who):
        attacker, note = world[who], world["note"]
        detail = reverse("supervision:sealed_note_detail", args=[note.pk])
        edit = reverse("supervision:sealed_note_edit", args=[world["supervisee"].pk])
        assert get(client, attacker, detail).status_code == 404
        assert get(client, attacker, edit).status_code in (403, 404)
        response = client.post(edit, {"text": "overwritten"})
        assert response.status_code in (403, 404)
        note.refresh_from_db()
        assert note.text == SECRET
        assert not ModelLogEntry.objects.filter(
            user=attacker.user, action__startswith="sustain.sealed_note."
        ).exists()

    @pytest.mark.parametrize(
        "who", ["manager", "other_supervisor", "admin", "commissioner", "colleague"]
    )
    def test_no_page_they_can_reach_holds_its_text(self, client, world, who):
        attacker, supervisee = world[who], world["supervisee"]
        session = SupervisionSession.objects.get(supervisor=world["supervisor"])
        urls = [
            reverse("home:dashboard"),
            reverse("supervision:my_supervision"),
            reverse("supervision:supervisor_dashboard"),
            reverse("supervision:manager_view"),
            reverse("supervision:session_detail", args=[session.pk]),
            reverse("learning:person_training", args=[supervisee.pk]),
            reverse("commissioning:dashboard"),
            "/admin/",
            "/admin/reports/site-history/",
        ]
        for url in urls:
            response = get(client, attacker, url)
            assert "SEALED-7Q" not in response.content.decode(), url
        produced = get(
            client, attacker, reverse("home:person_data", args=[supervisee.pk])
        )
        if who == "admin":  # an admin's copy for a subject access request omits it
            text = zip_text(produced)
            assert "SEALED-7Q" not in text
            assert "only the person can download it" in text
        else:
            assert produced.status_code in (403, 404)

    def test_an_api_token_reaches_nothing_of_it(self, world):
        for who in ("admin", "manager", "commissioner"):
            client = APIClient()
            _, key = issue_token(user=world[who].user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            note_url = reverse(
                "supervision:sealed_note_detail", args=[world["note"].pk]
            )
            assert client.get(note_url).status_code in (302, 401, 403, 404)
            for name in ("providers", "supervision", "checkins", "snapshots"):
                response = client.get(reverse(f"api:{name}"))
                assert "SEALED-7Q" not in response.content.decode()


class TestReassignment:
    @pytest.fixture
    def moved(self, world, make_person):
        former, supervisee = world["supervisor"], world["supervisee"]
        new = make_person(Role.SUPERVISOR, organisation=former.organisation)
        supervisee.supervisor = new
        supervisee.save(update_fields=["supervisor"])
        return former, new, supervisee, world["note"]

    def test_the_former_supervisor_reads_it_but_can_no_longer_change_it(
        self, client, moved
    ):
        former, _, supervisee, note = moved
        read = get(
            client, former, reverse("supervision:sealed_note_detail", args=[note.pk])
        )
        assert read.status_code == 200 and SECRET in read.content.decode()
        assert "no longer change it" in read.content.decode()
        edit = reverse("supervision:sealed_note_edit", args=[supervisee.pk])
        assert client.get(edit).status_code == 404
        assert client.post(edit, {"text": "rewritten"}).status_code == 404
        with pytest.raises(services.NotAllowed):
            sealed_notes.write_sealed_note(
                by=former.user, supervisee_id=supervisee.pk, text="rewritten"
            )
        note.refresh_from_db()
        assert note.text == SECRET

    def test_the_new_supervisor_starts_a_note_of_their_own(self, client, moved):
        _, new, supervisee, note = moved
        detail = reverse("supervision:sealed_note_detail", args=[note.pk])
        assert get(client, new, detail).status_code == 404
        edit = reverse("supervision:sealed_note_edit", args=[supervisee.pk])
        page = client.get(edit)
        assert page.status_code == 200 and "SEALED-7Q" not in page.content.decode()
        client.post(edit, {"text": "A new start"})
        assert SealedNote.objects.filter(supervisee=supervisee).count() == 2
        note.refresh_from_db()
        assert note.text == SECRET


class TestRetention:
    def test_the_note_goes_when_the_supervisee_is_past_retention(self, world):
        supervisee = world["supervisee"]
        supervisee.left_on = date(2019, 1, 31)
        supervisee.save(update_fields=["left_on"])
        services.purge_expired_content(as_of=date(2026, 3, 15))
        assert not SealedNote.objects.filter(pk=world["note"].pk).exists()

    def test_the_purge_also_empties_what_changed_in_their_practice(self, world):
        # The purge listed attendance fields by hand and missed practice_change.
        from supervision.models import SessionAttendance

        supervisee = world["supervisee"]
        SessionAttendance.objects.filter(person=supervisee).update(
            practice_change="PRACTICE-7Q"
        )
        for person in SessionAttendance.objects.filter(
            person__in=[supervisee, world["colleague"]]
        ).values_list("person", flat=True):
            type(supervisee).objects.filter(pk=person).update(left_on=date(2019, 1, 31))
        services.purge_expired_content(as_of=date(2026, 3, 15))
        assert SessionAttendance.objects.get(person=supervisee).practice_change == ""
