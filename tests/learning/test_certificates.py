"""Certificates on paper: the PDF says what was done and how to check it.

Whoever is handed a printed certificate has no link to click: they scan its QR code
or type its address. So the test reads the PDF as a verifier would (its text, and
the QR code decoded from a rendered image of the page) and follows that address
over HTTP, signed out.
"""

import urllib.request

import pypdfium2
import pytest
import zxingcpp
from django.urls import reverse

from accounts.roles import Role
from home.templatetags.govuk_dates import govuk_date
from learning.models import Completion
from learning.services import sync_training_status
from tests.factories import JobRoleFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    check_form,
    right_answers,
)
from workforce.dates import add_months, today

pytestmark = pytest.mark.django_db

A4_POINTS = (595.3, 841.9)


@pytest.fixture
def learner(make_person):
    return make_person(Role.PRACTITIONER, job_role=JobRoleFactory())


@pytest.fixture
def requirement(learner):
    return RequirementFactory(job_roles=[learner.job_role], renewal_months=12)


def pass_the_check(client, learner, module) -> Completion:
    client.force_login(learner.user)
    client.post(
        reverse("learning:knowledge_check", args=[module.pk]),
        check_form(client, module, right_answers(module)),
    )
    sync_training_status(as_of=today())
    return Completion.objects.get(person=learner, module=module)


def pdf_of(client, completion):
    response = client.get(
        reverse("learning:certificate_download", args=[completion.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return pypdfium2.PdfDocument(response.content)


class TestCertificateOnPaper:
    @pytest.mark.django_db(transaction=True)
    def test_the_pdf_carries_the_verification_url_and_its_qr_code_decodes_to_it(
        self, live_server, settings, client, learner, requirement
    ):
        settings.SITE_URL = live_server.url
        completion = pass_the_check(client, learner, requirement.module)
        url = live_server.url + reverse(
            "learning:certificate", args=[completion.verification_id]
        )

        pdf = pdf_of(client, completion)

        assert len(pdf) == 1
        assert pdf[0].get_size() == pytest.approx(A4_POINTS, abs=1)
        text = pdf[0].get_textpage().get_text_range()
        assert url in "".join(text.split())
        image = pdf[0].render(scale=2).to_pil()
        decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
        assert decoded == [url]
        client.logout()
        with urllib.request.urlopen(decoded[0], timeout=10) as answer:
            assert answer.status == 200
            page = answer.read().decode()
        assert "Genuine and valid" in page
        assert learner.full_name in page


class TestCertificatePdf:
    def test_the_pdf_names_issuer_module_version_score_dates_and_id(
        self, client, learner, requirement
    ):
        completion = pass_the_check(client, learner, requirement.module)

        text = " ".join(
            pdf_of(client, completion)[0].get_textpage().get_text_range().split()
        )

        on = completion.completed_on
        for expected in (
            learner.full_name,
            requirement.module.title,
            f"Issued by {learner.organisation.name}",
            f"Module version {completion.content_version}",
            f"scored {completion.score_percent}%",
            f"Completed {govuk_date(on)}",
            f"Valid until {govuk_date(add_months(on, 12))}",
            f"Certificate ID {completion.verification_id}",
        ):
            assert expected in text

    def test_someone_who_may_not_see_the_person_gets_no_pdf(
        self, client, learner, make_person, requirement
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)
        stranger = make_person(Role.PRACTITIONER, organisation=learner.organisation)
        client.force_login(stranger.user)
        response = client.get(
            reverse("learning:certificate_download", args=[completion.pk])
        )
        assert response.status_code == 404

    def test_the_public_page_keeps_the_holders_organisation_and_score_private(
        self, client, learner, requirement
    ):
        completion = pass_the_check(client, learner, requirement.module)
        client.logout()

        page = client.get(
            reverse("learning:certificate", args=[completion.verification_id])
        ).content.decode()

        assert "Genuine and valid" in page
        assert str(completion.verification_id) in page
        assert learner.organisation.name not in page
        assert learner.user.email not in page
        assert f"{completion.score_percent}%" not in page
