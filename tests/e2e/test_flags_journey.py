"""Flags follow events: a practitioner passes a module, and the supervisor's next
page load no longer shows the flag, on the home page or the flags page."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from notifications.models import Flag, FlagKind
from notifications.sweep import run_daily_sweep
from tests.factories.learning import html_paper
from workforce.dates import today
from workforce.demo import DEMO_PASSWORD
from workforce.models import StaffProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_passing_a_module_clears_the_flag_on_the_supervisors_next_page_load(
    page, sign_in, assert_accessible
):  # type: ignore[no-untyped-def]
    call_command("seed_demo", "--quiet-logins")
    run_daily_sweep(as_of=today())
    practitioner = StaffProfile.objects.get(user__username="practitioner")
    flag = (
        Flag.objects.open()
        .filter(person=practitioner, kind=FlagKind.TRAINING)
        .select_related("requirement__module")
        .first()
    )
    assert flag is not None, "the demo practitioner has overdue training"
    module = flag.requirement.module
    assert practitioner.supervisor is not None
    supervisor = practitioner.supervisor.user.username
    line = f"{practitioner.full_name}: {module.title} training"

    def supervisor_sees() -> tuple[bool, bool]:
        page.context.clear_cookies()
        sign_in(supervisor, DEMO_PASSWORD)
        page.goto("/")
        on_home = line in page.locator("main").inner_text()
        page.goto("/notifications/flags/?kind=training&sort=name")
        assert_accessible(page)
        rows = page.locator("tbody tr").filter(has_text=practitioner.full_name)
        on_flags = rows.filter(has_text=f"{module.title} training").count() == 1
        return on_home, on_flags

    # The home page lists the ten longest overdue; the flags page lists them all.
    assert supervisor_sees()[1]
    link = page.get_by_role("link", name=practitioner.full_name).first
    assert link.get_attribute("href") == f"/learning/people/{practitioner.pk}/"

    # The practitioner passes the module's knowledge check.
    page.context.clear_cookies()
    sign_in("practitioner", DEMO_PASSWORD)
    page.goto(f"/learning/modules/{module.pk}/check/")
    bank = {q.id: q for q in module.questions()}
    for entry in html_paper(page.content()):
        for key in sorted(bank[entry["question"]].correct_keys):
            page.locator(f"label[for='q-{entry['question']}-{key}']").click()
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/learning/attempts/*/")
    assert page.locator("h1").inner_text() == "You passed"

    # No sweep has run since: the flag closed with the completion.
    assert supervisor_sees() == (False, False)
    flag.refresh_from_db()
    assert flag.closed_on == today()
