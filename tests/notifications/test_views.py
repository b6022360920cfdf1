"""The notifications page, the home page panel and the navigation link."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Notification
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
        NotificationFactory(recipient=me.user, subject="Older one", created_at=EARLIER)
        NotificationFactory(recipient=me.user, subject="Newer one")
        NotificationFactory(recipient=someone_else.user, subject="Not for you")
        client.force_login(me.user)

        page = client.get(reverse("notifications:list")).content.decode()

        assert page.index("Newer one") < page.index("Older one")
        assert "Not for you" not in page

    def test_new_ones_are_marked_new_once_then_read(self, client, make_person):
        me = make_person()
        NotificationFactory(recipient=me.user, subject="Supervision overdue")
        client.force_login(me.user)

        first = client.get(reverse("notifications:list")).content.decode()
        second = client.get(reverse("notifications:list")).content.decode()

        assert ">New</strong>" in first and "1 new since your last visit" in first
        assert ">New</strong>" not in second
        assert Notification.objects.get().read_at is not None

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
