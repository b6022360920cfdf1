"""Home page panels: what needs attention in supervision today (metadata only)."""

from __future__ import annotations

from datetime import date

from accounts.models import User
from accounts.roles import Role, has_role
from home.panels import Panel
from supervision.models import SessionAttendance, SupervisionSession, SupervisionStatus
from supervision.reports import escalation_counts, supervisee_rows
from supervision.rules import Status
from workforce.scoping import own_profile

ATTENTION = {Status.DUE_SOON, Status.OVERDUE, Status.ESCALATED, Status.ESCALATED_TWICE}


def panels_for(user: User, *, as_of: date) -> list[Panel]:
    """Offer the supervisee, supervisor and manager panels this user should see."""
    profile = own_profile(user)
    if profile is None:
        return []
    panels = []
    row = SupervisionStatus.objects.filter(person=profile).first()
    status = row.status_on(as_of) if row else None
    unacknowledged = SessionAttendance.objects.filter(
        person=profile,
        session__state=SupervisionSession.State.FINALISED,
        acknowledged_at__isnull=True,
        disagreed_at__isnull=True,
    ).count()
    if status in ATTENTION or unacknowledged:
        panels.append(
            Panel(
                title="Your supervision",
                template="supervision/panels/supervisee.html",
                context={
                    "status": status,
                    "row": row,
                    "unacknowledged": unacknowledged,
                },
                order=20,
            )
        )
    if has_role(user, Role.SUPERVISOR):
        rows = supervisee_rows(profile, as_of=as_of, with_training=False)
        late = [r for r in rows if r.status in ATTENTION - {Status.DUE_SOON}]
        prompts = [r for r in rows if r.prompt]
        if late or prompts:
            panels.append(
                Panel(
                    title="Your supervisees",
                    template="supervision/panels/supervisor.html",
                    context={"late": late, "prompts": prompts},
                    order=21,
                )
            )
    if has_role(user, Role.PROVIDER_MANAGER):
        counts = escalation_counts(profile.organisation_id, as_of=as_of)
        panels.append(
            Panel(
                title="Supervision in your organisation",
                template="supervision/panels/manager.html",
                context=counts,
                order=22,
            )
        )
    return panels
