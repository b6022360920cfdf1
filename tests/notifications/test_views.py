"""The notifications page, the home page panel and the navigation link."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification, NotificationKind
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db

EARLIER = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class TestNotificationList:
    def test_it_needs_a_signed_in_user(self, client):
        response = client.get(reverse("notifications:list"))

        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]

    def test_it_shows_my_notifications_newest_first_and_no_one_elses(
        self, client, make_person
    ):
        me, someone_else = make_person(), make_person()
        NotificationFactory(
            recipient=me.user,
            kind=NotificationKind.SESSION_READY,
            key_date=date(2026, 2, 2),
            created_at=EARLIER,
        )
        NotificationFactory(
            recipient=me.user,
            kind=NotificationKind.TRAINING_COMPLETED,
            subject="You have completed Understanding CSE",
            key_date=date(2026, 3, 3),
        )
        NotificationFactory(
            recipient=someone_else.user,
            kind=NotificationKind.INVITATION,
            subject="Not for you",
        )
        client.force_login(me.user)

        page = client.get(reverse("notifications:list")).content.decode()

        newer = page.index("You have completed Understanding CSE on 3 March 2026.")
        older = page.index("supervision on 2 February 2026 is ready to read")
        assert newer < older
        assert "Not for you" not in page

    def test_unread_ones_stay_unread_until_marked_one_by_one_or_all(
        self, client, make_person
    ):
        me = make_person()
        first, second, third = NotificationFactory.create_batch(3, recipient=me.user)
        client.force_login(me.user)

        page = client.get(reverse("notifications:list")).content.decode()
        again = client.get(reverse("notifications:list")).content.decode()
        assert page.count(">Unread</strong>") == again.count(">Unread</strong>") == 3

        response = client.post(reverse("notifications:read"), {"id": second.pk})
        assert response.status_code == 302
        unread = set(Notification.objects.unread().values_list("pk", flat=True))
        assert unread == {first.pk, third.pk}

        response = client.post(reverse("notifications:read"), {"all": "1"}, follow=True)
        assert "2 notifications marked as read." in response.content.decode()
        assert not Notification.objects.unread().exists()
        assert ">Unread</strong>" not in response.content.decode()

    @pytest.mark.parametrize("bad", ["", "abc", "1; DROP TABLE", "9" * 40, "-1"])
    def test_a_bad_id_is_a_400_and_marks_nothing(self, client, make_person, bad):
        me = make_person()
        NotificationFactory(recipient=me.user)
        client.force_login(me.user)

        response = client.post(reverse("notifications:read"), {"id": bad})

        assert response.status_code == 400
        assert Notification.objects.unread().count() == 1

    def test_no_one_can_mark_someone_elses_notification_read(self, client, make_person):
        me, other = make_person(), make_person()
        theirs = NotificationFactory(recipient=other.user)
        client.force_login(me.user)

        client.post(reverse("notifications:read"), {"id": theirs.pk})
        client.post(reverse("notifications:read"), {"all": "1"})

        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_marking_read_needs_a_post(self, client, make_person):
        client.force_login(make_person().user)

        assert client.get(reverse("notifications:read")).status_code == 405

    def test_someone_with_none_is_told_so(self, client, make_person):
        client.force_login(make_person().user)

        page = client.get(reverse("notifications:list")).content.decode()

        assert "You have no notifications." in page

    def test_the_page_costs_the_same_queries_with_ten_times_the_notifications(
        self, client, make_person
    ):
        me = make_person()
        client.force_login(me.user)
        NotificationFactory.create_batch(2, recipient=me.user)
        client.get(reverse("notifications:list"))  # warm the session
        with CaptureQueriesContext(connection) as small:
            client.get(reverse("notifications:list"))
        NotificationFactory.create_batch(20, recipient=me.user)
        with CaptureQueriesContext(connection) as large:
            client.get(reverse("notifications:list"))

        assert len(large) == len(small)


class TestHomePanelAndNavigation:
    def test_the_home_page_counts_unread_notifications(self, client, make_person):
        me = make_person()
        NotificationFactory.create_batch(3, recipient=me.user)
        client.force_login(me.user)

        page = client.get(reverse("home:dashboard")).content.decode()

        assert "You have <strong>3</strong> unread notifications." in page

    def test_the_panel_goes_once_they_are_read(self, client, make_person, as_of):
        me = make_person()
        NotificationFactory(
            recipient=me.user, read_at=EARLIER + timedelta(days=1), created_at=EARLIER
        )
        client.force_login(me.user)

        page = client.get(reverse("home:dashboard")).content.decode()

        assert "unread notification" not in page

    def test_every_role_has_a_notifications_link(self, client, make_person):
        from accounts.roles import Role

        for role in Role:
            client.force_login(make_person(role).user)

            page = client.get(reverse("home:dashboard")).content.decode()

            assert f'href="{reverse("notifications:list")}"' in page, role
