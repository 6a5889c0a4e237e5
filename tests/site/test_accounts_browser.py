"""accounts.js in Debian's chromium: the 获取验证码 button asks without leaving the page,
shows the answer at the field and counts down; a phone-sized screen needs no sideways
scrolling. The browser reaches the app through Playwright's request routing into the
Flask test client (no server, the test's own database)."""

import re
import threading
from pathlib import Path

import pytest
from flask import globals as flask_globals

from app.extensions import db
from tests.conftest import BROWSER_ORIGIN, client_context
from tests.site.conftest import last_code, outbox_rows

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
EMAIL = "wang.wu@example.com"


@pytest.fixture
def own_contexts(app):
    """Each request of the test client gets its own app context, as on a server."""
    ctx = flask_globals._cv_app.get(None)
    db.session.remove()
    ctx.pop()
    yield
    ctx.push()


def _context(browser, client, **options):
    return client_context(browser, client, **options)


@pytest.fixture
def in_browser(client, own_contexts):
    """Run ``steps(page)`` on a fresh page, in a thread with its own Playwright.

    Playwright's sync API refuses to start in a thread where another one runs (the
    session-wide browser of tests/browser stays open for the whole test run)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"{CHROMIUM} is missing: run `make test` or scripts/install-browser.sh"
        )
    from playwright.sync_api import sync_playwright

    def run(steps, **options):
        failure = []

        def work():
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                    )
                    try:
                        context = _context(browser, client, **options)
                        steps(context.new_page())
                        context.close()
                    finally:
                        browser.close()
            except BaseException as error:  # re-raised in the test's own thread
                failure.append(error)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        if failure:
            raise failure[0]

    return run


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_code_button_sends_counts_down_and_registration_completes(app, in_browser):
    seen = {}

    def steps(page):
        page.goto("/apply/register")
        page.fill("#email", "not-an-address")
        page.click("[data-code-button]")
        page.wait_for_selector("#row-email .field-error[data-live]:not([hidden])")
        seen["refused"] = page.inner_text("#row-email .field-error[data-live]")
        page.fill("#email", EMAIL)
        page.click("[data-code-button]")
        page.wait_for_function(
            "document.querySelector('[data-code-notice]').textContent.includes('验证码已发送')"
        )
        seen["error shown"] = page.is_visible("#row-email .field-error[data-live]")
        seen["countdown"] = page.inner_text("[data-code-button]")
        seen["disabled"] = page.is_disabled("[data-code-button]")
        with app.app_context():
            seen["code"] = last_code(EMAIL)
            seen["sent"] = len(outbox_rows(EMAIL))
        page.fill("#code", seen["code"])
        page.fill("#password", "good-pass-1")
        page.fill("#confirm", "good-pass-1")
        page.check("#agree")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / "site-register-filled.png"), full_page=True
        )
        page.click("button.btn-primary")
        page.wait_for_url(f"{BROWSER_ORIGIN}/apply/")
        seen["main"] = page.inner_text("main")
        seen["html"] = page.content()

    in_browser(steps, viewport={"width": 1280, "height": 900})

    assert seen["refused"] == "请输入有效的邮箱地址，例如name@example.com。"
    assert seen["error shown"] is False
    assert re.fullmatch(r"(59|60) 秒后重新获取", seen["countdown"])
    assert seen["disabled"]
    assert seen["sent"] == 1
    assert "注册成功，您已登录。" in seen["main"]
    assert seen["code"] not in seen["html"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_second_click_shows_the_seconds_left(in_browser):
    seen = {}

    def steps(page):
        page.goto("/apply/register")
        page.fill("#email", EMAIL)
        page.click("[data-code-button]")
        page.wait_for_function(
            "document.querySelector('[data-code-notice]').textContent.length > 0"
        )
        page.goto("/apply/register")
        page.fill("#email", EMAIL)
        page.click("[data-code-button]")
        page.wait_for_selector("#row-email .field-error[data-live]:not([hidden])")
        seen["error"] = page.inner_text("#row-email .field-error[data-live]")
        seen["disabled"] = page.is_disabled("[data-code-button]")

    in_browser(steps, viewport={"width": 1280, "height": 900})

    assert re.fullmatch(r"验证码刚刚已发送，请 (59|60) 秒后再重新获取。", seen["error"])
    assert seen["disabled"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "path", ["/apply/", "/apply/login", "/apply/login?tab=code", "/apply/register"]
)
def test_pages_fit_a_phone_screen(in_browser, path):
    seen = {}

    def steps(page):
        page.goto(path)
        seen["width"] = page.evaluate("document.documentElement.scrollWidth")
        seen["menu button"] = page.is_visible("label.nav-toggle-label")
        slug = re.sub(r"[^a-z0-9]+", "-", path).strip("-")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / f"site-phone-{slug}.png"), full_page=True
        )

    in_browser(
        steps, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )

    assert seen["width"] <= 375
    assert seen["menu button"]
