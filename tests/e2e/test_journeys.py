"""The demo's journeys, end to end in Chromium, each page checked with axe-core.

One seeded demo county per test; each test walks a whole journey as the people in it
would, and checks both what they see and what was stored.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from learning.models import Attempt, Completion, ModulePage, SectionProgress
from learning.rules import Status
from supervision.models import (
    PreSessionCheckIn,
    SessionAttendance,
    SupervisionSession,
)
from tests.factories.learning import html_paper
from workforce.dates import add_months, today
from workforce.models import Organisation, StaffProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STATUS_WORDS = [label for _, label in Status.choices]


def _ok(response) -> None:  # type: ignore[no-untyped-def]
    assert response is not None and response.status == 200, response and response.url


def _section_heading(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("nav[aria-label='Sections of this module'] p").inner_text()


def _error_for(page, control) -> str:  # type: ignore[no-untyped-def]
    """Return the error message a form control points to with aria-describedby."""
    ids = (control.get_attribute("aria-describedby") or "").split()
    errors = [i for i in ids if i.endswith("-error")]
    assert errors, f"no error message is tied to {control}"
    return " ".join(page.locator(f"[id='{i}']").inner_text() for i in errors)


def _assert_summary_links_resolve(page) -> None:  # type: ignore[no-untyped-def]
    """Each link in the error summary goes to something on the page."""
    links = page.locator(".govuk-error-summary__list a").all()
    assert links
    for link in links:
        target = link.get_attribute("href") or ""
        assert re.fullmatch(r"#\S+", target), f"{link.inner_text()!r} -> {target!r}"
        assert page.locator(f"[id='{target[1:]}']").count() == 1, target


def _choose(page, question_id: str, option: str) -> None:  # type: ignore[no-untyped-def]
    page.locator(f"label[for='q-{question_id}-{option}']").click()


class TestLearning:
    def test_a_practitioner_takes_a_module_and_its_certificate_verifies(
        self, page, demo, switch_to, assert_accessible
    ):
        switch_to("practitioner")
        person = StaffProfile.objects.get(user__username="practitioner")

        # My training: every module, each with its status in words.
        _ok(page.goto("/learning/"))
        assert_accessible(page)
        required = page.get_by_role("table", name="Training you need to keep in date")
        rows = required.locator("tbody tr")
        optional = page.locator("h2:has-text('Other modules') + ul > li")
        assert rows.count() + optional.count() >= 5
        for i in range(rows.count()):
            status = rows.nth(i).locator("td").first.locator("strong").inner_text()
            assert status in STATUS_WORDS
        row = rows.filter(has_text=re.compile(r"Overdue|Due soon")).first
        title = row.locator("th").inner_text().strip()
        module = ModulePage.objects.get(title=title)
        total = len(module.sections)
        assert total >= 3

        # Start it; finish two sections, leave, and resume at the third.
        row.get_by_role("link", name=f"Start {title}").click()
        assert page.locator("h1").inner_text() == title
        for number in (1, 2):
            assert _section_heading(page).startswith(f"Section {number} of {total}")
            assert_accessible(page)
            page.get_by_role("button", name="Save and continue").click()
        assert (
            SectionProgress.objects.get(person=person, module=module).sections_done == 2
        )
        page.goto("/learning/")
        page.get_by_role("link", name=f"Resume {title}").click()
        assert _section_heading(page).startswith(f"Section 3 of {total}")
        for number in range(3, total + 1):
            assert _section_heading(page).startswith(f"Section {number} of {total}")
            assert_accessible(page)
            last = number == total
            name = "Save and go to the knowledge check" if last else "Save and continue"
            page.get_by_role("button", name=name).click()

        # The knowledge check: one question left unanswered records nothing.
        page.wait_for_url(f"**/learning/modules/{module.pk}/check/")
        assert_accessible(page)
        bank = {q.id: q for q in module.questions()}
        paper = html_paper(page.content())
        questions = [bank[entry["question"]] for entry in paper]
        for question in questions[:-1]:
            for key in sorted(question.correct_keys):
                _choose(page, question.id, key)
        page.get_by_role("button", name="Submit answers").click()
        summary = page.locator(".govuk-error-summary")
        assert f"Answer question {len(questions)}" in summary.inner_text()
        assert page.title().startswith("Error: ")
        assert not Attempt.objects.filter(
            person=person, module=module, submitted_on=today()
        ).exists()
        assert_accessible(page)
        # The answers already given are kept; answer the last one and submit.
        first = questions[0]
        assert page.locator(f"#q-{first.id}-{min(first.correct_keys)}").is_checked()
        for key in sorted(questions[-1].correct_keys):
            _choose(page, questions[-1].id, key)
        page.get_by_role("button", name="Submit answers").click()

        # The result: the score and every explanation.
        page.wait_for_url("**/learning/attempts/*/")
        assert page.locator("h1").inner_text() == "You passed"
        assert "Your score: 100%" in page.locator(".govuk-panel").inner_text()
        explanations = page.locator(".govuk-inset-text").all_inner_texts()
        assert explanations == [q.explanation for q in questions]
        assert_accessible(page)
        completion = Completion.objects.get(
            person=person, module=module, completed_on=today()
        )
        assert completion.score_percent == 100
        assert completion.attempt.passed

        # The module is now in date until its renewal.
        _ok(page.goto("/learning/"))
        requirement = module.requirements.get()
        until = add_months(today(), requirement.renewal_months)
        row = required.locator("tbody tr").filter(has_text=title)
        assert f"In date until {until.day} {until:%B %Y}" in row.inner_text()
        row.get_by_role("link", name=f"Certificate for {title}").click()
        assert page.locator("h1").inner_text() == "Certificate of completion"
        assert_accessible(page)

        # The completion page gives the public link; it works signed out.
        _ok(page.goto(f"/learning/completions/{completion.pk}/"))
        assert_accessible(page)
        link = page.locator("dd a[href*='/learning/certificates/']")
        verify_url = link.get_attribute("href")
        assert str(completion.verification_id) in verify_url
        page.context.clear_cookies()
        _ok(page.goto(verify_url))
        keys = page.locator("dt.govuk-summary-list__key").all_inner_texts()
        values = page.locator("dd.govuk-summary-list__value").all_inner_texts()
        assert keys == [
            "Name",
            "Module",
            "Module version",
            "Completed",
            "Still valid",
            "Certificate ID",
        ]
        on = completion.completed_on
        assert values[:4] == [
            person.full_name,
            title,
            str(completion.content_version),
            f"{on.day} {on:%B %Y}",
        ]
        assert f"Valid until {until.day} {until:%B %Y}" in values[4]
        assert values[5] == str(completion.verification_id)
        main = page.locator("main").inner_text()
        for private in (
            person.organisation.name,
            person.user.email,
            "100%",
            "Sign out",
        ):
            assert private not in main
        assert_accessible(page)

    def test_a_learner_fails_revisits_the_sections_and_passes_on_different_items(
        self, page, demo, switch_to, assert_accessible
    ):
        switch_to("practitioner")
        person = StaffProfile.objects.get(user__username="practitioner")
        module = ModulePage.objects.get(slug="understanding-cse")
        bank = {q.id: q for q in module.questions()}
        earlier = Attempt.objects.filter(person=person, module=module)
        last_pk = max(earlier.values_list("pk", flat=True), default=0)

        # First try: every answer wrong.
        _ok(page.goto(module.url))
        assert_accessible(page)
        _ok(page.goto(f"/learning/modules/{module.pk}/check/"))
        assert_accessible(page)
        first = [entry["question"] for entry in html_paper(page.content())]
        for qid in first:
            wrong = next(k for k in bank[qid].keys if k not in bank[qid].correct_keys)
            _choose(page, qid, wrong)
        page.get_by_role("button", name="Submit answers").click()
        page.wait_for_url("**/learning/attempts/*/")
        assert page.locator("h1").inner_text() == "Not passed this time"
        assert_accessible(page)

        # The result names each missed question and the section behind it, and
        # gives away neither the right option nor the explanation.
        main = page.locator("main").inner_text()
        listed = page.locator("#questions-to-work-on li").all_inner_texts()
        assert len(listed) == len(first)
        headings = [section["heading"] for section in module.sections]
        sections = sorted({bank[qid].section for qid in first})
        for qid, item in zip(first, listed, strict=True):
            question = bank[qid]
            assert question.text in item
            number = question.section
            assert f"Revisit section {number}: {headings[number - 1]}" in item
            for index in question.correct:
                assert question.options[index] not in main
            assert question.explanation not in main
        assert "right answer" not in main.lower()

        # Trying again at once: first the sections to revisit, and no questions.
        page.get_by_role("link", name="Try the knowledge check again").click()
        assert page.locator("h1").inner_text() == "Before you try again"
        assert page.locator("input[type=radio], input[type=checkbox]").count() == 0
        assert_accessible(page)
        links = page.locator("main ul a")
        assert [
            int(re.search(r"Section (\d+)", t)[1]) for t in links.all_inner_texts()
        ] == sections
        for number in sections:
            page.get_by_role(
                "link", name=f"Section {number}: {headings[number - 1]}"
            ).click()
            assert _section_heading(page).startswith(f"Section {number} of ")
            assert_accessible(page)
            page.go_back()

        # The retake opens, with questions the first try did not show; pass it.
        _ok(page.goto(f"/learning/modules/{module.pk}/check/"))
        second = [entry["question"] for entry in html_paper(page.content())]
        assert len(second) == len(first)
        assert not set(second) & set(first)
        assert_accessible(page)
        for qid in second:
            for key in sorted(bank[qid].correct_keys):
                _choose(page, qid, key)
        page.get_by_role("button", name="Submit answers").click()
        page.wait_for_url("**/learning/attempts/*/")
        assert page.locator("h1").inner_text() == "You passed"
        assert_accessible(page)
        # Every attempt is kept, each with the paper it showed.
        attempts = list(
            Attempt.objects.filter(
                person=person, module=module, pk__gt=last_pk
            ).order_by("pk")
        )
        assert [a.passed for a in attempts] == [False, True]
        assert [[e["question"] for e in a.paper] for a in attempts] == [first, second]


class TestSupervision:
    def test_a_session_is_logged_finalised_and_signed_off_and_stays_private(
        self, page, demo, switch_to, assert_accessible
    ):
        practitioner = StaffProfile.objects.get(user__username="practitioner")
        marker = "ZEBRA-MARKER-7741"
        switch_to("supervisor")
        _ok(page.goto("/supervision/sessions/new/"))
        assert_accessible(page)
        before = SupervisionSession.objects.count()

        # Bad input: errors beside the fields, nothing saved.
        _fill_date(page, "Date of the session", today() + timedelta(days=1))
        page.get_by_label("Length in minutes").fill("0")
        page.get_by_label("Format").select_option(index=0)
        page.get_by_label("Case discussions").fill(f"C-1042: {marker}")
        page.get_by_label("Decisions").fill("Refer C-1042 to the MACE panel.")
        page.get_by_label("Experience: what happened").fill("A hard week.")
        page.get_by_label("Feelings: what it felt like").fill("Worried.")
        page.get_by_label("Analysis: making sense of it").fill("Pattern noticed.")
        page.get_by_label("Learning: what to take from it").fill("Ask earlier.")
        page.get_by_label("Plan: what happens next").fill("Joint visit.")
        page.get_by_label("Wellbeing and emotional impact were discussed").check()
        page.get_by_role("button", name="Save as a draft").click()
        assert page.title().startswith("Error: ")
        assert "must be today or earlier" in _error_for(
            page, page.get_by_role("group", name="Date of the session")
        )
        assert "at least 1 minute" in _error_for(
            page, page.get_by_label("Length in minutes")
        )
        assert "Choose at least one supervisee" in _error_for(
            page, page.get_by_role("group", name="Who attended")
        )
        _assert_summary_links_resolve(page)
        assert SupervisionSession.objects.count() == before
        assert_accessible(page)

        # Valid input: saved as a draft.
        _fill_date(page, "Date of the session", today())
        page.get_by_label("Length in minutes").fill("75")
        page.get_by_label(practitioner.full_name).check()
        page.get_by_role("button", name="Save as a draft").click()
        page.wait_for_url(re.compile(r"/supervision/sessions/\d+/$"))
        session_url = page.url
        pk = int(session_url.rstrip("/").rsplit("/", 1)[1])
        session = SupervisionSession.objects.get(pk=pk)
        assert session.state == SupervisionSession.State.DRAFT
        assert session.duration_minutes == 75
        assert marker in session.case_discussions
        assert "Session saved as a draft." in page.locator("main").inner_text()
        assert_accessible(page)

        # The check-in: a score of 11 is refused beside the field.
        page.get_by_role(
            "link", name=f"Record check-in for {practitioner.full_name}"
        ).click()
        assert_accessible(page)
        impact = page.get_by_label("How much is the work staying with you?")
        impact.fill("11")
        page.get_by_label("How supported do you feel?").fill("6")
        page.get_by_role("button", name="Save the check-in").click()
        assert "from 0 to 10" in _error_for(page, impact)
        _assert_summary_links_resolve(page)
        attendance = SessionAttendance.objects.get(session=session, person=practitioner)
        assert attendance.impact_score is None
        assert_accessible(page)
        impact.fill("5")
        # Wellbeing notes belong to each supervisee: written on their check-in.
        page.get_by_label("Wellbeing and emotional impact", exact=True).fill(
            f"Sleeping badly. {marker}"
        )
        page.get_by_role("button", name="Save the check-in").click()
        page.wait_for_url(session_url)
        attendance.refresh_from_db()
        assert (attendance.impact_score, attendance.support_score) == (5, 6)
        assert marker in attendance.wellbeing_notes

        # Finalising emails the supervisees, so a check step comes first.
        page.get_by_role("link", name="Finalise the session").click()
        assert page.locator("h1").inner_text() == (
            "Check the session before you finalise it"
        )
        assert_accessible(page)
        session.refresh_from_db()
        assert session.state == SupervisionSession.State.DRAFT
        page.get_by_role("button", name="Finalise and tell your supervisees").click()
        assert "Session finalised" in page.locator("main").inner_text()
        session.refresh_from_db()
        assert session.state == SupervisionSession.State.FINALISED

        # The practitioner acknowledges it and adds a reflection.
        switch_to("practitioner")
        _ok(page.goto("/supervision/"))
        assert_accessible(page)
        row = page.locator("tbody tr").filter(
            has=page.locator(f"a[href$='/supervision/sessions/{pk}/']")
        )
        assert "Awaiting your acknowledgement" in row.inner_text()
        row.locator("a").click()
        assert marker in page.locator("main").inner_text()
        assert "Awaiting acknowledgement" in page.locator("main").inner_text()
        assert_accessible(page)
        page.get_by_role("button", name="I have read this record and accept it").click()
        assert "You have acknowledged this record." in page.locator("main").inner_text()
        reflection = "Talking it through helped me sleep better."
        page.get_by_label("Your reflection").fill(reflection)
        page.get_by_role("button", name="Save your reflection").click()
        assert (
            "Saved. Your supervisor can read it." in page.locator("main").inner_text()
        )
        assert_accessible(page)
        attendance.refresh_from_db()
        assert attendance.acknowledged_at is not None
        assert attendance.supervisee_reflection == reflection
        _ok(page.goto("/supervision/"))
        assert "Acknowledged" in row.inner_text()

        # The supervisor sees it acknowledged, with the reflection.
        switch_to("supervisor")
        _ok(page.goto(session_url))
        main = page.locator("main").inner_text()
        assert "Acknowledged" in main
        assert reflection in main

        # Nobody else can read it; the organisation view never shows content.
        for username in ("manager", "commissioner"):
            switch_to(username)
            response = page.goto(session_url)
            assert response.status == 404, username
            assert marker not in page.content()
        assert_accessible(page)
        switch_to("manager")
        _ok(page.goto("/supervision/organisation/"))
        assert marker not in page.content()
        assert reflection not in page.content()
        assert_accessible(page)

    def test_a_supervisee_checks_in_before_the_session_and_only_the_supervisor_reads_it(
        self, page, demo, switch_to, assert_accessible
    ):
        practitioner = StaffProfile.objects.get(user__username="practitioner")
        marker = "HERON-MARKER-5170"
        switch_to("practitioner")
        _ok(page.goto("/supervision/"))
        page.get_by_role("link", name="Check in before your next session").click()
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Before your next session"
        )
        assert_accessible(page)

        # Bad input first: the error sits beside the field and nothing is kept.
        sleep = page.get_by_label("How well are you switching off and sleeping?")
        sleep.fill("12")
        page.get_by_label("What would help?").fill(f"Time to talk. {marker}")
        page.get_by_role("button", name="Save my check-in").click()
        assert page.title().startswith("Error: ")
        assert "from 0 to 10" in _error_for(page, sleep)
        _assert_summary_links_resolve(page)
        assert not PreSessionCheckIn.objects.exists()
        assert_accessible(page)

        sleep.fill("2")
        page.get_by_label("Referral to occupational health").check()
        page.get_by_role("button", name="Save my check-in").click()
        main = page.locator("main").inner_text()
        assert "Only you can see it" in main and "occupational health now" in main
        assert_accessible(page)
        assert PreSessionCheckIn.objects.get().person == practitioner

        # The supervisor records the session and reads the check-in in it.
        switch_to("supervisor")
        _ok(page.goto("/supervision/sessions/new/"))
        _fill_date(page, "Date of the session", today())
        page.get_by_label("Length in minutes").fill("60")
        page.get_by_label(practitioner.full_name).check()
        page.get_by_role("button", name="Save as a draft").click()
        page.wait_for_url(re.compile(r"/supervision/sessions/\d+/$"))
        session_url = page.url
        main = page.locator("main").inner_text()
        assert marker in main and "Offer support" in main
        assert "Referral to occupational health" in main
        assert_accessible(page)

        # A manager and a commissioner reach no part of it, on any page they can open:
        # every page and download linked from anywhere they can reach, followed to
        # the end, and the session itself by its address.
        secrets = [marker, "Time to talk."]
        for username in ("manager", "commissioner"):
            switch_to(username)
            assert page.goto(session_url).status == 404
            reached = _reachable_texts(page)
            assert len(reached) >= 5, (username, sorted(reached))
            for path, text in reached.items():
                for secret in secrets:
                    assert secret not in text, (username, path)


SKIP_CRAWL = ("/accounts/logout", "/static/", "/media/", "/__")


def _reachable_texts(page, limit: int = 400) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Follow every same-site link from the home page, breadth first, as the signed-in
    user (the browser's cookies), and return each page's or download's text.

    Downloads are read as text; an XLSX workbook as the text of its parts.
    """
    queue, texts = ["/"], {}
    while queue and len(texts) < limit:
        path = queue.pop(0)
        if path in texts:
            continue
        response = page.request.get(path, max_redirects=5)
        assert response.status < 500, path
        body = response.body()
        if body[:2] == b"PK":  # an XLSX download: a zip of XML parts
            with zipfile.ZipFile(io.BytesIO(body)) as workbook:
                text = " ".join(
                    workbook.read(name).decode("utf-8", "replace")
                    for name in workbook.namelist()
                )
        else:
            text = body.decode("utf-8", "replace")
        texts[path] = text
        if "html" not in response.headers.get("content-type", ""):
            continue
        for href in re.findall(r'href="(/[^"#]*)', text):
            href = html.unescape(href)
            if not href.startswith(SKIP_CRAWL) and href not in texts:
                queue.append(href)
    assert not [p for p in queue if p not in texts], f"more than {limit} pages"
    return texts


class TestCommissioning:
    def test_a_commissioner_drills_into_a_provider_and_downloads_it(
        self, page, demo, switch_to, assert_accessible, tmp_path: Path
    ):
        switch_to("commissioner")
        _ok(page.goto("/commissioning/"))
        assert_accessible(page)
        # The headline leads: a row per provider, named by a link to its page.
        providers = page.locator("table.sustain-headline tbody th")
        names = providers.all_inner_texts()
        assert len(names) == 4
        assert "Safe Harbour Young People's Service" in names
        assert "Westvale Youth Trust" not in names
        coverage = page.get_by_role("table", name="Training coverage", exact=True)
        coverage_text = coverage.inner_text()
        for name in names:
            assert name in coverage_text
        headers = coverage.locator("thead th").all_inner_texts()
        assert "Coverage %" in headers
        column = headers.index("Coverage %")
        figures = [
            row.locator("th, td").nth(column).inner_text()
            for row in coverage.locator("tbody tr").all()
        ]
        assert any(re.fullmatch(r"\d+(\.\d+)?%?", f) for f in figures), figures

        page.get_by_role(
            "link", name="Safe Harbour Young People's Service"
        ).first.click()
        assert page.locator("h1").inner_text() == "Safe Harbour Young People's Service"
        assert_accessible(page)
        with page.expect_download() as download_info:
            page.get_by_role(
                "link", name=re.compile(r"^Download every table for .* \(XLSX\)$")
            ).click()
        download = download_info.value
        assert download.suggested_filename.endswith(".xlsx")
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        workbook = load_workbook(path, read_only=True)
        assert "Training coverage" in workbook.sheetnames
        sheet_rows = list(workbook["Training coverage"].iter_rows(values_only=True))
        assert "Coverage %" in sheet_rows[0]
        assert len([r for r in sheet_rows[1:] if r and r[0]]) >= 1

        westvale = Organisation.objects.get(name="Westvale Youth Trust")
        response = page.goto(f"/commissioning/providers/{westvale.pk}/")
        assert response.status == 404
        assert "Westvale" not in page.content()
        assert_accessible(page)


class TestRoster:
    def test_a_manager_fixes_a_bad_roster_row_and_imports_it(
        self, page, demo, switch_to, assert_accessible
    ):
        switch_to("manager")
        _ok(page.goto("/workforce/roster/import/"))
        assert_accessible(page)
        header = (
            "email,first_name,last_name,organisation,team,job_role,started_in_role,"
            "qualified_on,fte,supervisor_email,line_manager_email"
        )
        good = (
            "ada.new@northshire.example,Ada,New,Northshire County Council,"
            "CSE and Missing Team,Social worker,2025-09-01,2020-07-01,1.0,,"
        )

        def upload(second_start: str) -> None:
            second = (
                "ben.new@northshire.example,Ben,New,Northshire County Council,"
                f"Assessment Team,Social worker,{second_start},,0.5,,"
            )
            page.get_by_label("Roster file (CSV or Excel .xlsx)").set_input_files(
                {
                    "name": "roster.csv",
                    "mimeType": "text/csv",
                    "buffer": f"{header}\n{good}\n{second}\n".encode(),
                }
            )
            page.get_by_role("button", name="Upload").click()

        upload("31/02/2025")
        summary = page.locator(".govuk-error-summary")
        assert "Line 3:" in summary.inner_text()
        assert "started_in_role" in summary.inner_text()
        assert "Nothing was saved" in summary.inner_text()
        assert not StaffProfile.objects.filter(
            user__email__endswith="new@northshire.example"
        ).exists()
        assert_accessible(page)

        # A good file is checked first (the box is ticked): a preview, nothing saved.
        upload("2025-10-01")
        preview = page.locator("main").inner_text()
        assert "People to be created (2)" in preview
        assert "ben.new@northshire.example" in preview
        assert not StaffProfile.objects.filter(
            user__email__endswith="new@northshire.example"
        ).exists()
        assert_accessible(page)

        page.get_by_label("Check the file only").uncheck()
        upload("2025-10-01")
        assert (
            "Roster imported. Created 2, updated 0, 0 unchanged."
            in page.locator("main").inner_text()
        )
        people = StaffProfile.objects.filter(
            user__email__endswith="new@northshire.example"
        ).select_related("organisation", "team")
        assert {(p.full_name, p.team.name) for p in people} == {
            ("Ada New", "CSE and Missing Team"),
            ("Ben New", "Assessment Team"),
        }
        assert {p.organisation.name for p in people} == {"Northshire County Council"}
        assert_accessible(page)


class TestEditor:
    def test_an_editor_opens_the_catalogue_and_a_module_in_wagtail(
        self, page, demo, switch_to
    ):
        # No axe here: the Wagtail admin is Wagtail's own UI, not Sustain's pages.
        from learning.models import TrainingCatalogPage

        catalogue = TrainingCatalogPage.objects.get()
        module = ModulePage.objects.child_of(catalogue).order_by("title").first()
        switch_to("editor")
        _ok(page.goto(f"/admin/pages/{catalogue.pk}/"))
        listing = page.locator("main").inner_text()
        for title in ModulePage.objects.child_of(catalogue).values_list(
            "title", flat=True
        ):
            assert title in listing
        page.locator(f"a[href$='/admin/pages/{module.pk}/edit/']").first.click()
        page.wait_for_url(f"**/admin/pages/{module.pk}/edit/")
        assert page.locator("#id_title").input_value() == module.title


def _fill_date(page, legend: str, value) -> None:
    """Type a date into a GOV.UK day, month and year input."""
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(value.day))
    group.get_by_label("Month").fill(str(value.month))
    group.get_by_label("Year").fill(str(value.year))


class TestTrainingRecords:
    def test_a_manager_sees_an_expired_record_fixes_a_bad_row_and_imports(
        self, page, demo, switch_to, assert_accessible
    ):
        switch_to("manager")
        _ok(page.goto("/workforce/roster/import/"))
        page.get_by_role("link", name="import training records").click()
        assert page.locator("h1").inner_text() == (
            "Import training records from before Sustain"
        )
        assert_accessible(page)
        sam = StaffProfile.objects.select_related("user").get(
            user__username="practitioner"
        )
        module = ModulePage.objects.live().get(slug="understanding-cse")
        held = set(
            Completion.objects.filter(person=sam, module=module).values_list(
                "completed_on", flat=True
            )
        )
        expired, recent = (
            next(
                day
                for n in range(start, start + 60)
                if (day := today() - timedelta(days=n)) not in held
            )
            for start in (800, 20)
        )

        def upload(*rows: str) -> None:
            body = "\n".join(["email,module,completed_on,evidence_reference", *rows])
            page.get_by_label(
                "Training records file (CSV or Excel .xlsx)"
            ).set_input_files(
                {"name": "records.csv", "mimeType": "text/csv", "buffer": body.encode()}
            )
            page.get_by_role("button", name="Upload").click()

        first = f"{sam.user.email},{module.title},{expired:%d/%m/%Y},OLD-LMS-1"
        upload(first, f"{sam.user.email},No such module,{recent:%d/%m/%Y},OLD-LMS-2")
        assert "Nothing was saved" in page.locator(".govuk-error-summary").inner_text()
        assert "is not a training module" in page.locator("#line-3").inner_text()
        assert_accessible(page)

        # Fixed, and checked first (the box is ticked): the old one shows expired.
        second = f"{sam.user.email},{module.slug},{recent:%d/%m/%Y},OLD-LMS-2"
        upload(first, second)
        assert "Expired" in page.locator("#line-2").inner_text()
        assert "In date" in page.locator("#line-3").inner_text()
        assert "will not put anyone in date" in page.locator("main").inner_text()
        assert not Completion.objects.filter(
            person=sam, completed_on__in=[expired, recent]
        ).exists()
        assert_accessible(page)

        page.get_by_label("Check the file only").uncheck()
        upload(first, second)
        assert "Training records imported. Recorded 2 training records" in (
            page.locator("main").inner_text()
        )
        assert (
            Completion.objects.filter(
                person=sam, completed_on__in=[expired, recent]
            ).count()
            == 2
        )
        assert_accessible(page)
