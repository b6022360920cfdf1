"""Subject access: the demo practitioner downloads everything held about them, an
admin can produce the same (logged), and no model linked to a person is forgotten."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from home.subject_access import EXCLUDED, EXPORTED, personal_models
from supervision import demo as supervision_demo
from tests.factories.workforce import UserFactory
from workforce.demo import seed_workforce

pytestmark = pytest.mark.django_db


class TestRegistry:
    def test_every_model_linked_to_a_person_is_exported_or_excluded_with_a_reason(
        self,
    ):
        labels = {model._meta.label for model in personal_models()}
        missing = labels - set(EXPORTED) - set(EXCLUDED)
        assert not missing, f"add these to home.subject_access: {sorted(missing)}"
        assert all(reason.strip() for reason in EXCLUDED.values())
        assert not set(EXPORTED) & set(EXCLUDED)

    def test_every_exported_model_is_a_file_in_the_zip(self, make_person):
        from datetime import date

        from home.subject_access import subject_access_zip

        person = make_person(Role.PRACTITIONER)
        with zipfile.ZipFile(
            io.BytesIO(subject_access_zip(person, as_of=date(2026, 3, 15)))
        ) as archive:
            names = set(archive.namelist())
        assert {f"{label}.json" for label in EXPORTED} <= names
        assert "README.txt" in names


@pytest.fixture
def seeded(as_of):
    from learning import demo as learning_demo

    workforce = seed_workforce(as_of=as_of)
    learning_demo.seed(as_of=as_of, workforce=workforce)
    supervision_demo.seed(as_of=as_of, workforce=workforce)
    return {p.user.username: p for p in workforce.people}


def unzip(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {
            name: json.loads(archive.read(name)) if name.endswith(".json") else None
            for name in archive.namelist()
        }


class TestDemoPractitioner:
    def test_the_zip_holds_training_sessions_reflections_check_ins_and_access_log(
        self, client, seeded
    ):
        practitioner = seeded["practitioner"]
        supervisor = seeded["supervisor"]
        # The supervisor reads one of the practitioner's sessions: it is logged.
        client.force_login(supervisor.user)
        attended = practitioner.session_attendances.exclude(
            session__state="draft"
        ).first()
        client.get(reverse("supervision:session_detail", args=[attended.session_id]))
        attended.supervisee_reflection = "MY-OWN-REFLECTION"
        attended.save()
        client.force_login(practitioner.user)

        home = client.get(reverse("home:dashboard")).content.decode()
        assert reverse("home:my_data") in home  # reachable from the home page
        assert client.get(reverse("home:my_data")).status_code == 200
        files = unzip(client.get(reverse("home:my_data"), {"download": "1"}))

        assert files["learning.Completion.json"]
        assert files["learning.Attempt.json"]
        sessions = files["supervision.SupervisionSession.json"]
        assert sessions and any(s["experience"] for s in sessions)  # content
        attendances = files["supervision.SessionAttendance.json"]
        assert {a["person_id"] for a in attendances} == {practitioner.pk}
        reflections = [a["supervisee_reflection"] for a in attendances]
        assert "MY-OWN-REFLECTION" in reflections
        assert any(a["impact_score"] is not None for a in attendances)  # check-ins
        log = files["supervision.AccessEvent.json"]
        assert any(e["user_id"] == supervisor.user_id for e in log)
        assert ModelLogEntry.objects.filter(
            action="sustain.subject_access.export", user=practitioner.user
        ).exists()

    def test_an_admin_produces_the_same_and_it_is_logged(self, client, seeded):
        practitioner = seeded["practitioner"]
        admin = UserFactory(roles=[Role.PLATFORM_ADMIN])
        client.force_login(admin)

        files = unzip(client.get(reverse("home:person_data", args=[practitioner.pk])))

        assert files["learning.Completion.json"]
        entry = ModelLogEntry.objects.get(action="sustain.subject_access.export")
        assert entry.user == admin and entry.object_id == str(practitioner.pk)

    def test_no_one_else_may_download_someone_s_data(self, client, seeded):
        client.force_login(seeded["supervisor"].user)
        response = client.get(
            reverse("home:person_data", args=[seeded["practitioner"].pk])
        )
        assert response.status_code == 403

    def test_a_group_colleague_s_check_in_is_not_in_the_zip(self, client, seeded):
        practitioner = seeded["practitioner"]
        client.force_login(practitioner.user)
        files = unzip(client.get(reverse("home:my_data"), {"download": "1"}))
        assert all(
            a["person_id"] == practitioner.pk
            for a in files["supervision.SessionAttendance.json"]
        )
        assert all(
            e["person_id"] == practitioner.pk
            for e in files["supervision.AccessEvent.json"]
        )
