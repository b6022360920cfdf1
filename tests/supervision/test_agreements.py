"""Supervision agreements: written by the supervisor, acknowledged, reviewed yearly."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from supervision import agreements
from supervision.models import SupervisionAgreement
from supervision.rules import AgreementState, agreement_state
from supervision.services import NotAllowed, SupervisionError
from workforce.dates import today

TERMS = agreements.AgreementTerms(
    frequency="Every four weeks, 90 minutes, one-to-one",
    place="The quiet room on the second floor",
    confidentiality="Kept between us; a safeguarding concern is always shared.",
    missed_sessions="Rebooked within two weeks, with the reason noted.",
)
MADE = date(2026, 1, 15)


class TestTheRule:
    @pytest.mark.parametrize(
        ("as_of", "acknowledged", "expected"),
        [
            (date(2026, 1, 15), False, AgreementState.AWAITING_SUPERVISEE),
            (date(2026, 1, 15), True, AgreementState.CURRENT),
            (date(2027, 1, 14), True, AgreementState.CURRENT),
            (date(2027, 1, 15), True, AgreementState.REVIEW_DUE),
            (date(2027, 1, 15), False, AgreementState.REVIEW_DUE),
        ],
    )
    def test_review_falls_due_a_year_after_it_was_made(
        self, as_of, acknowledged, expected
    ):
        assert (
            agreement_state(
                agreed_on=MADE,
                supervisee_acknowledged=acknowledged,
                made_with_current_supervisor=True,
                as_of=as_of,
            )
            is expected
        )

    def test_none_is_missing_and_a_former_supervisors_no_longer_holds(self):
        assert (
            agreement_state(
                agreed_on=None,
                supervisee_acknowledged=False,
                made_with_current_supervisor=True,
                as_of=MADE,
            )
            is AgreementState.MISSING
        )
        assert (
            agreement_state(
                agreed_on=MADE,
                supervisee_acknowledged=True,
                made_with_current_supervisor=False,
                as_of=MADE,
            )
            is AgreementState.WITH_FORMER_SUPERVISOR
        )


@pytest.mark.django_db
class TestTheServices:
    def test_the_supervisor_writes_it_and_the_supervisee_acknowledges_it(self, pair):
        supervisor, supervisee = pair

        agreement = agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
        )
        assert agreement.state_on(MADE) is AgreementState.AWAITING_SUPERVISEE
        agreements.acknowledge_agreement(
            by=supervisee.user, agreement_id=agreement.pk, now=timezone.now()
        )
        agreement.refresh_from_db()

        assert agreement.state_on(MADE) is AgreementState.CURRENT
        assert agreement.review_due_on == date(2027, 1, 15)

    def test_a_review_replaces_the_current_one_and_keeps_it(self, pair):
        supervisor, supervisee = pair
        first = agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
        )

        second = agreements.make_agreement(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            terms=TERMS,
            as_of=date(2027, 1, 10),
        )

        first.refresh_from_db()
        assert first.replaced_on == date(2027, 1, 10)
        assert agreements.current_agreement(supervisee) == second
        with pytest.raises(SupervisionError, match="replaced"):
            agreements.acknowledge_agreement(
                by=supervisee.user, agreement_id=first.pk, now=timezone.now()
            )

    def test_a_new_supervisor_makes_the_old_agreement_lapse(self, pair, make_person):
        supervisor, supervisee = pair
        agreement = agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
        )
        supervisee.supervisor = make_person(
            Role.SUPERVISOR, organisation=supervisee.organisation
        )
        supervisee.save()
        agreement.refresh_from_db()

        assert agreement.state_on(MADE) is AgreementState.WITH_FORMER_SUPERVISOR

    def test_only_the_supervisor_writes_and_only_the_supervisee_acknowledges(
        self, pair, make_person
    ):
        supervisor, supervisee = pair
        stranger = make_person(Role.SUPERVISOR, organisation=supervisee.organisation)
        with pytest.raises(NotAllowed):
            agreements.make_agreement(
                by=stranger.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
            )
        agreement = agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
        )
        with pytest.raises(NotAllowed):
            agreements.acknowledge_agreement(
                by=supervisor.user, agreement_id=agreement.pk, now=timezone.now()
            )

    def test_writing_and_acknowledging_are_audited_without_the_terms(self, pair):
        supervisor, supervisee = pair
        agreement = agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
        )
        for _ in range(2):  # acknowledging again changes nothing and logs nothing
            agreements.acknowledge_agreement(
                by=supervisee.user, agreement_id=agreement.pk, now=timezone.now()
            )

        entries = ModelLogEntry.objects.filter(
            object_id=str(agreement.pk), action__startswith="sustain.agreement."
        ).order_by("pk")
        assert [(e.action, e.user_id) for e in entries] == [
            ("sustain.agreement.make", supervisor.user.pk),
            ("sustain.agreement.acknowledge", supervisee.user.pk),
        ]
        logged = " ".join(str(e.data) for e in entries)
        assert TERMS.place not in logged and TERMS.confidentiality not in logged

    def test_every_part_is_needed(self, pair):
        supervisor, supervisee = pair
        blank = agreements.AgreementTerms(
            frequency="  ", place="x", confidentiality="y", missed_sessions="z"
        )

        with pytest.raises(SupervisionError, match="every part"):
            agreements.make_agreement(
                by=supervisor.user, supervisee_id=supervisee.pk, terms=blank, as_of=MADE
            )
        assert not SupervisionAgreement.objects.exists()

    def test_the_database_holds_one_current_agreement_per_supervisee(self, pair):
        supervisor, supervisee = pair
        agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=MADE
        )

        with pytest.raises(IntegrityError), transaction.atomic():
            SupervisionAgreement.objects.create(
                supervisee=supervisee,
                supervisor=supervisor,
                agreed_on=MADE,
                review_due_on=date(2027, 1, 15),
                **TERMS.__dict__,
            )


@pytest.mark.django_db
class TestThePages:
    def post(self, client, person, **overrides):
        data = dict(TERMS.__dict__) | overrides
        return client.post(
            reverse("supervision:agreement_edit", args=[person.pk]), data
        )

    def test_the_supervisor_sees_who_has_none_and_writes_one(self, client, pair):
        supervisor, supervisee = pair
        client.force_login(supervisor.user)

        board = client.get(reverse("supervision:supervisor_dashboard")).content
        assert b"No agreement" in board
        response = self.post(client, supervisee)

        assert response.status_code == 302
        board = client.get(reverse("supervision:supervisor_dashboard")).content
        assert b"Awaiting the supervisee" in board

    def test_the_supervisee_reads_and_accepts_it(self, client, pair):
        supervisor, supervisee = pair
        agreements.make_agreement(
            by=supervisor.user, supervisee_id=supervisee.pk, terms=TERMS, as_of=today()
        )
        client.force_login(supervisee.user)

        page = client.get(reverse("supervision:my_agreement")).content.decode()
        assert TERMS.place in page
        client.post(reverse("supervision:my_agreement"))

        assert agreements.current_agreement(supervisee).supervisee_acknowledged_at
        page = client.get(reverse("supervision:my_agreement")).content.decode()
        assert "You acknowledged it on" in page and "Agreed" in page

    def test_a_missing_part_is_named_beside_its_field(self, client, pair):
        supervisor, supervisee = pair
        client.force_login(supervisor.user)

        response = self.post(client, supervisee, place="", frequency="x" * 201)

        assert response.status_code == 400
        body = response.content.decode()
        assert 'id="id_place-error"' in body and 'id="id_frequency-error"' in body
        assert not SupervisionAgreement.objects.exists()

    def test_markup_is_shown_as_text(self, client, pair):
        supervisor, supervisee = pair
        client.force_login(supervisor.user)
        self.post(client, supervisee, place="<img src=x onerror=alert(1)>")

        client.force_login(supervisee.user)
        body = client.get(reverse("supervision:my_agreement")).content.decode()

        assert "<img src=x" not in body and "&lt;img src=x" in body

    def test_nobody_but_the_supervisor_opens_the_form(self, client, pair, make_person):
        supervisee = pair[1]
        for other in (
            supervisee,
            make_person(Role.SUPERVISOR, organisation=supervisee.organisation),
            make_person(Role.PROVIDER_MANAGER, organisation=supervisee.organisation),
        ):
            client.force_login(other.user)
            response = self.post(client, supervisee)
            assert response.status_code in {403, 404}
        assert not SupervisionAgreement.objects.exists()
