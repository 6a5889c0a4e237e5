"""application.js in Debian's chromium: the live counters count exactly as the server
does, the domestic/overseas switch, the live code check, the project autocomplete, the
societies of the chosen field, and a submit.

The browser talks to the app through Playwright's request routing into the Flask test
client, so the test needs no server and uses the test's own database.
"""

from pathlib import Path

import pytest
from flask import globals as flask_globals

from app.extensions import db
from app.validation import count_chars
from tests.conftest import client_context, login
from tests.site.application_support import application_of, build_world

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"

# Strings where a naive counter disagrees with the server: astral characters, CRLF,
# the whitespace Python strips (and JavaScript's trim does not, or the reverse).
TRICKY = [
    "𠀋" * 3,
    "😀👍🏽",
    "a\r\nb",
    "a\rb\r",
    "  ab \u3000",
    "\u3000\u3000",
    "\x1c abc \x1f",
    "\x85x\x85",
    "\ufeffabc\ufeff",
    "\u200bx\u200b",
    "\u2028a\u2029",
    "\u00a0\u2007a\u202f",
    "\t\v\f",
    "e\u0301",
    "",
]


@pytest.fixture
def w(app, world):
    built = build_world(world)
    ctx = flask_globals._cv_app.get(None)
    db.session.remove()
    ctx.pop()
    yield built
    ctx.push()


@pytest.fixture
def page(browser, client, w):
    """A page whose every request to the test origin is answered by the Flask test client (see client_context)."""

    context = client_context(browser, client, viewport={"width": 1280, "height": 900})
    login(client, w.applicants[0])
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_counter_counts_as_the_server(page, w):
    page.goto("/apply/application?route=enterprise")

    counted = page.evaluate(
        "(values) => values.map(window.countApplicationChars)", TRICKY
    )

    assert counted == [count_chars(value) for value in TRICKY]
    page.fill("#name", "𠀋" + "张" * 50)
    assert page.inner_text('[data-count-for="name"]') == "51 / 50"
    assert "over" in page.get_attribute('[data-count-for="name"]', "class")
    page.fill("#practice", "工" * 299 + "\n程")
    assert page.inner_text('[data-count-for="practice"]') == "301 / 300"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_live_form_and_submit(app, page, w):
    page.goto("/apply/application?route=enterprise")

    # domestic / overseas
    assert page.is_visible("#employer") and not page.is_visible(
        "#overseas_project_name"
    )
    page.check('input[name="overseas"][value="1"]')
    assert not page.is_visible("#employer") and page.is_visible(
        "#overseas_project_name"
    )
    page.check('input[name="overseas"][value="0"]')

    # the live code check
    page.fill("#referral_code", "ABCDEFGHJKMN")
    page.locator("#name").focus()
    page.wait_for_selector("#referral_code-status.bad")
    assert "不存在" in page.inner_text("#referral_code-status")
    page.fill("#referral_code", w.sub_codes[0].lower())
    page.locator("#name").focus()
    page.wait_for_selector("#referral_code-status.ok")
    assert w.sub_name in page.inner_text("#referral_code-status")

    # the project autocomplete: the enterprise's and its parent's projects
    page.fill("#project_name", "雅万")
    page.wait_for_selector("#project-suggestions button")
    assert page.locator("#project-suggestions button").all_inner_texts() == [
        "雅万高铁Jakarta项目 · 新加坡"
    ]
    page.click("#project-suggestions button")
    assert page.input_value("#project_id") == str(w.ent_project_id)

    # 意向评价学会 follows the field
    page.select_option("#field_id", str(w.other_field_id))
    page.wait_for_function(
        "document.querySelector('#assessing_society_id').options.length === 2"
    )
    assert (
        page.locator("#assessing_society_id option").all_inner_texts()[1]
        == "中国煤炭学会"
    )
    page.select_option("#field_id", str(w.field_id))
    page.wait_for_function(
        "document.querySelector('#assessing_society_id option:last-child').textContent === '中国土木工程学会'"
    )

    page.fill("#name", "张三")
    page.fill("#mobile", "13900001111")
    page.fill("#employer", "中建八局南方公司")
    page.select_option("#country", "CN")
    page.select_option("#assessing_society_id", str(w.national_id))
    page.select_option("#level", "senior")
    page.fill("#practice", "我在海外从事铁路工程设计。" * 9)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "application-form-filled.png"), full_page=True
    )
    page.click('button[value="submit"]')
    page.wait_for_url("**/apply/center")
    page.screenshot(
        path=str(SCREENSHOTS / "application-centre-submitted.png"), full_page=True
    )

    assert "已提交" in page.inner_text("main")
    with app.app_context():
        application = application_of(w.applicants[0])
        assert (application.state, application.channel_id, application.project_id) == (
            "submitted",
            w.sub_id,
            w.ent_project_id,
        )
