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


PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32


@pytest.fixture
def manager(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    manager = StaffProfileFactory(user=UserFactory(roles=[Role.PROVIDER_MANAGER]))
    person = StaffProfileFactory(organisation=manager.organisation)
    return manager, person, make_module()


def post_evidence(client, manager, name, content, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    boss, person, module = manager
    client.force_login(boss.user)
    return client.post(
        reverse("learning:new_external_training", args=[person.pk]),
        {
            "module": module.pk,
            "title": "Course",
            "provider": "Partnership",
            "completed_on-day": "1",
            "completed_on-month": "2",
            "completed_on-year": "2026",
            "evidence": SimpleUploadedFile(name, content, content_type=content_type),
            "evidence_reference": "",
        },
    )


class TestEvidenceUpload:
    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("page.html", b"<html><script>alert(1)</script></html>"),
            ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'),
            ("app.js", b"alert(document.cookie)"),
            ("certificate.pdf", b"MZ\x90\x00\x03" + b"\0" * 64),  # an .exe, renamed
        ],
    )
    def test_a_file_that_is_not_a_pdf_png_or_jpeg_is_refused_beside_the_field(
        self, client, manager, name, content
    ):
        response = post_evidence(client, manager, name, content)

        assert response.status_code == 400
        assert "The file must be a PDF, PNG or JPEG." in response.content.decode()
        assert not ExternalTraining.objects.exists()

    def test_a_file_over_the_limit_is_refused(self, client, manager, settings):
        settings.EVIDENCE_MAX_MB = 10
        big = PDF + b"\0" * (11 * 1024 * 1024)

        response = post_evidence(client, manager, "big.pdf", big)

        assert response.status_code == 400
        assert "smaller than 10 MB" in response.content.decode()
        assert not ExternalTraining.objects.exists()

    @pytest.mark.parametrize(
        ("name", "content", "kind"),
        [
            ("scan.PDF", PDF, "application/pdf"),
            ("photo.png", PNG, "image/png"),
            ("photo.html", JPEG, "image/jpeg"),  # judged by contents, not name
        ],
    )
    def test_a_pdf_png_or_jpeg_is_kept_under_a_random_name_and_served_as_itself(
        self, client, manager, name, content, kind
    ):
        response = post_evidence(client, manager, name, content)

        assert response.status_code == 302, response.content.decode()[:2000]
        record = ExternalTraining.objects.get()
        stored = record.evidence.name
        assert stored.startswith("training-evidence/")
        assert name.rsplit(".", 1)[0] not in stored
        download = client.get(reverse("learning:external_evidence", args=[record.pk]))
        assert download["Content-Type"] == kind
        assert download["X-Content-Type-Options"] == "nosniff"
        assert download["Content-Disposition"].startswith("attachment")


@pytest.fixture
def debug_urls(settings):
    """Load the URL configuration as ``make run`` (DEBUG) loads it."""
    import importlib

    from django.urls import clear_url_caches

    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


class TestNoPublicRoute:
    @pytest.mark.parametrize(
        "path",
        [
            "/media/training-evidence/2026/x.pdf",
            "/media//training-evidence/2026/x.pdf",
            "/media/./training-evidence/2026/x.pdf",
            "/media/%2ftraining-evidence/2026/x.pdf",
            "/media/%2Ftraining-evidence/2026/x.pdf",
            "/media/images/../training-evidence/2026/x.pdf",
            "/media/images/%2e%2e/training-evidence/2026/x.pdf",
            "/media/images/..%2ftraining-evidence/2026/x.pdf",
            "/media/%252ftraining-evidence/2026/x.pdf",
            "/media/TRAINING-EVIDENCE/2026/x.pdf",
        ],
    )
    def test_evidence_is_not_served_from_media_under_debug(
        self, client, settings, tmp_path, debug_urls, path
    ):
        settings.MEDIA_ROOT = tmp_path
        folder = tmp_path / "training-evidence" / "2026"
        folder.mkdir(parents=True)
        (folder / "x.pdf").write_bytes(b"<script>alert(1)</script>")
        (tmp_path / "TRAINING-EVIDENCE").mkdir()

        response = client.get(path)

        assert response.status_code == 404, path
        assert b"alert" not in b"".join(getattr(response, "streaming_content", [])) + (
            b"" if response.streaming else response.content
        )

    def test_wagtail_images_are_still_served_under_debug_without_sniffing(
        self, client, settings, tmp_path, debug_urls
    ):
        settings.MEDIA_ROOT = tmp_path
        (tmp_path / "images").mkdir()
        (tmp_path / "images" / "a.png").write_bytes(PNG)

        response = client.get("/media/images/a.png")

        assert response.status_code == 200
        assert response["X-Content-Type-Options"] == "nosniff"
