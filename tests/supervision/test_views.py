"""Pages: who sees what, the browser flow, bad input, locking and query counts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from supervision.models import (
    AccessEvent,
    SessionAction,
    SessionAttendance,
    SupervisionSession,
)
from supervision.services import sync_supervision_status
from tests.factories import CaseloadSnapshotFactory, CommissioningContractFactory
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db

MARKER = "MARKER-7f3a-what-stays-with-me"
ACTION = "ACTION-2c9e-book a debrief with the duty manager"


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
    make_person(Role.PRACTITIONER, organisation=org, supervisor=other_supervisor)
    manager = make_person(Role.PROVIDER_MANAGER, organisation=org)
    contract = CommissioningContractFactory(provider=org)
    commissioner = make_person(Role.COMMISSIONER, organisation=contract.commissioner)
    editor = make_person(Role.CONTENT_EDITOR, organisation=org)
    admin = make_person(Role.PLATFORM_ADMIN, organisation=org)
    session = SupervisionSessionFactory(
        supervisor=supervisor,
        held_on=date(2026, 3, 1),
        feelings=MARKER,
        case_discussions=MARKER,
        attendees=[supervisee],
    )
    attendance = SessionAttendance.objects.get(session=session)
    attendance.supervisee_reflection = f"reflection {MARKER}"
    attendance.impact_score = 9
    attendance.save()
    SessionAction.objects.create(
        session=session, owner=supervisee, description=ACTION, due_on=date(2026, 4, 1)
    )
    sync_supervision_status(as_of=date(2026, 3, 15))
    return {
        "supervisee": supervisee,
        "supervisor": supervisor,
        "other_supervisor": other_supervisor,
        "manager": manager,
        "commissioner": commissioner,
        "editor": editor,
        "admin": admin,
        "session": session,
    }


def urls(world):
    pk = world["session"].pk
    person = world["supervisee"].pk
    return [
        reverse("home:dashboard"),
        reverse("supervision:my_supervision"),
        reverse("supervision:my_check_ins"),
        reverse("supervision:supervisor_dashboard"),
        reverse("supervision:manager_view"),
        reverse("supervision:session_detail", args=[pk]),
        reverse("supervision:session_edit", args=[pk]),
        reverse("supervision:record_check_in", args=[pk, person]),
        reverse("supervision:action_new", args=[pk]),
        reverse("supervision:session_cancel", args=[pk]),
        reverse("supervision_policies:index"),
        reverse("supervision_policy_stages:index"),
        "/admin/",
    ]


class TestConfidentiality:
    @pytest.mark.parametrize(
        "who",
        ["other_supervisor", "manager", "commissioner", "editor", "admin"],
    )
    def test_no_other_role_ever_sees_the_content(self, client, world, who):
        client.force_login(world[who].user)

        for url in urls(world):
            response = client.get(url, follow=True)
            assert response.status_code in {200, 403, 404}, url
            assert MARKER not in response.content.decode(), url
            assert ACTION not in response.content.decode(), url

    @pytest.mark.parametrize(
        "who", ["other_supervisor", "manager", "commissioner", "editor", "admin"]
    )
    def test_the_session_is_a_404_outside_its_supervisor_and_supervisees(
        self, client, world, who
    ):
        client.force_login(world[who].user)

        response = client.get(
            reverse("supervision:session_detail", args=[world["session"].pk])
        )

        assert response.status_code == 404

    @pytest.mark.parametrize("who", ["supervisor", "supervisee"])
    def test_the_supervisor_and_supervisee_read_it_without_caching(
        self, client, world, who
    ):
        client.force_login(world[who].user)

        response = client.get(
            reverse("supervision:session_detail", args=[world["session"].pk])
        )

        assert response.status_code == 200
        assert MARKER in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    def test_the_supervisee_cannot_open_the_supervisors_edit_pages(self, client, world):
        client.force_login(world["supervisee"].user)
        pk = world["session"].pk

        assert (
            client.get(reverse("supervision:session_edit", args=[pk])).status_code
            == 404
        )
        assert (
            client.post(reverse("supervision:session_finalise", args=[pk])).status_code
            == 404
        )

    def test_lists_never_show_content_even_to_the_supervisee(self, client, world):
        client.force_login(world["supervisee"].user)

        body = client.get(reverse("supervision:my_supervision")).content.decode()

        assert MARKER not in body and "1 March 2026" in body

    def test_the_supervisee_sees_the_text_of_their_own_open_actions(
        self, client, world
    ):
        client.force_login(world["supervisee"].user)

        body = client.get(reverse("supervision:my_supervision")).content.decode()

        assert ACTION in body and "Due 1 April 2026" in body

    def test_every_read_is_logged_and_the_supervisee_sees_who_read_it(
        self, client, world
    ):
        client.force_login(world["supervisor"].user)
        client.get(reverse("supervision:session_detail", args=[world["session"].pk]))

        client.force_login(world["supervisee"].user)
        body = client.get(reverse("supervision:my_supervision")).content.decode()

        event = AccessEvent.objects.get(user=world["supervisor"].user)
        assert event.person == world["supervisee"]
        assert event.session == world["session"]
        assert world["supervisor"].user.get_full_name() in body
        assert "Read a session record" in body

    def test_the_supervisees_own_reads_stay_out_of_their_access_log(
        self, client, world
    ):
        session = world["session"]
        client.force_login(world["supervisee"].user)
        for _ in range(3):
            client.get(reverse("supervision:session_detail", args=[session.pk]))

        body = client.get(reverse("supervision:my_supervision")).content.decode()

        assert not AccessEvent.objects.filter(user=world["supervisee"].user).exists()
        assert "No one else has read your record yet." in body

    def test_repeated_reads_by_the_supervisor_are_one_row_with_a_count(
        self, client, world
    ):
        session = world["session"]
        client.force_login(world["supervisor"].user)
        for _ in range(4):
            client.get(reverse("supervision:session_detail", args=[session.pk]))

        client.force_login(world["supervisee"].user)
        body = client.get(reverse("supervision:my_supervision")).content.decode()

        log = body.split("Who has read your record")[1]
        name = world["supervisor"].user.get_full_name()
        assert log.count(f'<td class="govuk-table__cell">{name}</td>') == 1
        assert '<td class="govuk-table__cell govuk-table__cell--numeric">4</td>' in log

    def test_the_check_in_trend_has_a_chart_and_a_table(self, client, world):
        client.force_login(world["supervisee"].user)

        response = client.get(reverse("supervision:my_check_ins"))

        body = response.content.decode()
        assert "<svg" in body and "<caption" in body and ">9<" in body
        assert "no-store" in response["Cache-Control"]


def post_session(client, supervisee, **overrides):
    data = {
        "supervisees": [supervisee.pk],
        "held_on": "2026-03-10",
        "duration_minutes": "90",
        "format": "one_to_one",
        "feelings": "Tired after a long week, but steadier.",
        "wellbeing_discussed": "on",
    }
    data.update(overrides)
    return client.post(reverse("supervision:session_new"), data)


class TestTheSessionFlow:
    def test_a_supervisor_logs_and_finalises_and_the_supervisee_signs_off(
        self, client, world
    ):
        supervisor, supervisee = world["supervisor"], world["supervisee"]
        client.force_login(supervisor.user)

        response = post_session(client, supervisee)
        session = SupervisionSession.objects.order_by("-pk").first()
        assert response.status_code == 302 and session.is_draft
        checkin = client.post(
            reverse("supervision:record_check_in", args=[session.pk, supervisee.pk]),
            {
                "impact": "8",
                "switching_off": "4",
                "support": "6",
                "workload": "5",
                "support_offered": ["extra_session"],
                "caseload": "17",
            },
        )
        assert checkin.status_code == 302
        client.post(reverse("supervision:session_finalise", args=[session.pk]))
        session.refresh_from_db()
        assert session.is_finalised
        assert (
            supervisee.caseload_snapshots.get(taken_on=date(2026, 3, 10)).open_cases
            == 17
        )

        client.force_login(supervisee.user)
        client.post(reverse("supervision:sign_off", args=[session.pk, "acknowledge"]))
        client.post(
            reverse("supervision:sign_off", args=[session.pk, "reflection"]),
            {"text": "It helped to say it out loud."},
        )

        attendance = SessionAttendance.objects.get(session=session, person=supervisee)
        assert attendance.acknowledged_at is not None
        assert attendance.supervisee_reflection == "It helped to say it out loud."
        client.force_login(supervisor.user)
        dashboard = client.get(reverse("supervision:supervisor_dashboard"))
        assert "offer support" in dashboard.content.decode()

    def test_finalising_shows_a_check_step_before_it_acts(self, client, world):
        supervisor, supervisee = world["supervisor"], world["supervisee"]
        client.force_login(supervisor.user)
        post_session(client, supervisee, next_session_on="2026-04-07")
        draft = SupervisionSession.objects.order_by("-pk").first()
        finalise = reverse("supervision:session_finalise", args=[draft.pk])

        detail = client.get(reverse("supervision:session_detail", args=[draft.pk]))
        check = client.get(finalise)

        draft.refresh_from_db()
        assert f'href="{finalise}"' in detail.content.decode()
        body = check.content.decode()
        assert check.status_code == 200 and draft.is_draft
        assert "Check the session before you finalise it" in body
        assert supervisee.full_name in body and "7 April 2026" in body
        assert "Finalise and tell your supervisees" in body
        client.post(finalise)
        draft.refresh_from_db()
        assert draft.is_finalised

    def test_the_drafts_list_names_who_each_draft_is_for(self, client, world):
        client.force_login(world["supervisor"].user)
        post_session(client, world["supervisee"])

        body = client.get(reverse("supervision:supervisor_dashboard")).content.decode()

        assert "Drafts to finalise" in body
        assert f"Session on 10 March 2026 with {world['supervisee'].full_name}" in body

    def test_the_supervisee_reads_their_own_reflection_as_yours(self, client, world):
        client.force_login(world["supervisee"].user)

        body = client.get(
            reverse("supervision:session_detail", args=[world["session"].pk])
        ).content.decode()

        assert "Your reflection" in body and "Their reflection" not in body

    def test_the_supervisor_reads_it_as_theirs(self, client, world):
        client.force_login(world["supervisor"].user)

        body = client.get(
            reverse("supervision:session_detail", args=[world["session"].pk])
        ).content.decode()

        assert "Their reflection" in body and "Your reflection" not in body

    def test_a_supervisee_cannot_see_a_draft(self, client, world):
        client.force_login(world["supervisor"].user)
        post_session(client, world["supervisee"])
        draft = SupervisionSession.objects.order_by("-pk").first()

        client.force_login(world["supervisee"].user)

        response = client.get(reverse("supervision:session_detail", args=[draft.pk]))
        assert response.status_code == 404

    def test_an_edit_after_finalising_keeps_the_old_text_as_a_version(
        self, client, world
    ):
        session = world["session"]
        client.force_login(world["supervisor"].user)

        client.post(
            reverse("supervision:session_edit", args=[session.pk]),
            {
                "version": session.version,
                "held_on": "2026-03-01",
                "duration_minutes": "60",
                "format": "one_to_one",
                "feelings": "Amended wording.",
            },
        )

        session.refresh_from_db()
        version = session.versions.get()
        assert session.feelings == "Amended wording."
        assert MARKER in version.content
        assert version.saved_by == world["supervisor"].user


class TestBadInput:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("held_on", "2099-01-01", "today or earlier"),
            ("duration_minutes", "0", "at least 1 minute"),
            ("duration_minutes", "481", "480 minutes"),
            ("held_on", "not a date", "must be a real date"),
            ("held_on", "2026-02-31", "that day does not exist"),
            ("held_on", "1900-01-01", "within the last 12 months"),
            ("next_session_on", "2026-03-01", "must be after the date of the session"),
            ("next_session_on", "2099-03-01", "within 12 months of the session"),
        ],
    )
    def test_a_bad_session_is_refused_beside_the_field_and_nothing_saved(
        self, client, world, field, value, message
    ):
        client.force_login(world["supervisor"].user)
        before = SupervisionSession.objects.count()

        response = post_session(client, world["supervisee"], **{field: value})

        assert response.status_code == 400
        body = response.content.decode()
        assert message in body and "govuk-error-summary" in body
        assert f'id="id_{field}-error"' in body
        assert SupervisionSession.objects.count() == before

    def test_the_check_in_says_which_way_each_scale_runs_and_offers_real_support(
        self, client, world
    ):
        client.force_login(world["supervisor"].user)
        session, person = world["session"], world["supervisee"]

        body = client.get(
            reverse("supervision:record_check_in", args=[session.pk, person.pk])
        ).content.decode()

        assert body.count("A higher number means it is harder for you.") == 1
        assert body.count("A higher number means things are better for you.") == 3
        assert "Referral to occupational health" in body
        assert "Counselling or clinical consultation" in body

    @pytest.mark.parametrize("score", ["11", "-1", "ten"])
    def test_a_check_in_score_outside_0_to_10_is_refused(self, client, world, score):
        client.force_login(world["supervisor"].user)
        session, person = world["session"], world["supervisee"]

        response = client.post(
            reverse("supervision:record_check_in", args=[session.pk, person.pk]),
            {"impact": score},
        )

        assert response.status_code == 400
        assert "Enter a number from 0 to 10" in response.content.decode()
        assert SessionAttendance.objects.get(session=session).impact_score == 9

    def test_an_action_without_an_owner_is_refused(self, client, world):
        client.force_login(world["supervisor"].user)
        session = world["session"]

        response = client.post(
            reverse("supervision:action_new", args=[session.pk]),
            {"description": "Book a debrief", "due_on": "2026-04-01"},
        )

        assert response.status_code == 400
        assert "Choose who owns this action" in response.content.decode()
        assert session.actions.count() == 1

    def test_a_session_date_typed_in_three_boxes_is_saved(self, client, world):
        client.force_login(world["supervisor"].user)

        response = post_session(
            client,
            world["supervisee"],
            held_on="",
            **{"held_on-day": "10", "held_on-month": "3", "held_on-year": "2026"},
        )

        assert response.status_code == 302
        session = SupervisionSession.objects.order_by("-pk").first()
        assert str(session.held_on) == "2026-03-10"

    def test_a_date_missing_its_month_says_so(self, client, world):
        client.force_login(world["supervisor"].user)

        response = post_session(
            client,
            world["supervisee"],
            held_on="",
            **{"held_on-day": "10", "held_on-year": "2026"},
        )

        assert response.status_code == 400
        assert "Date of the session must include a month" in response.content.decode()

    def test_an_action_already_past_due_is_refused(self, client, world):
        client.force_login(world["supervisor"].user)
        session = world["session"]

        response = client.post(
            reverse("supervision:action_new", args=[session.pk]),
            {
                "description": "Book a debrief",
                "owner": world["supervisee"].pk,
                "due_on": "2020-01-01",
            },
        )

        assert response.status_code == 400
        assert "today or in the future" in response.content.decode()
        assert session.actions.count() == 1

    def test_an_empty_check_in_is_refused_not_saved(self, client, world):
        client.force_login(world["supervisor"].user)
        session, person = world["session"], world["supervisee"]

        response = client.post(
            reverse("supervision:record_check_in", args=[session.pk, person.pk]),
            {"impact": "", "switching_off": "", "caseload": ""},
        )

        body = response.content.decode()
        assert response.status_code == 400
        assert "Answer at least one question" in body and "Check-in saved" not in body
        assert SessionAttendance.objects.get(session=session).impact_score == 9

    def test_a_stale_edit_is_refused_with_a_clear_message(self, client, world):
        session = world["session"]
        client.force_login(world["supervisor"].user)
        data = {
            "version": session.version,
            "held_on": "2026-03-01",
            "duration_minutes": "60",
            "format": "one_to_one",
        }
        first = client.post(
            reverse("supervision:session_edit", args=[session.pk]),
            {**data, "feelings": "First save."},
        )

        second = client.post(
            reverse("supervision:session_edit", args=[session.pk]),
            {**data, "feelings": "Second save, from an old page."},
        )

        assert first.status_code == 302 and second.status_code == 400
        assert "Someone else saved this session" in second.content.decode()
        session.refresh_from_db()
        assert session.feelings == "First save."


def grow(world, *, people: int, sessions_each: int):
    supervisor = world["supervisor"]
    from tests.factories import StaffProfileFactory

    for n in range(people):
        person = StaffProfileFactory(
            organisation=supervisor.organisation,
            team=supervisor.team,
            supervisor=supervisor,
        )
        CaseloadSnapshotFactory(person=person, taken_on=date(2026, 2, 28))
        for s in range(sessions_each):
            SupervisionSessionFactory(
                supervisor=supervisor,
                held_on=date(2026, 3, 1) - timedelta(days=28 * s + n % 5),
                attendees=[person],
            )
    sync_supervision_status(as_of=date(2026, 3, 15))


class TestQueryCounts:
    @pytest.mark.parametrize(
        ("who", "url"),
        [
            ("supervisor", "supervision:supervisor_dashboard"),
            ("manager", "supervision:manager_view"),
            ("admin", "supervision:manager_view"),
            ("supervisee", "supervision:my_supervision"),
        ],
    )
    def test_the_page_runs_the_same_queries_with_ten_times_the_data(
        self, client, world, who, url
    ):
        client.force_login(world[who].user)
        grow(world, people=2, sessions_each=2)
        # A first request touches the new session; the measured ones find it fresh.
        assert client.get(reverse(url)).status_code == 200
        with CaptureQueriesContext(connection) as small:
            assert client.get(reverse(url)).status_code == 200

        grow(world, people=18, sessions_each=20)
        with CaptureQueriesContext(connection) as large:
            assert client.get(reverse(url)).status_code == 200

        assert len(large) == len(small), [q["sql"] for q in large]
