"""Home page panels: what is overdue or due soon, for the learner and their managers."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role, has_role
from home.panels import Panel
from learning import queries
from learning.models import TrainingStatus
from learning.rules import Status
from workforce.models import StaffProfile
from workforce.scoping import own_profile


def panels_for(user: User, *, as_of: date) -> list[Panel]:
    """Offer the learner their urgent training, and managers a count of overdue."""
    panels: list[Panel] = []
    profile = own_profile(user)
    if profile is not None:
        urgent = [
            item
            for item in queries.my_training(profile, as_of=as_of).required
            if item.cell.status in (Status.OVERDUE, Status.DUE_SOON, Status.EXTENSION)
        ]
        if urgent:
            panels.append(
                Panel(
                    title="Your training",
                    template="learning/panel.html",
                    context={
                        "rows": urgent,
                        "overdue_people": None,
                        "link": reverse("learning:my_training"),
                        "link_text": "Go to My training",
                    },
                    order=10,
                )
            )
    if has_role(user, Role.SUPERVISOR, Role.PROVIDER_MANAGER, Role.PLATFORM_ADMIN):
        others = StaffProfile.objects.for_user(user).active(as_of=as_of)
        if profile is not None:
            others = others.exclude(pk=profile.pk)
        counts = (
            TrainingStatus.objects.filter(person__in=others.values("pk"))
            .with_status(as_of)
            .aggregate(
                overdue=Count("person", filter=Q(status=Status.OVERDUE), distinct=True),
                due_soon=Count(
                    "person", filter=Q(status=Status.DUE_SOON), distinct=True
                ),
            )
        )
        panels.append(
            Panel(
                title="Your team's training",
                template="learning/panel.html",
                context={
                    "rows": [],
                    "overdue_people": counts["overdue"],
                    "due_soon_people": counts["due_soon"],
                    "link": reverse("learning:team_matrix")
                    + f"?status={Status.OVERDUE}",
                    "link_text": "See who is overdue",
                },
                order=20,
            )
        )
    return panels
