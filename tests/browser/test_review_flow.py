"""Issue 4 (society review) in a real browser, end to end.

An operator-side set-up (the services, in a subprocess against the running server's
database) gives 中国电机工程学会 its field, a 学会-超级管理员 and three applicants who
submitted their prospective applications to it. The super-admin opens 学会审核 →
拟参加工程能力评价申请审核 from the left side menu, approves the first application,
returns the second with a reason, tries to reject the third without a reason (refused
at the field), then rejects it with one. Each applicant logs in to the applicant site
and reads the decision in 消息中心; only the approved one finds the 注册工程会员申请
entry on the home page. The three came through one enterprise's referral codes: its
contact and the society's channel contact then find all three states in
拟参加工程能力评价人员总览 and export them to an .xlsx file that opens with its Chinese
headers and the same three rows.

Actions use ids and data-* attributes; what the user reads is checked in Chinese.
"""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import log_in as _log_in
from tests.browser.conftest import run_set_up

pytestmark = pytest.mark.browser

SOCIETY = "中国电机工程学会"
FIELD = "电气工程"
ADMIN = ("陈审核", "13655550000", "Reviewer-pass-2026")
APPLICANTS = [
    # name, mobile, e-mail, password, level
    ("周通过", "13655550001", "zhou.review@example.com", "Applicant-r1-2026", "senior"),
    (
        "吴退回",
        "13655550002",
        "wu.review@example.com",
        "Applicant-r2-2026",
        "professional",
    ),
    (
        "郑不通过",
        "13655550003",
        "zheng.review@example.com",
        "Applicant-r3-2026",
        "professional",
    ),
]
ENTERPRISE = "中国电力建设集团海外投资有限公司"
ENTERPRISE_CONTACT = ("钱企业", "13655550010", "Enterprise-r-2026")
SOCIETY_CONTACT = ("孙学会", "13655550020", "Society-r-2026")
RETURN_REASON = "请补充近五年主持的输变电工程项目业绩证明。"
REJECT_REASON = "工程实践经历与所在领域不符。"
PRACTICE = (
    "本人从事特高压输变电工程设计与调试工作十余年，主持多项海外电网改造项目的方案设计、"
    "设备选型和现场调试，负责与业主及监理的技术沟通，熟悉国际电工标准，"
    "组织解决了高海拔地区绝缘配合和长距离输电稳定控制等技术难题。"
)

SETUP = r"""
import json, sys
from sqlalchemy import select
from app import create_app
from app.db import write_transaction
from app.extensions import db
from app.models import Account, Channel, IdentityKind, ReferralCode, Society
from app.services import accounts, applications, channels, organisations

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context():
    with write_transaction():
        field = organisations.ensure_field(spec["field"], ["电力系统"], 20)
        field_id = field.id
    society = db.session.scalar(select(Society).where(Society.name == spec["society"]))
    if society is None:
        society = organisations.create_society(spec["society"], "national", fields=[field])
    society_id = society.id
    with write_transaction():
        name, mobile, password = spec["admin"]
        admin = accounts.create_account(name=name, mobile=mobile, password=password)
        accounts.add_identity(admin, IdentityKind.SOCIETY_ADMIN, society=db.session.get(Society, society_id))
        root_id = channels.ensure_society_root(db.session.get(Society, society_id)).id
    enterprise_id = channels.create_enterprise(db.session.get(Channel, root_id), spec["enterprise"], 5, actor=None).id
    codes = list(db.session.scalars(
        select(ReferralCode.code).where(ReferralCode.channel_id == enterprise_id).order_by(ReferralCode.id)
    ))
    with write_transaction():
        name, mobile, password = spec["enterprise_contact"]
        contact = accounts.create_account(name=name, mobile=mobile, password=password)
        accounts.add_identity(contact, IdentityKind.ENTERPRISE_CONTACT, channel=db.session.get(Channel, enterprise_id))
        name, mobile, password = spec["society_contact"]
        contact = accounts.create_account(name=name, mobile=mobile, password=password)
        accounts.add_identity(contact, IdentityKind.SOCIETY_CONTACT, society=db.session.get(Society, society_id))
    ids = []
    for name, mobile, email, password, level in spec["applicants"]:
        with write_transaction():
            account_id = accounts.create_account(name=name, mobile=mobile, email=email, password=password).id
        raw = {
            "route": "enterprise", "referral_code": codes[len(ids)], "project_id": "", "project_name": "",
            "name": name, "overseas": "0", "mobile": mobile, "email": email,
            "field_id": str(field_id), "employer": "中国电力建设集团", "country": "CN",
            "assessing_society_id": str(society_id), "level": level,
            "practice": spec["practice"], "wants_consultation": "0",
        }
        try:
            row = applications.submit(account_id, raw)
        except applications.ApplicationError as error:
            sys.exit(f"submit refused: {error.errors}")
        ids.append(row.id)
    print(json.dumps(ids))
"""


def _set_up(server) -> list[int]:
    """The society, its super-admin and three submitted applications, made through the
    services against the running server's database."""
    spec = {
        "society": SOCIETY,
        "field": FIELD,
        "admin": ADMIN,
        "applicants": APPLICANTS,
        "practice": PRACTICE,
        "enterprise": ENTERPRISE,
        "enterprise_contact": ENTERPRISE_CONTACT,
        "society_contact": SOCIETY_CONTACT,
    }
    return run_set_up(server, SETUP, spec)


def _log_out(page) -> None:
    page.locator(".navbar li.dropdown:has(#logout) > a.dropdown-toggle").click()
    page.locator("#logout").click()
    expect(page.locator('.navbar a[href="/login/"]')).to_be_visible()


def _open(page, application_id: int) -> None:
    row = page.locator(f'#review-table tr[data-application-id="{application_id}"]')
    with page.expect_navigation():
        row.locator("a.open-application").click()
    expect(page.locator("#application-state")).to_have_attribute(
        "data-state", "submitted"
    )


def _site_log_in(page, email: str, password: str) -> None:
    page.goto("/apply/login")
    page.fill("#login", email)
    page.fill("#password", password)
    page.check("#agree")
    page.locator('#login-password-form button[type="submit"]').click()
    expect(page.locator("#nav-messages")).to_be_visible()


def _site_log_out(page) -> None:
    page.locator('form[action$="/apply/logout"] button[type="submit"]').click()
    expect(page.locator(".site-nav a.login")).to_be_visible()


def test_super_admin_approves_returns_and_rejects(page, server, shots, labels):
    approved, returned, rejected = _set_up(server)

    # 1. The super-admin: 学会审核 → 拟参加工程能力评价申请审核 from the left side menu.
    _log_in(page, ADMIN[1], ADMIN[2])
    item = page.locator('#side-menu a[href^="/review/"]')
    category = page.locator('#side-menu .child:has(a[href^="/review/"])').locator(
        'xpath=preceding-sibling::div[contains(@class, "menu-category")][1]'
    )
    labels.expect(category, "学会审核", "side menu category")
    labels.expect(item, "拟参加工程能力评价申请审核", "side menu item")
    labels.expect(
        page.locator('#side-menu a[href^="/review-reasons/"]'),
        "常用理由",
        "side menu: reasons",
    )
    with page.expect_navigation():
        item.click()
    labels.expect(
        page.locator("main h2").first, "拟参加工程能力评价申请审核", "queue title"
    )
    table = page.locator("#review-table")
    for name, *_rest in APPLICANTS:
        expect(table).to_contain_text(name)
    labels.expect(table.locator("thead"), "已等待", "queue: waiting column")
    shots(page, "queue")

    # 2. 通过 the first.
    _open(page, approved)
    labels.expect(page.locator("#approve"), "通过", "button 通过")
    labels.expect(page.locator("#return"), "退回修改", "button 退回修改")
    labels.expect(page.locator("#reject"), "不通过", "button 不通过")
    shots(page, "application")
    with page.expect_navigation():
        page.locator("#approve").click()
    expect(page.locator(".alert.alert-success")).to_contain_text(
        "已为申请人开通注册工程会员申请权限"
    )
    expect(
        page.locator(f'#review-table tr[data-application-id="{approved}"]')
    ).to_have_count(0)

    # 3. 退回修改 the second, with a reason.
    _open(page, returned)
    page.fill("#reason", RETURN_REASON)
    with page.expect_navigation():
        page.locator("#return").click()
    expect(page.locator(".alert.alert-success")).to_contain_text("已退回修改")

    # 4. 不通过 the third: first without a reason (refused at the field), then with one.
    _open(page, rejected)
    with page.expect_navigation():
        page.locator("#reject").click()
    expect(page.locator('.field-error[data-field="reason"]')).to_have_text(
        "请填写原因。"
    )
    expect(page.locator("#application-state")).to_have_attribute(
        "data-state", "submitted"
    )
    shots(page, "reason-required")
    page.fill("#reason", REJECT_REASON)
    with page.expect_navigation():
        page.locator("#reject").click()
    expect(page.locator(".alert.alert-success")).to_contain_text("审核不通过")
    expect(table.locator("tbody")).to_contain_text("没有符合条件的申请")

    # The decided ones, with who decided, under 全部状态.
    page.select_option("#f-state", "all")
    with page.expect_navigation():
        page.locator("#filter-submit").click()
    for application_id, state in (
        (approved, "approved"),
        (returned, "returned"),
        (rejected, "rejected"),
    ):
        expect(
            table.locator(f'tr[data-application-id="{application_id}"]')
        ).to_have_attribute("data-state", state)
    page.goto(f"/review/{rejected}")
    expect(page.locator("#history")).to_contain_text(REJECT_REASON)
    expect(page.locator("#history")).to_contain_text(
        f"{ADMIN[0]}（学会-超级管理员 · {SOCIETY}）"
    )
    shots(page, "history")
    _log_out(page)

    assert server.query(
        "SELECT id, state FROM prospective_applications WHERE id IN (?, ?, ?) ORDER BY id",
        approved,
        returned,
        rejected,
    ) == [(approved, "approved"), (returned, "returned"), (rejected, "rejected")]
    for _name, mobile, email, *_rest in APPLICANTS:
        channels = {
            row[0]
            for row in server.query(
                "SELECT channel FROM outbox_messages WHERE recipient IN (?, ?)",
                mobile,
                email,
            )
        }
        assert channels == {"sms", "email"}

    # 5. The applicants read the decision in 消息中心; the approved one alone has the entry.
    expectations = [
        (APPLICANTS[0], "您的申请已审核通过", f"{SOCIETY}，资深工程会员", True),
        (APPLICANTS[1], "您的申请已退回修改", RETURN_REASON, False),
        (APPLICANTS[2], "您的申请未通过审核", REJECT_REASON, False),
    ]
    for (_name, _mobile, email, password, _level), title, detail, entry in expectations:
        _site_log_in(page, email, password)
        page.goto("/apply/")
        member = page.locator("#member-entry")
        if entry:
            labels.expect(member, "注册工程会员申请", "home: member application entry")
            shots(page, "approved-home")
        else:
            expect(member).to_have_count(0)
        page.locator("#nav-messages").click()
        newest = page.locator(".card.message").first
        expect(newest.locator("h2")).to_contain_text(title)
        expect(newest).to_contain_text(detail)
        if entry:
            shots(page, "approved-messages")
        _site_log_out(page)

    # 6. The recommending enterprise and the society's channel contact: all three states
    #    in 拟参加工程能力评价人员总览, and in the .xlsx they export.
    states = {
        APPLICANTS[0][0]: "审核通过",
        APPLICANTS[1][0]: "退回修改",
        APPLICANTS[2][0]: "审核不通过",
    }
    for who, (_name, mobile, password) in (
        ("enterprise", ENTERPRISE_CONTACT),
        ("society", SOCIETY_CONTACT),
    ):
        _log_in(page, mobile, password)
        page.goto("/prospect-overview/")
        table = page.locator("#prospect-table")
        for applicant, state in states.items():
            row = table.locator("tbody tr", has_text=applicant)
            expect(row).to_have_count(1)
            expect(row).to_contain_text(state)
            expect(row).to_contain_text(ENTERPRISE)
        shots(page, f"overview-{who}")
        labels.expect(page.locator("#export"), "导出Excel", "overview: export button")
        with page.expect_download() as download:
            page.locator("#export").click()
        data = download.value.path().read_bytes()
        assert data[:2] == b"PK", "the export is not an .xlsx (zip) file"
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        rows = [tuple("" if v is None else str(v) for v in r) for r in sheet.iter_rows(values_only=True)]
        header = next(r for r in rows if "姓名" in r)
        body = rows[rows.index(header) + 1 :]
        assert {"姓名", "推荐渠道", "状态"} <= set(header), header
        name_at, state_at = header.index("姓名"), header.index("状态")
        assert {r[name_at]: r[state_at] for r in body if r[name_at]} == states
        _log_out(page)

    labels.check()
