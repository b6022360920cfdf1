"""Phones and desktops: no page scrolls sideways, and the navigation is one row.

WCAG 2.2 1.4.10 (Reflow): content fits 320 CSS pixels wide without scrolling in two
directions; a phone is 375 px. Wide tables scroll inside their own box instead.
"""

import pytest
from django.core.management import call_command

from workforce.demo import DEMO_LOGINS, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}

# Pages reached from inside the lists: a person, a provider, its people and report.
DEEPER = ("/learning/people/", "/commissioning/providers/", "/supervision/sessions/")


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


def nav_paths(page) -> list[str]:  # type: ignore[no-untyped-def]
    hrefs = page.eval_on_selector_all(
        "a.govuk-service-navigation__link", "links => links.map(a => a.pathname)"
    )
    return [href for href in hrefs if not href.startswith("/admin/")]


def deeper_paths(page) -> list[str]:  # type: ignore[no-untyped-def]
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.pathname)"
    )
    found = []
    for prefix in DEEPER:
        # Pages only: an address ending in a file name is a download.
        match = next(
            (h for h in hrefs if h.startswith(prefix) and h.endswith("/")), None
        )
        if match and match not in found:
            found.append(match)
    return found


class TestPhones:
    def test_no_page_any_role_reaches_scrolls_sideways_at_375_px(
        self, page, demo, sign_in, assert_accessible
    ):
        page.set_viewport_size(PHONE)
        visited = 0
        for username, *_ in DEMO_LOGINS:
            page.context.clear_cookies()
            sign_in(username, DEMO_PASSWORD)
            paths = ["/", *nav_paths(page)]
            seen: set[str] = set()
            while paths:
                path = paths.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                response = page.goto(path)
                assert response.status == 200, f"{username} {path}"
                width, viewport = overflow(page)
                assert width <= viewport, (
                    f"{username} {path} is {width}px wide: {widest(page)}"
                )
                assert_accessible(page)
                visited += 1
                if path != "/":
                    paths += [p for p in deeper_paths(page) if p not in seen]
        assert visited >= 25  # every role's navigation and the pages inside the lists


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
