"""Booking the next session from the pages: the question page, check your
answers, then the invitation; errors beside their field; nothing saved from bad
input; other people's supervisees and bookings answer 404; two bookings posted at
once make one."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import Role
from notifications.models import Notification, NotificationKind
from supervision.bookings import book_session
from supervision.models import SessionBooking
from supervision.services import ensure_default_policies
from tests.factories.supervision import SupervisionSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_person):  # type: ignore[no-untyped-def]
    ensure_default_policies()
    supervisor = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    supervisee = make_person(
        Role.PRACTITIONER,
        organisation=supervisor.organisation,
        team=supervisor.team,
        supervisor=supervisor,
    )
    stranger_boss = make_person(Role.SUPERVISOR, Role.PRACTITIONER)
    stranger = make_person(
        Role.PRACTITIONER,
        organisation=stranger_boss.organisation,
        supervisor=stranger_boss,
    )
    return supervisor, supervisee, stranger_boss, stranger


def _client(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person.user)
    return client


def _answers(when, **overrides) -> dict[str, str]:  # type: ignore[no-untyped-def]
    local = timezone.localtime(when)
    data = {
        "starts_on-day": str(local.day),
        "starts_on-month": str(local.month),
        "starts_on-year": str(local.year),
        "starts_at_time": f"{local:%H:%M}",
        "duration_minutes": "90",
        "mode": "in_person",
        "place": "The small meeting room",
        "online_link": "",
    }
    data.update(overrides)
    return data


def _next_week():  # type: ignore[no-untyped-def]
    soon = timezone.localtime() + timedelta(days=7)
    return soon.replace(hour=14, minute=30, second=0, microsecond=0)


class TestBookingFromThePages:
    def test_question_page_then_check_answers_then_the_invitation(self, people):
        supervisor, supervisee, *_ = people
        client = _client(supervisor)
        url = reverse("supervision:booking_new", args=[supervisee.pk])
        assert client.get(url).status_code == 200
        when = _next_week()

        checking = client.post(url, _answers(when))
        assert checking.status_code == 200
        page = checking.content.decode()
        assert "Check the session before sending the invitation" in page
        assert "The small meeting room" in page
        assert not SessionBooking.objects.exists()  # nothing until confirmed

        done = client.post(url, {**_answers(when), "confirm": "1"})
        assert done.status_code == 302
        booking = SessionBooking.objects.get()
        assert booking.starts_at == when and booking.duration_minutes == 90
        invited = Notification.objects.filter(kind=NotificationKind.SESSION_BOOKED)
        assert set(invited.values_list("recipient_id", flat=True)) == {
            supervisor.user_id,
            supervisee.user_id,
        }
        assert ModelLogEntry.objects.filter(
            action="sustain.booking.book", object_id=str(booking.pk)
        ).exists()

        # Both people's pages show it.
        dashboard = client.get(reverse("supervision:supervisor_dashboard"))
        assert "Sessions booked" in dashboard.content.decode()
        assert reverse("supervision:booking_change", args=[booking.pk]) in (
            dashboard.content.decode()
        )
        mine = _client(supervisee).get(reverse("supervision:my_supervision"))
        text = mine.content.decode()
        assert "The small meeting room" in text and supervisor.full_name in text

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"starts_on-day": "31", "starts_on-month": "2"}, "starts_on", "real date"),
            ({"starts_at_time": "25:00"}, "starts_at_time", "like 14:30"),
            ({"starts_at_time": ""}, "starts_at_time", "Enter the start time"),
            ({"duration_minutes": "1"}, "duration_minutes", "at least 60 minutes"),
            ({"duration_minutes": "ninety"}, "duration_minutes", "number of minutes"),
            ({"place": ""}, "place", "Enter where you will meet"),
            (
                {"mode": "online", "online_link": "http://meet.example.org/a"},
                "online_link",
                "starting https://",
            ),
            (
                {"mode": "online", "online_link": "javascript:alert(1)"},
                "online_link",
                "starting https://",
            ),
            ({"mode": ""}, "mode", "Select how you will meet"),
        ],
    )
    def test_bad_input_shows_beside_its_field_and_saves_nothing(
        self, people, overrides, field, message
    ):
        supervisor, supervisee, *_ = people
        url = reverse("supervision:booking_new", args=[supervisee.pk])
        response = _client(supervisor).post(
            url, {**_answers(_next_week(), **overrides), "confirm": "1"}
        )
        assert response.status_code == 400
        form = response.context["form"]
        assert any(message in error for error in form.errors[field]), form.errors
        assert f'id="id_{field}' in response.content.decode()
        assert "There is a problem" in response.content.decode()
        assert not SessionBooking.objects.exists()
        assert not Notification.objects.exists()

    def test_a_date_in_the_past_or_a_time_earlier_today_is_refused(self, people):
        supervisor, supervisee, *_ = people
        client = _client(supervisor)
        url = reverse("supervision:booking_new", args=[supervisee.pk])
        yesterday = timezone.localtime() - timedelta(days=1)
        response = client.post(url, {**_answers(yesterday), "confirm": "1"})
        assert response.status_code == 400
        assert (
            "today or in the future" in response.context["form"].errors["starts_on"][0]
        )
        an_hour_ago = timezone.localtime() - timedelta(hours=1)
        if an_hour_ago.date() == timezone.localdate():
            response = client.post(url, {**_answers(an_hour_ago), "confirm": "1"})
            assert response.status_code == 400
            assert (
                "must be in the future"
                in (response.context["form"].errors["starts_at_time"][0])
            )
        assert not SessionBooking.objects.exists()

    def test_rebooking_and_cancelling_send_the_update_and_the_cancellation(
        self, people
    ):
        supervisor, supervisee, *_ = people
        session = SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=timezone.localdate(),
            attendees=[supervisee],
        )
        client = _client(supervisor)
        book = reverse("supervision:booking_new", args=[supervisee.pk])
        when = _next_week()
        client.post(
            f"{book}?from={session.pk}",
            {**_answers(when), "from_session": str(session.pk), "confirm": "1"},
        )
        booking = SessionBooking.objects.get()
        assert booking.booked_from_id == session.pk
        detail = client.get(reverse("supervision:session_detail", args=[session.pk]))
        assert reverse("supervision:booking_change", args=[booking.pk]) in (
            detail.content.decode()
        )

        # Booking again goes to the change page instead of making a second one.
        again = client.get(book)
        assert again.status_code == 302
        assert again.url.startswith(
            reverse("supervision:booking_change", args=[booking.pk])
        )

        change = reverse("supervision:booking_change", args=[booking.pk])
        moved = when + timedelta(days=1)
        assert client.get(change).status_code == 200
        client.post(change, {**_answers(moved, duration_minutes="120"), "confirm": "1"})
        booking.refresh_from_db()
        assert booking.starts_at == moved and booking.sequence == 1

        cancel = reverse("supervision:booking_cancel", args=[booking.pk])
        assert client.get(cancel).status_code == 200
        assert client.post(cancel).status_code == 302
        booking.refresh_from_db()
        assert booking.is_cancelled and booking.sequence == 2
        kinds = list(
            Notification.objects.filter(recipient=supervisee.user)
            .order_by("pk")
            .values_list("kind", flat=True)
        )
        assert kinds == [
            NotificationKind.SESSION_BOOKED,
            NotificationKind.SESSION_BOOKED,
            NotificationKind.BOOKING_CANCELLED,
        ]
        actions = set(
            ModelLogEntry.objects.filter(object_id=str(booking.pk)).values_list(
                "action", flat=True
            )
        )
        assert actions == {
            "sustain.booking.book",
            "sustain.booking.change",
            "sustain.booking.cancel",
        }
        # A cancelled booking can be neither changed nor cancelled again.
        assert client.get(change).status_code == 404
        assert client.post(cancel).status_code == 404


class TestAttackers:
    def test_another_organisations_supervisee_cannot_be_booked(self, people):
        supervisor, _, _, stranger = people
        client = _client(supervisor)
        url = reverse("supervision:booking_new", args=[stranger.pk])
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {**_answers(_next_week()), "confirm": "1"}).status_code
            == 404
        )
        assert not SessionBooking.objects.exists()

    def test_someone_elses_booking_cannot_be_changed_or_cancelled(self, people):
        supervisor, _, stranger_boss, stranger = people
        theirs = book_session(
            by=stranger_boss.user,
            supervisee_id=stranger.pk,
            starts_at=_next_week(),
            duration_minutes=90,
            place="Their room",
            now=timezone.now(),
        )
        client = _client(supervisor)
        for name in ("booking_change", "booking_cancel"):
            url = reverse(f"supervision:{name}", args=[theirs.pk])
            assert client.get(url).status_code == 404
            assert (
                client.post(url, {**_answers(_next_week()), "confirm": "1"}).status_code
                == 404
            )
        theirs.refresh_from_db()
        assert not theirs.is_cancelled and theirs.sequence == 0

    def test_the_supervisee_cannot_book_or_change_their_own(self, people):
        supervisor, supervisee, *_ = people
        booking = book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=_next_week(),
            duration_minutes=90,
            place="Room 1",
            now=timezone.now(),
        )
        client = _client(supervisee)
        assert client.get(
            reverse("supervision:booking_new", args=[supervisee.pk])
        ).status_code in (403, 404)
        assert client.post(
            reverse("supervision:booking_cancel", args=[booking.pk])
        ).status_code in (403, 404)
        booking.refresh_from_db()
        assert not booking.is_cancelled

    def test_a_session_of_someone_elses_cannot_be_named_as_the_source(self, people):
        supervisor, supervisee, stranger_boss, stranger = people
        theirs = SupervisionSessionFactory(
            supervisor=stranger_boss, held_on=timezone.localdate(), attendees=[stranger]
        )
        url = reverse("supervision:booking_new", args=[supervisee.pk])
        _client(supervisor).post(
            url,
            {**_answers(_next_week()), "from_session": str(theirs.pk), "confirm": "1"},
        )
        assert SessionBooking.objects.get().booked_from_id is None


class TestOneOpenBooking:
    def test_the_database_refuses_a_second_open_booking(self, people):
        supervisor, supervisee, *_ = people
        book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=_next_week(),
            duration_minutes=90,
            place="Room 1",
            now=timezone.now(),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            SessionBooking.objects.create(
                supervisor=supervisor,
                supervisee=supervisee,
                starts_at=_next_week() + timedelta(days=3),
                duration_minutes=90,
                place="Room 2",
                uid="second@test",
            )

    def test_a_booking_whose_time_has_passed_is_closed_when_the_next_is_booked(
        self, people
    ):
        supervisor, supervisee, *_ = people
        now = timezone.now()
        first = book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=now + timedelta(days=1),
            duration_minutes=90,
            place="Room 1",
            now=now,
        )
        later = now + timedelta(days=2)
        second = book_session(
            by=supervisor.user,
            supervisee_id=supervisee.pk,
            starts_at=later + timedelta(days=28),
            duration_minutes=90,
            place="Room 1",
            now=later,
        )
        first.refresh_from_db()
        assert first.closed_at == later and not first.is_cancelled
        assert list(SessionBooking.objects.open()) == [second]
        # The first session happened: no cancellation was sent for it.
        assert not Notification.objects.filter(
            kind=NotificationKind.BOOKING_CANCELLED
        ).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bookings_posted_at_once_make_one(people):
    supervisor, supervisee, *_ = people
    url = reverse("supervision:booking_new", args=[supervisee.pk])
    clients = [_client(supervisor) for _ in range(4)]
    when = _next_week()
    start = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def post(client: Client, offset: int) -> None:
        try:
            start.wait()
            answers = _answers(when + timedelta(hours=offset), confirm="1")
            statuses.append(client.post(url, answers).status_code)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(client, n))
        for n, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    # One is booked; the others are told to change it (the page, never a 500).
    assert sorted(statuses) == [302, 400, 400, 400]
    assert SessionBooking.objects.filter(supervisee=supervisee).count() == 1
    assert (
        Notification.objects.filter(
            recipient=supervisee.user, kind=NotificationKind.SESSION_BOOKED
        ).count()
        == 1
    )
