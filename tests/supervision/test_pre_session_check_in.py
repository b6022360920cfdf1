"""The supervisee's own check-in before a session: private, then shared."""

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.roles import Role
from supervision import services
from supervision.models import PreSessionCheckIn, SupervisionSession
from tests.factories import CommissioningContractFactory
from tests.factories.supervision import SupervisionSessionFactory
from workforce.dates import today

pytestmark = pytest.mark.django_db

HELP = "HELP-91c2: a quieter week after the Tuesday strategy meeting"


@pytest.fixture
def world(make_person):
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    org, team = supervisor.organisation, supervisor.team
    supervisee = make_person(
        Role.PRACTITIONER, organisation=org, team=team, supervisor=supervisor
    )
    other_supervisor = make_person(
        Role.SUPERVISOR, Role.PRACTITIONER, organisation=org, team=team
    )
    manager = make_person(Role.PROVIDER_MANAGER, organisation=org)
    contract = CommissioningContractFactory(provider=org)
    commissioner = make_person(Role.COMMISSIONER, organisation=contract.commissioner)
    admin = make_person(Role.PLATFORM_ADMIN, organisation=org)
    editor = make_person(Role.CONTENT_EDITOR, organisation=org)
    return {
        "supervisor": supervisor,
        "supervisee": supervisee,
        "other_supervisor": other_supervisor,
        "manager": manager,
        "commissioner": commissioner,
        "admin": admin,
        "editor": editor,
    }


def write(client, **overrides):
    data = {
        "impact": "8",
        "switching_off": "2",
        "support": "6",
        "workload": "5",
        "what_would_help": HELP,
        "support_wanted": ["occupational_health", "counselling"],
    }
    data.update(overrides)
    return client.post(reverse("supervision:pre_session_check_in"), data)


def record_session(client, supervisee, held_on):
    return client.post(
        reverse("supervision:session_new"),
        {
            "supervisees": [supervisee.pk],
            "held_on-day": str(held_on.day),
            "held_on-month": str(held_on.month),
            "held_on-year": str(held_on.year),
            "duration_minutes": "90",
            "format": "one_to_one",
            "feelings": "Steadier than last month.",
        },
    )


def every_page(session):
    return [
        reverse("home:dashboard"),
        reverse("supervision:my_supervision"),
        reverse("supervision:pre_session_check_in"),
        reverse("supervision:supervisor_dashboard"),
        reverse("supervision:manager_view"),
        reverse("supervision:session_detail", args=[session.pk]),
        reverse(
            "supervision:record_check_in",
            args=[session.pk, session.attendances.get().person_id],
        ),
        reverse("commissioning:dashboard"),
        "/api/v1/coverage/",
        "/admin/",
    ]


class TestWritingIt:
    def test_the_supervisee_writes_it_and_it_is_stored_encrypted(self, client, world):
        client.force_login(world["supervisee"].user)

        response = write(client)

        assert response.status_code == 302
        check_in = PreSessionCheckIn.objects.get()
        assert check_in.what_would_help == HELP
        assert check_in.switching_off_score == 2
        assert check_in.support_wanted_labels == [
            "Referral to occupational health",
            "Counselling or clinical consultation",
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT what_would_help, impact_score FROM "
                "supervision_presessioncheckin"
            )
            raw_text, raw_score = cursor.fetchone()
        assert "HELP-91c2" not in raw_text and raw_score != "8"

    def test_low_sleep_prompts_support_and_says_so(self, client, world):
        client.force_login(world["supervisee"].user)

        write(client, impact="3", switching_off="2", support="8", workload="8")
        body = client.get(reverse("supervision:pre_session_check_in")).content.decode()

        assert PreSessionCheckIn.objects.get().support_prompt is True
        assert "occupational health now" in body

    def test_good_answers_do_not_prompt(self, client, world):
        client.force_login(world["supervisee"].user)

        write(client, impact="2", switching_off="8", support="8", workload="8")

        assert PreSessionCheckIn.objects.get().support_prompt is False

    def test_writing_again_changes_the_waiting_check_in(self, client, world):
        client.force_login(world["supervisee"].user)

        write(client)
        write(client, what_would_help="Changed my mind")

        assert PreSessionCheckIn.objects.get().what_would_help == "Changed my mind"

    def test_the_database_holds_one_waiting_check_in_per_person(self, world):
        PreSessionCheckIn.objects.create(person=world["supervisee"], written_on=today())

        with pytest.raises(IntegrityError), transaction.atomic():
            PreSessionCheckIn.objects.create(
                person=world["supervisee"], written_on=today()
            )

    def test_it_can_be_deleted_before_it_is_shared(self, client, world):
        client.force_login(world["supervisee"].user)
        write(client)

        client.post(reverse("supervision:pre_session_check_in_remove"))

        assert not PreSessionCheckIn.objects.exists()


class TestBadInput:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("impact", "11", "Enter a number from 0 to 10"),
            ("switching_off", "-1", "Enter a number from 0 to 10"),
            ("support", "lots", "Enter a number from 0 to 10"),
            ("what_would_help", "x" * 2001, "Write 2,000 characters or fewer"),
            ("support_wanted", ["a-holiday"], "talk about from the list"),
        ],
    )
    def test_a_bad_answer_is_named_beside_its_field(
        self, client, world, field, value, message
    ):
        client.force_login(world["supervisee"].user)

        response = write(client, **{field: value})

        assert response.status_code == 400
        body = response.content.decode()
        assert message in body and f'id="id_{field}-error"' in body
        assert not PreSessionCheckIn.objects.exists()

    def test_an_empty_check_in_is_refused(self, client, world):
        client.force_login(world["supervisee"].user)

        response = client.post(reverse("supervision:pre_session_check_in"), {})

        assert response.status_code == 400
        assert "Answer at least one question" in response.content.decode()
        assert not PreSessionCheckIn.objects.exists()

    def test_script_is_shown_as_text(self, client, world):
        client.force_login(world["supervisee"].user)
        write(client, what_would_help="<script>alert(1)</script>")
        client.force_login(world["supervisor"].user)
        record_session(client, world["supervisee"], today())
        session = SupervisionSession.objects.get()

        body = client.get(
            reverse("supervision:session_detail", args=[session.pk])
        ).content.decode()

        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body

    def test_someone_without_a_staff_record_gets_a_404(self, client, django_user_model):
        user = django_user_model.objects.create_user("nobody", password="x-pass-99")
        client.force_login(user)

        assert client.get(reverse("supervision:pre_session_check_in")).status_code == (
            404
        )


class TestSharing:
    def test_private_until_the_session_then_the_supervisor_sees_it(self, client, world):
        supervisor, supervisee = world["supervisor"], world["supervisee"]
        earlier = SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=today() - timedelta(days=20),
            attendees=[supervisee],
        )
        client.force_login(supervisee.user)
        write(client)

        client.force_login(supervisor.user)
        before = client.get(
            reverse("supervision:session_detail", args=[earlier.pk])
        ).content.decode()
        assert HELP not in before

        response = record_session(client, supervisee, today())
        assert response.status_code == 302
        session = SupervisionSession.objects.exclude(pk=earlier.pk).get()
        body = client.get(
            reverse("supervision:session_detail", args=[session.pk])
        ).content.decode()

        assert HELP in body and "Offer support" in body
        check_in = PreSessionCheckIn.objects.get()
        assert check_in.session == session and check_in.shared_at is not None

    def test_the_supervisees_record_check_in_starts_from_their_answers(
        self, client, world
    ):
        client.force_login(world["supervisee"].user)
        write(client, impact="8", switching_off="2")
        client.force_login(world["supervisor"].user)
        record_session(client, world["supervisee"], today())
        session = SupervisionSession.objects.get()

        body = client.get(
            reverse(
                "supervision:record_check_in",
                args=[session.pk, world["supervisee"].pk],
            )
        ).content.decode()

        assert 'name="impact" value="8"' in body
        assert 'name="switching_off" value="2"' in body

    def test_one_written_after_the_session_waits_for_the_next(self, world):
        supervisor, supervisee = world["supervisor"], world["supervisee"]
        services.write_pre_session_check_in(
            by=supervisee.user,
            impact=5,
            switching_off=5,
            support=5,
            workload=5,
            what_would_help="For next time",
            support_wanted=[],
            as_of=date(2026, 11, 20),
        )

        services.create_session(
            supervisor=supervisor,
            supervisee_ids=[supervisee.pk],
            details=services.SessionDetails(
                held_on=date(2026, 11, 18), duration_minutes=60, format="one_to_one"
            ),
            as_of=date(2026, 11, 20),
        )

        assert PreSessionCheckIn.objects.get().session is None

    def test_after_sharing_the_next_check_in_starts_afresh(self, client, world):
        client.force_login(world["supervisee"].user)
        write(client)
        client.force_login(world["supervisor"].user)
        record_session(client, world["supervisee"], today())

        client.force_login(world["supervisee"].user)
        write(client, what_would_help="Next month")
        body = client.get(reverse("supervision:pre_session_check_in")).content.decode()

        assert PreSessionCheckIn.objects.count() == 2
        assert "Check-ins you shared" in body and "Next month" in body

    def test_a_shared_check_in_cannot_be_deleted_by_its_author(self, client, world):
        client.force_login(world["supervisee"].user)
        write(client)
        client.force_login(world["supervisor"].user)
        record_session(client, world["supervisee"], today())

        client.force_login(world["supervisee"].user)
        client.post(reverse("supervision:pre_session_check_in_remove"))

        assert PreSessionCheckIn.objects.get().session is not None

    @pytest.mark.parametrize(
        "who", ["other_supervisor", "manager", "commissioner", "admin", "editor"]
    )
    def test_nobody_else_reaches_any_of_its_text(self, client, world, who):
        client.force_login(world["supervisee"].user)
        write(client)
        client.force_login(world["supervisor"].user)
        record_session(client, world["supervisee"], today())
        session = SupervisionSession.objects.get()

        client.force_login(world[who].user)
        for url in every_page(session):
            response = client.get(url, follow=True)
            assert response.status_code in {200, 403, 404}, url
            assert "HELP-91c2" not in response.content.decode(), url

    def test_a_former_supervisor_sees_only_what_was_shared_with_them(self, world):
        supervisor, supervisee = world["supervisor"], world["supervisee"]
        services.write_pre_session_check_in(
            by=supervisee.user,
            impact=5,
            switching_off=5,
            support=5,
            workload=5,
            what_would_help=HELP,
            support_wanted=[],
            as_of=today(),
        )
        supervisee.supervisor = world["other_supervisor"]
        supervisee.save()

        visible = PreSessionCheckIn.objects.for_user(supervisor.user)
        new_visible = PreSessionCheckIn.objects.for_user(world["other_supervisor"].user)

        assert not visible.exists() and not new_visible.exists()


class TestRetention:
    def test_a_leavers_waiting_check_in_goes_after_retention(self, world):
        supervisee = world["supervisee"]
        PreSessionCheckIn.objects.create(
            person=supervisee, written_on=date(2020, 1, 1), what_would_help=HELP
        )
        supervisee.left_on = date(2020, 2, 1)
        supervisee.save()
        months = supervisee.organisation.supervision_retention_months

        services.purge_expired_content(as_of=date(2020, 2, 1) + timedelta(days=1))
        assert PreSessionCheckIn.objects.exists()

        services.purge_expired_content(
            as_of=date(2020 + months // 12 + 1, 2, 2),
        )
        assert not PreSessionCheckIn.objects.exists()
