"""Issue 5 (注册工程会员申请审核) in a real browser, end to end.

An operator-side set-up (the services, in a subprocess against the running server's
database and upload folder) gives 中国水利学会 a field, a 学会-超级管理员 and a level-1
enterprise with its 企业-渠道联系人; an engineer recommended by that enterprise's code
has the prospective application approved, fills every section of the member
application (with a real photo) and submits it. The super-admin opens 学会审核 →
注册工程会员申请审核 from the left side menu, reads the application with its photo,
then 受理, 通过评价 and 注册 it (the member number is shown). After each step the
enterprise contact, in a browser of its own, reads the new status in 工程能力评价人员总览.

Actions use ids and data-* attributes; what the user reads is checked in Chinese.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, Shots, run_set_up
from tests.browser.conftest import log_in as _log_in

pytestmark = pytest.mark.browser

SOCIETY = "中国水利学会"
FIELD, SPECIALTY = "水利工程", "水工结构"
ENTERPRISE = "中国电建华东院MEMBERFLOW"
ADMIN = ("林审核", "13655560000", "Member-admin-2026")
CONTACT = ("钱联系", "13655560001", "Member-contact-2026")
APPLICANT = ("孙会员", "13655560002", "sun.member@example.com", "Member-applicant-2026")
PRACTICE = (
    "本人从事大型水电站枢纽工程设计工作十余年，主持多项海外水电项目的坝体结构设计、"
    "泄洪建筑物布置和施工期度汛方案，负责与业主及监理的技术沟通，熟悉国际标准，"
    "组织解决了高地震区混凝土坝抗震设计和深厚覆盖层基础处理等技术难题。"
)

SETUP = r"""
import io, json, sys
from PIL import Image
from sqlalchemy import select
from app import create_app
from app.db import write_transaction
from app.extensions import db
from app.models import Identity, IdentityKind, ReferralCode, Society, Specialty
from app.services import accounts, applications, channels, members, organisations, reviews, uploads
from tests.services.member_support import valid_sections

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    with write_transaction():
        field = organisations.ensure_field(spec["field"], [spec["specialty"]], 30)
        field_id = field.id
    society = organisations.create_society(spec["society"], "national", fields=[field])
    society_id = society.id
    enterprise = channels.create_enterprise(channels.get_society_root(society), spec["enterprise"], 3, actor=None)
    enterprise_id = enterprise.id
    with write_transaction():
        name, mobile, password = spec["admin"]
        admin = accounts.create_account(name=name, mobile=mobile, password=password)
        admin_identity = accounts.add_identity(admin, IdentityKind.SOCIETY_ADMIN, society=db.session.get(Society, society_id))
        admin_identity_id = admin_identity.id
        name, mobile, password = spec["contact"]
        contact = accounts.create_account(name=name, mobile=mobile, password=password)
        accounts.add_identity(contact, IdentityKind.ENTERPRISE_CONTACT, channel=enterprise)
    code = db.session.scalar(select(ReferralCode.code).where(ReferralCode.channel_id == enterprise_id).order_by(ReferralCode.id))
    name, mobile, email, password = spec["applicant"]
    with write_transaction():
        account_id = accounts.create_account(name=name, mobile=mobile, email=email, password=password).id
    raw = {
        "route": "enterprise", "referral_code": code, "name": name, "overseas": "0",
        "mobile": mobile, "email": email, "field_id": str(field_id), "employer": "中国电建集团华东勘测设计研究院",
        "country": "CN", "assessing_society_id": str(society_id), "level": "professional",
        "practice": spec["practice"], "wants_consultation": "0",
    }
    prospective = applications.submit(account_id, raw)
    prospective_id = prospective.id
    reviews.decide(db.session.get(Identity, admin_identity_id), prospective_id, "approve")
    db.session.commit()

    application = members.open_for(account_id)
    specialty_id = db.session.scalar(select(Specialty.id).where(Specialty.field_id == field_id))
    members.choose_specialty(account_id, str(field_id), str(specialty_id))
    members.confirm_instructions(account_id)
    buffer = io.BytesIO()
    Image.new("RGB", (413, 626), (40, 90, 200)).save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    key = uploads.store(data, "photo")
    members.set_photo(account_id, key, content_type="image/jpeg", width=413, height=626, size=len(data), name="证件照.jpg")
    sections = valid_sections(name)
    sections["basic"].update(name=name, name_pinyin="SUN HUIYUAN", mobile=mobile, email=email)
    for section, values in sections.items():
        result = members.save_section(account_id, section, values)
        if result.errors:
            sys.exit(f"section {section} refused: {result.errors}")
    members.submit(account_id)
    print(json.dumps({"member": application.id, "prospective": prospective_id, "society": society_id}))
"""


def _set_up(server) -> dict:
    """The society, its super-admin, the enterprise and its contact, and one submitted
    member application, made through the services against the running server's
    database and upload folder."""
    spec = {
        "society": SOCIETY,
        "field": FIELD,
        "specialty": SPECIALTY,
        "enterprise": ENTERPRISE,
        "admin": ADMIN,
        "contact": CONTACT,
        "applicant": APPLICANT,
        "practice": PRACTICE,
    }
    return run_set_up(server, SETUP, spec)


def _stage_cells(page, prospective_id: int):
    return page.locator(f'#assessment-table tr[data-id="{prospective_id}"] td.stage')


def _expect_stages(page, prospective_id: int, done: int) -> None:
    """The first ``done`` of 是否提交申请 / 是否被受理 / 是否通过评价 / 是否注册 read 是
    (with a date), the others 否."""
    page.reload()
    cells = _stage_cells(page, prospective_id)
    expect(cells).to_have_count(4)
    for index in range(4):
        expected = "是" if index < done else "否"
        expect(cells.nth(index)).to_contain_text(expected)
        if index < done:
            expect(cells.nth(index).locator("small")).to_contain_text("-")


@pytest.fixture
def shots() -> Shots:
    """Screenshots named test-output/screenshots/member-flow-NN-*.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("member-flow-*.png"):
        old.unlink(missing_ok=True)
    return Shots("member-flow")


def test_super_admin_accepts_passes_and_registers(page, browser, server, shots, labels):
    ids = _set_up(server)
    member_id, prospective_id = ids["member"], ids["prospective"]

    # The enterprise contact follows its applicant in a browser of its own.
    contact_context = browser.new_context(
        base_url=server.base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    contact_context.set_default_timeout(10_000)
    contact = contact_context.new_page()
    try:
        _log_in(contact, CONTACT[1], CONTACT[2])
        menu = contact.locator('#side-menu a[href^="/assessment-overview/"]')
        labels.expect(menu, "工程能力评价人员总览", "contact: side menu")
        with contact.expect_navigation():
            menu.click()
        header = contact.locator("#assessment-table thead")
        for title in ("是否提交申请", "是否被受理", "是否通过评价", "是否注册"):
            labels.expect(header, title, f"overview column {title}")
        expect(contact.locator("#assessment-table tbody")).to_contain_text(APPLICANT[0])
        _expect_stages(contact, prospective_id, 1)
        shots(contact, "overview-submitted")

        # 1. The super-admin: 学会审核 → 注册工程会员申请审核 from the left side menu.
        _log_in(page, ADMIN[1], ADMIN[2])
        item = page.locator('#side-menu a[href^="/member-review/"]')
        category = page.locator(
            '#side-menu .child:has(a[href^="/member-review/"])'
        ).locator('xpath=preceding-sibling::div[contains(@class, "menu-category")][1]')
        labels.expect(category, "学会审核", "side menu category")
        labels.expect(item, "注册工程会员申请审核", "side menu item")
        with page.expect_navigation():
            item.click()
        labels.expect(page.locator("main h2").first, "注册工程会员申请审核", "title")
        row = page.locator(f'#member-table tr[data-application-id="{member_id}"]')
        expect(row).to_have_attribute("data-state", "submitted")
        expect(row).to_contain_text(APPLICANT[0])
        shots(page, "queue")

        # 2. The application with every section and the photo.
        with page.expect_navigation():
            row.locator("a.open-application").click()
        state = page.locator("#application-state")
        expect(state).to_have_attribute("data-state", "submitted")
        for key, title in (
            ("basic", "基本情况"),
            ("education", "教育经历"),
            ("practice", "工程实践经历"),
            ("declaration", "诚信承诺"),
        ):
            labels.expect(page.locator(f"#section-{key} .panel-heading"), title, title)
        expect(page.locator("#section-basic")).to_contain_text("SUN HUIYUAN")
        photo = page.locator("#member-photo")
        expect(photo).to_be_visible()
        assert photo.evaluate("img => img.complete && img.naturalWidth") == 413
        labels.expect(page.locator("#accept"), "受理", "button 受理")
        labels.expect(page.locator("#return"), "退回", "button 退回")
        shots(page, "application")

        # 3. 受理 → the contact reads 是否被受理: 是.
        with page.expect_navigation():
            page.locator("#accept").click()
        expect(page.locator(".alert.alert-success")).to_contain_text("已受理")
        expect(state).to_have_attribute("data-state", "accepted")
        _expect_stages(contact, prospective_id, 2)

        # 4. 通过评价 → 是否通过评价: 是.
        labels.expect(page.locator("#pass"), "通过评价", "button 通过评价")
        labels.expect(page.locator("#fail"), "未通过", "button 未通过")
        asked = []

        def accept(dialog):
            asked.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        with page.expect_navigation():
            page.locator("#pass").click()
        assert asked == [f"确定对{APPLICANT[0]}执行“通过评价”吗？此操作不可撤销。"], asked
        expect(page.locator(".alert.alert-success")).to_contain_text("已记录为通过评价")
        expect(state).to_have_attribute("data-state", "passed")
        _expect_stages(contact, prospective_id, 3)
        shots(contact, "overview-passed")

        # 5. 注册 → the member number; 是否注册: 是.
        labels.expect(page.locator("#register"), "注册", "button 注册")
        page.once("dialog", accept)
        with page.expect_navigation():
            page.locator("#register").click()
        assert asked[-1] == f"确定对{APPLICANT[0]}执行“注册”吗？此操作不可撤销。", asked
        expect(page.locator(".alert.alert-success")).to_contain_text(
            "已注册，会员编号："
        )
        expect(state).to_have_attribute("data-state", "registered")
        number = page.locator("#member-number strong").inner_text()
        assert number.startswith(f"{ids['society']:03d}-P-")
        expect(page.locator("#history")).to_contain_text(
            f"{ADMIN[0]}（学会-超级管理员 · {SOCIETY}）"
        )
        expect(page.locator("#decision-panel")).to_have_count(0)
        shots(page, "registered")
        _expect_stages(contact, prospective_id, 4)
        shots(contact, "overview-registered")
    finally:
        contact_context.close()

    assert server.query(
        "SELECT state, member_number FROM member_applications WHERE id = ?", member_id
    ) == [("registered", number)]
    assert [
        row[0]
        for row in server.query(
            "SELECT action FROM audit_entries WHERE target_type = 'member_applications'"
            " AND target_id = ? ORDER BY id",
            member_id,
        )
    ] == ["member.accept", "member.pass", "member.register"]
    labels.check()
