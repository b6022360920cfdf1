"""Workforce records in the Wagtail admin: platform admins manage them, no one else."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(roles=[Role.PLATFORM_ADMIN])


class TestWorkforceAdmin:
    def test_a_platform_admin_lists_and_searches_staff(self, client, admin_user):
        StaffProfileFactory(user=UserFactory(first_name="Nia", last_name="Rees"))
        StaffProfileFactory(user=UserFactory(first_name="Omar", last_name="Farah"))
        client.force_login(admin_user)

        response = client.get(reverse("staff:index"), {"q": "Rees"})

        assert response.status_code == 200
        body = response.content.decode()
        assert "Nia Rees" in body and "Omar Farah" not in body

    def test_a_platform_admin_adds_a_job_role(self, client, admin_user):
        client.force_login(admin_user)

        response = client.post(
            reverse("job_roles:add"),
            {
                "name": "Youth justice worker",
                "slug": "youth-justice-worker",
                "is_frontline": "on",
            },
        )

        assert response.status_code == 302

    @pytest.mark.parametrize("role", [Role.CONTENT_EDITOR])
    def test_a_content_editor_reaches_the_admin_but_not_the_staff_records(
        self, client, role
    ):
        client.force_login(UserFactory(roles=[role]))

        assert client.get(reverse("wagtailadmin_home")).status_code == 200
        assert client.get(reverse("staff:index")).status_code in {302, 403}

    @pytest.mark.parametrize(
        "role",
        [Role.PRACTITIONER, Role.SUPERVISOR, Role.PROVIDER_MANAGER, Role.COMMISSIONER],
    )
    def test_other_roles_cannot_open_the_admin(self, client, role):
        client.force_login(UserFactory(roles=[role]))

        response = client.get(reverse("staff:index"))

        assert response.status_code == 302
        assert client.get(reverse("wagtailadmin_home")).status_code == 302
