"""Phones and desktops: no page scrolls sideways, and the navigation is one row.

WCAG 2.2 1.4.10 (Reflow): content fits 320 CSS pixels wide without scrolling in two
directions; a phone is 375 px. Wide tables scroll inside their own box instead.
"""

import pytest
from django.core.management import call_command
from django.urls import resolve

from supervision.models import SessionAction, SessionAttendance
from supervision.sealed_notes import write_sealed_note
from tests.factories.supervision import SupervisionSessionFactory
from workforce.dates import add_months, today
from workforce.demo import DEMO_LOGINS, DEMO_PASSWORD
from workforce.models import StaffProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}

# Never followed: the Wagtail admin (its own product, checked by Wagtail), the API
# (JSON), health and documents (not pages a person reads).
NOT_PAGES = ("/admin/", "/api/", "/health/", "/documents/", "/static/", "/media/")


@pytest.fixture
def demo():  # type: ignore[no-untyped-def]
    call_command("seed_demo", "--quiet-logins")


def overflow(page) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def widest(page) -> str:  # type: ignore[no-untyped-def]
    """Name the element that sticks out furthest, to make a failure easy to fix."""
    return page.evaluate(
        """() => {
          let worst = null, right = 0;
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            const boxed = el.closest('.sustain-table-wrapper');
            if (r.right > right && !boxed) { right = r.right; worst = el; }
          }
          if (!worst) return '';
          return `${worst.tagName}.${worst.className} ${Math.round(right)}px`;
        }"""
    )


def linked_pages(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Every same-site page this page links to: navigation, lists, details."""
    hrefs = page.eval_on_selector_all(
        "a[href]",
        "links => links.filter(a => a.origin === location.origin).map(a => a.pathname)",
    )
    # Pages only: an address ending in a file name is a download.
    return [h for h in hrefs if h.endswith("/") and not h.startswith(NOT_PAGES)]


def kind_of(path: str) -> str:
    """One visit per kind of page: a route with its arguments left out.

    Wagtail serves every training page from one route, so each of those counts
    as its own kind (there are only a handful).
    """
    match = resolve(path)
    return path if match.url_name == "wagtail_serve" else match.view_name


def pages_each_role_reaches(page, sign_in, check) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Sign in as each demo role and follow every link to a kind of page not yet
    seen, from home outwards; run ``check`` on each. Return the paths per role."""
    reached: dict[str, list[str]] = {}
    for username, *_ in DEMO_LOGINS:
        page.context.clear_cookies()
        sign_in(username, DEMO_PASSWORD)
        queue, kinds, visited = ["/"], set(), []
        while queue:
            path = queue.pop(0)
            if kind_of(path) in kinds:
                continue
            kinds.add(kind_of(path))
            response = page.goto(path)
            assert response.status == 200, f"{username} {path}"
            check(username, path)
            visited.append(path)
            queue += [p for p in linked_pages(page) if kind_of(p) not in kinds]
        reached[username] = visited
    return reached


class TestPhones:
    def test_no_page_any_role_reaches_is_wider_than_375_px_or_fails_axe(
        self, page, demo, sign_in, assert_accessible
    ):
        page.set_viewport_size(PHONE)

        problems: list[str] = []

        def check(username: str, path: str) -> None:
            # Collect every page's problems, so one run lists all there are.
            width, viewport = overflow(page)
            if width > viewport:
                problems.append(f"{username} {path} is {width}px wide: {widest(page)}")
            try:
                assert_accessible(page, best_practice=True)
            except AssertionError as violations:
                problems.append(f"{username} {violations}")

        reached = pages_each_role_reaches(page, sign_in, check)

        assert not problems, "\n".join(problems)

        # Each role reaches its own pages and the detail pages inside its lists.
        for username, prefix in (
            ("supervisor", "/learning/people/"),
            ("supervisor", "/supervision/sessions/"),
            ("commissioner", "/commissioning/providers/"),
            ("practitioner", "/learning/certificates/"),
            ("supervisor", "/notifications/email/"),
            ("manager", "/notifications/email/"),
            ("manager", "/learning/team/history/import/"),
        ):
            assert any(p.startswith(prefix) for p in reached[username]), (
                username,
                prefix,
                reached[username],
            )
        assert sum(len(paths) for paths in reached.values()) >= 40, reached


class TestDesktop:
    def test_the_roster_page_fits_1280_px(self, page, demo, sign_in):
        page.set_viewport_size(DESKTOP)
        sign_in("manager", DEMO_PASSWORD)
        page.goto("/workforce/roster/import/")
        width, viewport = overflow(page)
        assert width <= viewport, widest(page)

    @pytest.mark.parametrize("username", ["manager", "admin"])
    def test_the_navigation_is_one_row_with_one_active_item_at_1280_px(
        self, page, demo, sign_in, username
    ):
        page.set_viewport_size(DESKTOP)
        sign_in(username, DEMO_PASSWORD)
        page.goto("/supervision/organisation/")
        tops = page.eval_on_selector_all(
            ".govuk-service-navigation__item",
            "items => items.map(i => Math.round(i.getBoundingClientRect().top))",
        )
        assert len(tops) >= 6
        assert len(set(tops)) == 1, tops
        assert page.locator(".govuk-service-navigation__item--active").count() == 1
        assert page.locator('[aria-current="page"]').inner_text() == "Organisation"


class TestLongWords:
    def test_a_10000_character_unbroken_string_wraps_instead_of_widening_the_page(
        self, page, demo, sign_in
    ):
        unbroken = "x" * 10_000
        supervisor = StaffProfile.objects.get(user__username="supervisor")
        supervisee = StaffProfile.objects.get(user__username="practitioner")
        session = SupervisionSessionFactory(
            supervisor=supervisor,
            held_on=today(),
            feelings=unbroken,
            case_discussions=unbroken,
            attendees=[supervisee],
        )
        SessionAttendance.objects.filter(session=session).update(
            supervisee_reflection=unbroken
        )
        SessionAction.objects.create(
            session=session,
            owner=supervisee,
            description=unbroken,
            due_on=add_months(today(), 1),
        )
        note = write_sealed_note(
            by=supervisor.user, supervisee_id=supervisee.pk, text=unbroken
        )
        note_path = f"/supervision/sealed-notes/{note.pk}/"
        page.set_viewport_size(PHONE)
        for username, paths in (
            ("supervisor", [f"/supervision/sessions/{session.pk}/", note_path]),
            (
                "practitioner",
                ["/supervision/", f"/supervision/sessions/{session.pk}/", note_path],
            ),
        ):
            page.context.clear_cookies()
            sign_in(username, DEMO_PASSWORD)
            for path in paths:
                assert page.goto(path).status == 200
                assert page.get_by_text(unbroken[:50], exact=False).count() >= 1
                width, viewport = overflow(page)
                assert width <= viewport, f"{path} is {width}px wide: {widest(page)}"


class TestPagesOnlyALinkReaches:
    def test_a_revoked_certificates_pages_fit_a_phone_and_pass_axe(
        self, page, demo, sign_in, assert_accessible
    ):
        """The crawl cannot reach these: a printed link opens the public page, and
        the PDF's address answers 410 once revoked. Both are read on phones."""
        from learning.models import Completion
        from learning.services import revoke_certificate

        holder = StaffProfile.objects.get(user__username="practitioner")
        completion = Completion.objects.filter(person=holder).first()
        manager = StaffProfile.objects.get(user__username="manager").user
        revoke_certificate(
            completion_id=completion.pk,
            revoked_by=manager,
            reason="Taken by someone else",
            as_of=today(),
        )
        page.set_viewport_size(PHONE)

        response = page.goto(f"/learning/certificates/{completion.verification_id}/")
        assert response.status == 200
        assert "It is not valid." in page.locator("main").inner_text()
        width, viewport = overflow(page)
        assert width <= viewport, widest(page)
        assert_accessible(page, best_practice=True)

        sign_in("practitioner", DEMO_PASSWORD)
        response = page.goto(f"/learning/completions/{completion.pk}/certificate.pdf")
        assert response.status == 410
        assert page.locator("h1").inner_text() == "This certificate has been revoked"
        width, viewport = overflow(page)
        assert width <= viewport, widest(page)
        assert_accessible(page, best_practice=True)


class TestPrint:
    def test_the_commissioners_dashboard_prints_on_a4_as_a_report(
        self, page, demo, sign_in
    ):
        import pypdfium2

        sign_in("commissioner", DEMO_PASSWORD)
        assert page.goto("/commissioning/").status == 200
        page.emulate_media(media="print")
        # An A4 page's printable width at 96 CSS pixels to the inch, less margins.
        page.set_viewport_size({"width": 703, "height": 1000})
        width, viewport = overflow(page)
        assert width <= viewport + 1, widest(page)  # 1 px: sub-pixel rounding
        assert not page.locator(".govuk-service-navigation").is_visible()

        pdf = pypdfium2.PdfDocument(page.pdf(format="A4", prefer_css_page_size=True))

        assert pdf[0].get_size() == pytest.approx((595.3, 841.9), abs=1)
        first = pdf[0].get_textpage().get_text_range()
        assert "Headline against contract targets" in first
        assert "Sign out" not in first
        text = " ".join(
            " ".join(p.get_textpage().get_text_range().split()) for p in pdf
        )
        assert "Training coverage, by month" in text
        assert "Download every table" not in text
