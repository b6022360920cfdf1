"""External training evidence: downloadable only by those who may see the person."""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.roles import Role
from learning.models import ExternalTraining
from tests.factories import StaffProfileFactory, UserFactory
from tests.factories.learning import make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    supervisor = StaffProfileFactory(user=UserFactory(roles=[Role.SUPERVISOR]))
    person = StaffProfileFactory(
        user=UserFactory(roles=[Role.PRACTITIONER]),
        organisation=supervisor.organisation,
        supervisor=supervisor,
    )
    training = ExternalTraining(
        person=person,
        module=make_module(),
        title="Face-to-face course",
        provider="Safeguarding partnership",
        completed_on=date(2026, 2, 1),
        recorded_by=supervisor.user,
    )
    training.evidence.save("certificate.pdf", ContentFile(b"%PDF evidence"))
    return training


class TestEvidenceDownload:
    def test_the_supervisor_downloads_the_evidence_privately(self, client, record):
        client.force_login(record.person.supervisor.user)

        response = client.get(reverse("learning:external_evidence", args=[record.pk]))

        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF evidence"
        assert "no-store" in response["Cache-Control"]

    def test_someone_else_gets_not_found(self, client, record):
        stranger = StaffProfileFactory(user=UserFactory(roles=[Role.SUPERVISOR]))
        client.force_login(stranger.user)

        response = client.get(reverse("learning:external_evidence", args=[record.pk]))

        assert response.status_code == 404

    def test_the_person_s_training_page_links_to_it(self, client, record):
        client.force_login(record.person.supervisor.user)

        page = client.get(
            reverse("learning:person_training", args=[record.person.pk])
        ).content.decode()

        assert reverse("learning:external_evidence", args=[record.pk]) in page
