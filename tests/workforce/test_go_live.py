"""Go-live: the demo roster, with when each person was last supervised and their
training history, imported into an empty organisation. Under quiet start nobody is
escalated and nothing is sent; without it, what is sent is what the preview said."""

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.models import User
from accounts.roles import Role
from learning.models import Completion, Requirement, TrainingStatus
from learning.rules import Status as TrainingState
from notifications.models import Flag, Notification, NotificationStatus
from notifications.services import deliver_pending
from notifications.sweep import run_daily_sweep
from tests.factories import OrganisationFactory, UserFactory
from workforce.dates import today
from workforce.models import Organisation, StaffProfile
from workforce.roster import COLUMNS, current_roster, import_roster

pytestmark = pytest.mark.django_db

GO_LIVE = "Harbourside Care"


def uk(day) -> str:
    return day.strftime("%d/%m/%Y")


@pytest.fixture
def demo_roster():
    """Make the demo's biggest provider into a roster file for a new, empty
    organisation: new emails, when each was last supervised, and each person's
    required modules as done before. Every third person was last supervised
    ``stale_days`` ago (the rest ten days ago); every fourth did their training
    350 days ago and every fifth brings none, so something is owed."""
    call_command("seed_demo", "--quiet-logins")
    as_of = today()
    OrganisationFactory(name=GO_LIVE, slug="harbourside-care")
    admin = UserFactory(is_superuser=True, is_staff=True)
    source = Organisation.objects.get(slug="northshire")
    titles: dict[int, list[str]] = {}
    for requirement in Requirement.objects.select_related("module").prefetch_related(
        "job_roles"
    ):
        for role in requirement.job_roles.all():
            titles.setdefault(role.pk, []).append(requirement.module.title)
    roles = {p.user.email: p.job_role_id for p in source.staff.select_related("user")}

    def make(*, stale_days: int) -> str:
        rows = [
            dict(zip(COLUMNS, ("" if v is None else str(v) for v in row), strict=True))
            for row in current_roster(admin, as_of=as_of)
        ]
        rows = [row for row in rows if row["organisation"] == source.name]
        assert len(rows) >= 20
        emails = {row["email"] for row in rows}

        def moved(email: str) -> str:
            return "golive." + email if email in emails else ""

        for n, row in enumerate(rows):
            done = uk(as_of - timedelta(days=350 if n % 4 == 0 else 60))
            modules = [] if n % 5 == 0 else titles.get(roles[row["email"]], [])
            supervised = as_of - timedelta(days=stale_days if n % 3 == 0 else 10)
            row.update(
                email=moved(row["email"]),
                organisation=GO_LIVE,
                supervisor_email=moved(row["supervisor_email"]),
                line_manager_email=moved(row["line_manager_email"]),
                last_supervised_on=uk(supervised),
                training_history="; ".join(f"{title}: {done}" for title in modules),
            )
        header = [*COLUMNS, "last_supervised_on", "training_history"]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([row[name] for name in header] for row in rows)
        return out.getvalue()

    return make


def admin():
    """A platform admin: the importer, who vouches for the training history."""
    return User.objects.filter(username="go-live-admin").first() or UserFactory(
        username="go-live-admin", roles=[Role.PLATFORM_ADMIN]
    )


def sent_to_go_live() -> Counter[str]:
    """What was emailed to people in the new organisation, by kind."""
    return Counter(
        Notification.objects.filter(
            status=NotificationStatus.SENT,
            recipient__profile__organisation__name=GO_LIVE,
        ).values_list("kind", flat=True)
    )


def test_importing_the_demo_roster_with_last_supervised_on_and_a_training_history_into_an_empty_organisation_escalates_nobody_and_sends_nothing_under_quiet_start(  # noqa: E501
    demo_roster,
):
    # Last supervised at most 24 days ago: some are due soon, nobody is late.
    roster = demo_roster(stale_days=24)
    deliver_pending(now=timezone.now(), batch_size=100_000)
    mail.outbox.clear()
    preview = import_roster(roster, importer=admin(), dry_run=True, quiet_start=True)
    assert preview.ok, preview.errors
    assert sum(preview.would_send.values()) == 0
    assert sum(preview.would_hold.values()) > 0  # what quiet start holds back
    assert not StaffProfile.objects.filter(organisation__name=GO_LIVE).exists()

    result = import_roster(roster, importer=admin(), quiet_start=True)
    assert result.ok and result.created >= 20 and result.history_recorded > 0
    people = StaffProfile.objects.filter(organisation__name=GO_LIVE)
    # History went through the service: completions, audited, status rows at once.
    assert Completion.objects.filter(person__in=people).count() == (
        result.history_recorded
    )
    assert ModelLogEntry.objects.filter(
        action="sustain.training_history.record"
    ).count() == (result.history_recorded)
    assert TrainingStatus.objects.filter(person__in=people).exists()
    run_daily_sweep(as_of=today())
    deliver_pending(now=timezone.now(), batch_size=100_000)

    assert not Flag.objects.filter(person__in=people).escalated().exists()
    assert Flag.objects.filter(person__in=people).open().exists()  # recorded
    addresses = set(people.values_list("user__email", flat=True))
    assert [m.to for m in mail.outbox if set(m.to) & addresses] == []
    assert not Notification.objects.filter(subject_person__in=people).exists()
    assert sent_to_go_live() == Counter()
    assert Organisation.objects.get(name=GO_LIVE).quiet_start_from is None

    # The day after, people are told as everyone is: the quiet start was once.
    run_daily_sweep(as_of=today() + timedelta(days=1))
    assert not Flag.objects.filter(person__in=people).escalated().exists()


def test_without_quiet_start_what_is_sent_matches_the_preview(demo_roster):
    roster = demo_roster(stale_days=49)  # some are late for supervision
    deliver_pending(now=timezone.now(), batch_size=100_000)
    preview = import_roster(roster, importer=admin(), dry_run=True)
    assert preview.ok, preview.errors
    expected = Counter({kind: n for kind, n in preview.would_send.items() if n})
    assert len(expected) >= 3, expected  # invitations, notices and a summary at least
    assert not StaffProfile.objects.filter(organisation__name=GO_LIVE).exists()

    result = import_roster(roster, importer=admin())
    assert result.ok
    run_daily_sweep(as_of=today())
    deliver_pending(now=timezone.now(), batch_size=100_000)

    assert sent_to_go_live() == expected
    people = StaffProfile.objects.filter(organisation__name=GO_LIVE)
    overdue = TrainingStatus.objects.filter(person__in=people).with_status(today())
    assert overdue.filter(status=TrainingState.OVERDUE).exists()


def test_a_bad_date_or_module_is_refused_beside_its_row_and_nothing_is_saved():
    from tests.factories import JobRoleFactory
    from tests.factories.learning import make_module

    OrganisationFactory(name=GO_LIVE, slug="harbourside-care")
    JobRoleFactory(name="Social worker", slug="social-worker")
    module = make_module("Understanding CSE").title
    future = uk(today() + timedelta(days=1))
    bad = [
        ("last_supervised_on", "31/02/2025", "impossible date"),
        ("last_supervised_on", "tomorrow", "is not a date"),
        ("last_supervised_on", future, "is in the future"),
        ("training_history", "No such module: 01/02/2024", "does not exist"),
        ("training_history", f"{module}: 30/02/2024", "impossible date"),
        ("training_history", f"{module}: {future}", "is in the future"),
        ("training_history", f"{module} 01/02/2024", "is not like"),
    ]
    header = [*COLUMNS, "last_supervised_on", "training_history"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    good = {
        "first_name": "Sam",
        "last_name": "Lee",
        "organisation": GO_LIVE,
        "job_role": "Social worker",
        "started_in_role": "01/09/2015",
        "last_supervised_on": uk(today() - timedelta(days=10)),
        "training_history": f"{module}: {uk(today() - timedelta(days=30))}",
    }
    rows = [{**good, "email": "ok@harbour.example"}]
    for n, (column, value, _) in enumerate(bad):
        rows.append({**good, "email": f"bad{n}@harbour.example", column: value})
    writer.writerows([row.get(name, "") for name in header] for row in rows)

    result = import_roster(out.getvalue(), importer=admin())

    assert not result.ok
    assert [(e.line, e.column) for e in result.errors] == [
        (n + 3, column) for n, (column, _, _) in enumerate(bad)
    ]
    for error, (_, _, message) in zip(result.errors, bad, strict=True):
        assert message in error.message, error.message
    assert not StaffProfile.objects.filter(organisation__name=GO_LIVE).exists()
