"""Revoking a certificate: the paper stops being trusted the moment it is revoked.

Someone holding a printed certificate only has its link. Once a manager revokes the
completion behind it, that link must say plainly that it is revoked and since when,
the PDF must no longer be issued, and the training must stop counting. An attacker
guessing at links learns nothing from an unknown ID, and nobody outside the
person's managers can revoke anything.
"""

import uuid

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from home.templatetags.govuk_dates import govuk_date
from learning.certificates import verification_url
from learning.models import Completion, TrainingStatus
from learning.services import (
    InvalidRevocation,
    revoke_certificate,
    sync_training_status,
)
from tests.factories import JobRoleFactory, OrganisationFactory
from tests.factories.learning import (
    CompletionFactory,
    RequirementFactory,
    check_form,
    right_answers,
)
from workforce.dates import today

pytestmark = pytest.mark.django_db

REASON = "The knowledge check was taken by a colleague on her behalf."


@pytest.fixture
def learner(make_person):
    return make_person(Role.PRACTITIONER, job_role=JobRoleFactory())


@pytest.fixture
def requirement(learner):
    return RequirementFactory(job_roles=[learner.job_role], renewal_months=12)


@pytest.fixture
def manager(make_person, learner):
    return make_person(Role.PROVIDER_MANAGER, organisation=learner.organisation)


def pass_the_check(client, learner, module) -> Completion:
    client.force_login(learner.user)
    client.post(
        reverse("learning:knowledge_check", args=[module.pk]),
        check_form(client, module, right_answers(module)),
    )
    sync_training_status(as_of=today())
    client.logout()
    return Completion.objects.filter(person=learner, module=module).latest("pk")


def public_page(client, completion):
    client.logout()
    return client.get(
        reverse("learning:certificate", args=[completion.verification_id])
    )


def revoke_as(client, user, completion, reason=REASON):
    client.force_login(user)
    return client.post(
        reverse("learning:revoke_certificate", args=[completion.pk]),
        {"reason": reason},
    )


class TestTheManagerRevokes:
    def test_the_printed_link_then_says_revoked_and_when_and_not_valid(
        self, client, learner, requirement, manager
    ):
        completion = pass_the_check(client, learner, requirement.module)
        assert "Genuine and valid" in public_page(client, completion).content.decode()

        client.force_login(manager.user)
        detail = client.get(reverse("learning:completion_detail", args=[completion.pk]))
        assert "Revoke this certificate" in detail.content.decode()
        form = client.get(reverse("learning:revoke_certificate", args=[completion.pk]))
        assert form.status_code == 200
        response = revoke_as(client, manager.user, completion)
        assert response.status_code == 302
        followed = client.get(response["Location"]).content.decode()
        assert "Certificate revoked" in followed
        assert "Revoke this certificate" not in followed

        answer = public_page(client, completion)
        page = answer.content.decode()
        assert answer.status_code == 200
        assert f"This certificate was revoked on {govuk_date(today())}" in page
        assert "It is not valid." in page
        assert "Genuine and valid" not in page
        assert REASON not in page  # why is never public
        assert learner.organisation.name not in page

    def test_the_pdf_is_no_longer_issued_and_the_training_stops_counting(
        self, client, learner, requirement, manager
    ):
        completion = pass_the_check(client, learner, requirement.module)
        status = TrainingStatus.objects.get(person=learner, requirement=requirement)
        assert status.last_completed_on == today()

        revoke_as(client, manager.user, completion)

        status.refresh_from_db()
        assert status.last_completed_on is None
        client.force_login(learner.user)
        download = client.get(
            reverse("learning:certificate_download", args=[completion.pk])
        )
        assert download.status_code == 410
        assert download["Content-Type"].startswith("text/html")
        assert "This certificate has been revoked" in download.content.decode()
        mine = client.get(reverse("learning:my_training")).content.decode()
        assert "Revoked" in mine
        assert (
            reverse("learning:certificate_download", args=[completion.pk]) not in mine
        )
        # The holder may read why on their own record.
        own = client.get(reverse("learning:completion_detail", args=[completion.pk]))
        assert REASON in own.content.decode()

    def test_it_is_audited_without_the_reason(
        self, client, learner, requirement, manager
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)
        revoke_as(client, manager.user, completion)

        entry = ModelLogEntry.objects.get(action="sustain.completion.revoke")
        assert entry.user_id == manager.user.pk
        assert entry.object_id == str(completion.pk)
        assert REASON not in str(entry.data) + entry.label
        completion.refresh_from_db()
        assert completion.revoked_by == manager.user
        assert completion.revocation_reason == REASON

    def test_a_new_pass_the_same_day_stands_in_place_of_the_revoked_one(
        self, client, learner, requirement, manager
    ):
        first = pass_the_check(client, learner, requirement.module)
        revoke_as(client, manager.user, first)

        second = pass_the_check(client, learner, requirement.module)

        assert second.pk != first.pk
        assert second.completed_on == first.completed_on == today()
        status = TrainingStatus.objects.get(person=learner, requirement=requirement)
        assert status.last_completed_on == today()
        assert "Genuine and valid" in public_page(client, second).content.decode()
        assert "It is not valid." in public_page(client, first).content.decode()


class TestBadInput:
    @pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
    def test_a_missing_or_overlong_reason_is_refused_beside_the_field(
        self, client, learner, requirement, manager, reason
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)

        response = revoke_as(client, manager.user, completion, reason=reason)

        assert response.status_code == 400
        page = response.content.decode()
        assert "There is a problem" in page
        assert 'id="id_reason-error"' in page
        completion.refresh_from_db()
        assert not completion.is_revoked
        assert not ModelLogEntry.objects.filter(action="sustain.completion.revoke")


class TestAnAttacker:
    def test_an_unknown_or_malformed_id_is_a_plain_404_that_names_nobody(
        self, client, learner, requirement
    ):
        CompletionFactory(person=learner, module=requirement.module)

        unknown = client.get(reverse("learning:certificate", args=[uuid.uuid4()]))
        malformed = client.get("/learning/certificates/1/")

        for answer in (unknown, malformed):
            assert answer.status_code == 404
            assert learner.full_name not in answer.content.decode()
            assert "revoked" not in answer.content.decode().lower()

    @pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.SUPERVISOR])
    def test_the_holder_and_their_supervisor_cannot_revoke(
        self, client, learner, requirement, make_person, role
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)
        user = (
            learner.user
            if role == Role.PRACTITIONER
            else make_person(Role.SUPERVISOR, organisation=learner.organisation).user
        )

        assert revoke_as(client, user, completion).status_code == 403
        completion.refresh_from_db()
        assert not completion.is_revoked

    def test_another_organisations_manager_gets_404_and_revokes_nothing(
        self, client, learner, requirement, make_person
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)
        outsider = make_person(
            Role.PROVIDER_MANAGER, organisation=OrganisationFactory()
        )

        assert revoke_as(client, outsider.user, completion).status_code == 404
        with pytest.raises(Completion.DoesNotExist):
            revoke_certificate(
                completion_id=completion.pk,
                revoked_by=outsider.user,
                reason=REASON,
                as_of=today(),
            )
        completion.refresh_from_db()
        assert not completion.is_revoked

    def test_a_manager_cannot_revoke_their_own_certificate(
        self, client, manager, requirement
    ):
        own = CompletionFactory(person=manager, module=requirement.module)

        response = revoke_as(client, manager.user, own)

        assert response.status_code == 400
        assert "You cannot revoke your own certificate" in response.content.decode()
        own.refresh_from_db()
        assert not own.is_revoked

    def test_a_double_post_revokes_once_and_audits_once(
        self, client, learner, requirement, manager
    ):
        completion = CompletionFactory(person=learner, module=requirement.module)

        revoke_as(client, manager.user, completion)
        again = revoke_as(client, manager.user, completion, reason="Second go")

        assert again.status_code == 302
        assert (
            ModelLogEntry.objects.filter(action="sustain.completion.revoke").count()
            == 1
        )
        completion.refresh_from_db()
        assert completion.revocation_reason == REASON
        with pytest.raises(InvalidRevocation):
            revoke_certificate(
                completion_id=completion.pk,
                revoked_by=manager.user,
                reason="Third go",
                as_of=today(),
            )

    def test_the_database_refuses_a_revocation_without_who(self, learner, requirement):
        from django.db import IntegrityError, transaction
        from django.utils import timezone

        completion = CompletionFactory(person=learner, module=requirement.module)
        completion.revoked_at = timezone.now()
        with pytest.raises(IntegrityError), transaction.atomic():
            completion.save(update_fields=["revoked_at"])


def test_the_verification_url_of_a_revoked_certificate_is_unchanged(
    learner, requirement, manager
):
    completion = CompletionFactory(person=learner, module=requirement.module)
    before = verification_url(completion)
    revoke_certificate(
        completion_id=completion.pk,
        revoked_by=manager.user,
        reason=REASON,
        as_of=today(),
    )
    completion.refresh_from_db()
    assert verification_url(completion) == before


def test_a_revoked_completion_leaves_the_holders_cpd_record(
    client, learner, requirement, manager
):
    from supervision.forms import cpd_years

    completion = pass_the_check(client, learner, requirement.module)
    period = max(start for start, _label in cpd_years(today()))

    def cpd_text() -> str:
        client.force_login(learner.user)
        response = client.get(
            reverse("supervision:my_cpd_record"), {"period": period, "format": "csv"}
        )
        assert response.status_code == 200
        return b"".join(response.streaming_content).decode("utf-8-sig")

    assert requirement.module.title in cpd_text()
    revoke_as(client, manager.user, completion)
    assert requirement.module.title not in cpd_text()
