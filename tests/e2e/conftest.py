"""Browser tests: Debian's Chromium driven by Playwright, checked with axe-core.

No test downloads a browser. The browser is ``CHROMIUM_PATH`` or ``chromium`` on PATH;
without it these tests fail under CI and are skipped elsewhere.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls
# are still synchronous, so Django's async-safety guard would refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE_FROM_NPM = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# axe's best-practice rules too: landmarks, one main heading, unique landmarks.
AXE_RULES = [*WCAG_22_AA, "best-practice"]
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = chromium_path()
    if not path:
        message = "needs Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):  # type: ignore[no-untyped-def]
    # Absolute links (emails, certificates) point at the server the browser uses.
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # A script the Content-Security-Policy blocks, or one that throws, is a bug.
    # A page answering with an error status (a form with errors is a 400) is logged
    # as a failed load; the test asserts on that status, so only that one is let by.
    # The same goes for a script's own request answered with a JSON 4xx (a refused
    # passkey): the page shows the error, and the test asserts on what it shows.
    errors: list[tuple[str, str]] = []
    pages_with_error_status: set[str] = set()

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error":
            errors.append((message.text, message.location.get("url", "")))

    def on_response(response) -> None:  # type: ignore[no-untyped-def]
        kind = response.request.resource_type
        if kind in ("document", "fetch") and response.status >= 400:
            pages_with_error_status.add(response.url)

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append((str(error), "")))
    yield page
    context.close()
    unexpected = [
        text
        for text, url in errors
        if "status of 404" not in text
        and not (
            text.startswith("Failed to load resource: the server responded")
            and url in pages_with_error_status
        )
    ]
    assert not unexpected, f"browser console errors: {unexpected}"


@pytest.fixture(scope="session")
def axe():  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    return Axe.from_file(AXE_FROM_NPM) if AXE_FROM_NPM.exists() else Axe()


@pytest.fixture
def assert_accessible(axe):  # type: ignore[no-untyped-def]
    """Run axe-core's WCAG 2.2 A and AA rules on the page (and its best-practice
    rules when asked); fail listing the violations."""

    def check(page, *, best_practice: bool = False) -> None:  # type: ignore[no-untyped-def]
        results = axe.run(
            page,
            options={
                "runOnly": {
                    "type": "tag",
                    "values": AXE_RULES if best_practice else WCAG_22_AA,
                }
            },
        )
        violations = results.response["violations"]
        summary = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + ", ".join(node["target"][0] for node in v["nodes"][:5])
            for v in violations
        )
        assert not violations, f"{page.url}\n{summary}"

    return check


@pytest.fixture
def sign_in(page):  # type: ignore[no-untyped-def]
    """Sign in through the real form as the given username."""

    def sign_in_as(username: str, password: str) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username or email").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")

    return sign_in_as


@pytest.fixture
def demo():  # type: ignore[no-untyped-def]
    """The demo county, seeded afresh."""
    from django.core.management import call_command

    call_command("seed_demo", "--quiet-logins")


@pytest.fixture
def switch_to(page, sign_in):  # type: ignore[no-untyped-def]
    """Sign out whoever is signed in, then sign in as someone else."""
    from workforce.demo import DEMO_PASSWORD

    def switch(username: str) -> None:
        page.context.clear_cookies()
        sign_in(username, DEMO_PASSWORD)

    return switch
