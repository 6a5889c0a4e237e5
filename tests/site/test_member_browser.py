"""注册工程会员申请 in Debian's chromium: an approved applicant goes from the member entry
on the home page through 领域及专业, the level and 《填写说明》 to a submitted
《工程会员申请表》, with a real 413×626 photo made by Pillow, a row added with JavaScript,
the progress list turning complete, the preview and the PDF copy downloaded.

The app runs as the browser tests of tests/browser run it (``python run.py`` on a free
loopback port against a fresh SQLite file, tests/browser/conftest.server); the state is
built through the services on that database before the browser starts. Playwright's
request routing into the test client cannot be used here: Chromium cancels a download
whose response came from ``route.fulfill``. Screenshots: test-output/screenshots/
member-*.png.
"""

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from pypdf import PdfReader

from app import create_app
from app.extensions import db
from tests.browser.conftest import server  # noqa: F401  (the live app, as a fixture)
from tests.conftest import World
from tests.services.member_support import build_world, resident_id
from tests.services.review_support import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
NAME = "欧阳明远"


def photo_jpeg() -> bytes:
    """A 413×626 ID-style photo on a blue background."""
    image = Image.new("RGB", (413, 626), (40, 90, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((124, 94, 289, 344), fill=(235, 200, 170))
    draw.rectangle((62, 376, 351, 626), fill=(30, 30, 35))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def w(server):  # noqa: F811  (the imported fixture)
    """Approved prospective applications, built through the services on the running
    server's database."""
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{server.db_path}"})
    with app.app_context():
        built = build_world(World(app))
        db.session.remove()
        db.engine.dispose()
    return built


@pytest.fixture
def page(browser, server, w):  # noqa: F811
    """A page of the running app, logged in as the applicant a1 by password."""
    context = browser.new_context(
        base_url=server.base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/apply/login")
    page.fill("#login", w.applicant("a1").email)
    page.fill("#password", PASSWORD)
    page.check("#agree")
    page.locator('#login-password-form button[type="submit"]').click()
    expect(page.locator(".site-nav form.inline")).to_be_visible()  # 退出 is shown
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the progress list sticks to the top
    page.screenshot(path=str(SCREENSHOTS / f"member-{name}.png"), full_page=True)


def progress(page, key: str):
    return page.locator(f'#member-progress li[data-section="{key}"]')


def fill_row(page, index: int, values: dict) -> None:
    for name, value in values.items():
        page.fill(f'[name="rows-{index}-{name}"]', value)


# Once: tests/site/conftest's autouse fixture would run it again per database, and the
# app under test is the server on its own SQLite file either way.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_member_application_from_entry_to_submitted(page, server, w, tmp_path):  # noqa: F811
    # The entry on the home page, then 领域及专业.
    page.goto("/apply/")
    page.click("#member-entry")
    page.wait_for_url("**/apply/member/specialty")
    expect(page.locator("#prefilled")).to_contain_text("我负责海外输变电工程")
    page.check(f'input[name="specialty_id"][value="{w.high_voltage_id}"]')
    assert page.is_checked(f'input[name="field_id"][value="{w.rw.elec_field_id}"]')
    shot(page, "01-specialty")
    page.click("#specialty-submit")

    # The level asked for is preselected; 见习 is not offered.
    page.wait_for_url("**/apply/member/level")
    assert page.is_checked('input[name="level"][value="professional"]')
    assert page.locator('input[name="level"]').count() == 2
    expect(page.locator("#associate-note")).to_contain_text("请勿申请此级别")
    page.click("#level-submit")
    page.wait_for_url("**/apply/member/instructions")
    shot(page, "02-instructions")
    page.click("#instructions-read")

    # 基本情况: the prefilled values, the pinyin suggestion, 籍贯 and the photo.
    page.wait_for_url("**/apply/member/form/basic")
    expect(page.locator("#mobile")).to_have_value(w.applicant("a1").mobile)
    # A name without a suggestion says so; a later suggestion puts the rule back.
    status = page.locator("#pinyin-status")
    rule = status.text_content()
    page.fill("#name", "略")
    page.click("#suggest-pinyin")
    expect(status).to_have_text("无法根据该姓名生成拼音，请自行填写。")
    page.fill("#name", NAME)
    page.fill("#name_pinyin", "")
    page.click("#suggest-pinyin")
    expect(page.locator("#name_pinyin")).to_have_value("OUYANG MINGYUAN")
    expect(status).to_have_text(rule)
    page.check('input[name="sex"][value="1"]')
    page.fill("#birth_date", "1985-06-15")
    page.select_option("#political_status", "13")
    page.select_option("#native_province", "420000")
    assert page.locator('#native_city optgroup[data-province="110000"]').is_hidden()
    page.select_option("#native_city", "429004")
    page.select_option("#ethnic_group", "01")
    page.select_option("#id_type", "resident_id")
    page.fill("#id_number", resident_id())
    page.fill("#position", "总工程师")
    page.fill("#title", "正高级工程师")
    page.fill("#address", "浙江省杭州市潮王路22号")
    expect(page.locator('[data-count-for="address"]')).to_have_text("12 / 100")
    page.set_input_files(
        "#photo",
        files=[
            {"name": "证件照.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}
        ],
    )
    shot(page, "03-basic-filled")
    # Leaving by the progress list before saving asks first; staying keeps everything.
    asked = []

    def stay(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", stay)
    progress(page, "education").locator("a").click()
    expect(page.locator("#position")).to_have_value("总工程师")
    assert asked == ["确定离开此页面吗？上次保存后填写的内容将会丢失。"]
    assert page.url.endswith("/apply/member/form/basic")
    page.click("#save-next-button")

    # 教育经历: one row typed, one added with JavaScript.
    page.wait_for_url("**/apply/member/form/education")
    expect(progress(page, "basic")).to_have_attribute("data-complete", "1")
    expect(progress(page, "education")).to_have_attribute("data-complete", "0")
    fill_row(
        page,
        0,
        {
            "school": "华中科技大学",
            "major": "电气工程",
            "degree": "学士",
            "start": "2003-09",
            "end": "2007-07",
        },
    )
    rows_before = page.locator("#member-rows [data-row]").count()
    page.click("#add-row")
    assert page.locator("#member-rows [data-row]").count() == rows_before + 1
    fill_row(
        page,
        rows_before,
        {
            "school": "清华大学",
            "major": "电气工程",
            "degree": "硕士",
            "start": "2007-09",
            "end": "2010-07",
        },
    )
    shot(page, "04-education-row-added")
    page.click("#save-next-button")

    page.wait_for_url("**/apply/member/form/work")
    expect(progress(page, "education")).to_have_attribute("data-complete", "1")
    fill_row(
        page,
        0,
        {"employer": "华东勘测设计研究院", "position": "总工程师", "start": "2010-08"},
    )
    page.click("#save-next-button")

    page.wait_for_url("**/apply/member/form/practice")
    expect(page.locator('[name="rows-0-contribution"]')).to_have_value(
        "我负责海外输变电工程的设计与调试工作，主持完成多项电网改造项目。" * 4
    )
    fill_row(
        page,
        0,
        {
            "project": "白鹤滩水电站送出工程",
            "start": "2015-03",
            "end": "2020-12",
            "role": "设计负责人",
        },
    )
    page.click("#save-next-button")

    page.wait_for_url("**/apply/member/form/awards")
    fill_row(
        page,
        0,
        {"title": "国家科学技术进步奖二等奖", "date": "2019-12", "issuer": "国务院"},
    )
    page.click("#save-next-button")

    page.wait_for_url("**/apply/member/form/development")
    fill_row(
        page,
        0,
        {
            "activity": "高压直流输电技术研修班",
            "start": "2021-05",
            "end": "2021-06",
            "hours": "40",
        },
    )
    page.click("#save-next-button")

    page.wait_for_url("**/apply/member/form/declaration")
    page.check("#accepted")
    page.click("#save-next-button")

    # The preview: every section complete, the photo, the PDF copy.
    page.wait_for_url("**/apply/member/preview")
    for key in (
        "basic",
        "education",
        "work",
        "practice",
        "awards",
        "development",
        "declaration",
    ):
        expect(progress(page, key)).to_have_attribute("data-complete", "1")
    expect(page.locator("#member-document")).to_contain_text(NAME)
    expect(page.locator("#member-document")).to_contain_text("湖北省 仙桃市")
    assert (
        page.evaluate("document.getElementById('document-photo').naturalWidth") == 413
    )
    shot(page, "05-preview")
    with page.expect_download() as download_info:
        page.click("#pdf-link")
    download = download_info.value
    saved = tmp_path / "copy.pdf"
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(item.extract_text() for item in PdfReader(io.BytesIO(data)).pages)
    assert NAME in text and "清华大学" in text

    # 提交 asks first (it cannot be changed while the society handles it), then 个人中心
    # shows the state and its history.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#submit-button")
    expect(page.locator("#member-document")).to_be_visible()
    assert page.url.endswith("/apply/member/preview")  # not sent
    confirms = []

    def send(dialog):
        confirms.append(dialog.message)
        dialog.accept()

    page.once("dialog", send)
    page.click("#submit-button")
    page.wait_for_url("**/apply/center")
    expect(page.locator("#member-card")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#member-card #member-history")).to_contain_text("已提交")
    assert confirms == ["确定将申请提交给电机学会REVONE吗？学会办理期间不能修改。"], confirms
    shot(page, "06-centre-submitted")

    # On a phone the submitted application fits the screen: every table row is a card
    # of labelled lines, nothing is off to the side.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/apply/member")
    practice = page.locator('section[data-section-title="工程实践经历"] tbody tr').first
    labels = practice.evaluate(
        "row => Array.from(row.cells, cell =>"
        " getComputedStyle(cell, '::before').content)"
    )
    assert labels[-1] == '"本人贡献："', labels
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
    ), "the page scrolls sideways on a phone"
    box = practice.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "07-submitted-phone")

    account_id = w.applicant("a1").account_id
    assert server.query(
        "SELECT state, name, level, photo_width, photo_height FROM member_applications"
        " WHERE applicant_id = ?",
        account_id,
    ) == [("submitted", NAME, "professional", 413, 626)]
    education = server.scalar(
        "SELECT s.data FROM member_sections s JOIN member_applications a"
        " ON a.id = s.application_id WHERE a.applicant_id = ? AND s.key = 'education'",
        account_id,
    )
    assert [row["school"] for row in json.loads(education)["rows"]] == [
        "华中科技大学",
        "清华大学",
    ]
