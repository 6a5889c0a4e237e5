"""Issue 3, "Done when": the applicant's path in a real browser, end to end.

The platform admin gives the society a field it assesses; the society contact creates a
level-1 enterprise and sets its contact, who sets a password from the SMS link, adds a
key overseas project and learns one code from the code list. Applicant A opens the
code's SMS link logged out, registers, finds the enterprise route filled in, saves part
of the form, logs out, logs in again by password, completes and submits it. The
enterprise contact and the society contact see A; the code list shows the code used by
A. Applicant B registers through the same link and is refused at 推荐码, the form kept
as typed and nothing submitted.

Actions use ids and data-* attributes; what the user reads is checked in Chinese.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FIELD = "土木工程"
OTHER_FIELD = "矿业工程"  # assessed by no society: narrows 意向评价学会 to nothing
ENTERPRISE = "中国交通建设股份有限公司"
QUOTA = 5
CONTACT = ("赵企业", "13911112222")
CONTACT_PASSWORD = "Enterprise-pass-3030"
PROJECT = ("巴基斯坦卡拉奇至拉合尔高速公路项目", "PK")
PROJECT_QUERY = "卡拉奇"

A_EMAIL = "zhang.applicant@example.com"
A_PASSWORD = "Applicant-a-2026"
A_NAME = "张𠀋"  # U+2000B: outside the BMP, one character
A_MOBILE = "13700001111"
A_EMPLOYER = "中国交通建设股份有限公司海外事业部"
A_PRACTICE = (
    "本人长期从事海外公路桥梁工程的设计与施工管理，"
    "参与巴基斯坦卡拉奇至拉合尔高速公路项目的路基、桥梁及互通立交设计，"
    "负责现场技术方案编制、施工组织协调和质量安全管理，"
    "熟悉英国标准与当地规范的衔接，组织解决了软土地基处理和高温季节混凝土施工等技术难题，"
    "项目获得业主和咨询工程师的书面好评。"
)
B_EMAIL = "li.applicant@example.com"
B_PASSWORD = "Applicant-b-2026"
B_FORM = {
    "#name": "李四",
    "#mobile": "13700002222",
    "#email": "li.si@example.com",
    "#employer": "中国交通建设股份有限公司第二工程局",
    "#practice": (
        "本人从事港口与航道工程施工管理十余年，"
        "参与多个海外港口码头项目的施工组织设计、进度控制与成本管理，"
        "负责与业主、监理及分包单位的沟通协调，"
        "具备丰富的国际工程合同管理和现场技术管理经验，熟悉相关国际标准。"
    ),
}


# --- helpers -------------------------------------------------------------------------


def log_in(page, username: str, password: str, labels) -> None:
    """The backend's login page (FAB), as a user types it."""
    page.goto("/login/")
    labels.expect(page.locator("#loginbox .panel-title"), "登录", "backend login title")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator('form[name="login"] [type="submit"]').click()
    expect(page.locator("#logout")).to_be_attached()


def log_out(page) -> None:
    """Log out of the backend through the navbar's user menu."""
    page.locator(".navbar li.dropdown:has(#logout) > a.dropdown-toggle").click()
    page.locator("#logout").click()
    expect(page.locator('.navbar a[href="/login/"]')).to_be_visible()


def open_menu(page, href_prefix: str, item_label: str, labels) -> None:
    """Click an entry of the backend's side menu."""
    item = page.locator(f'#side-menu a[href^="{href_prefix}"]')
    labels.expect(item, item_label, f"side menu item {href_prefix}")
    with page.expect_navigation():
        item.click()


def backend_flash(page, category: str = "success"):
    return page.locator(f".alert.alert-{category}")


def site_flash(page, category: str = "success"):
    return page.locator(f".flash.flash-{category}")


def site_log_out(page, labels) -> None:
    """退出登录 in the applicant site's header."""
    button = page.locator('form[action$="/apply/logout"] button[type="submit"]')
    labels.expect(button, "退出登录", "site header: log out")
    button.click()
    expect(page.locator(".site-nav a.login")).to_be_visible()


def emailed_code(server, email: str) -> str:
    """The 6-digit code of the newest message to ``email`` in the outbox."""
    body = server.scalar(
        "SELECT body FROM outbox_messages WHERE recipient = ? ORDER BY id DESC LIMIT 1",
        email,
    )
    assert body, f"no message to {email} in the outbox"
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def register_from_login(page, server, email: str, password: str, labels) -> None:
    """From the site's login page: 立即注册, the e-mailed code, the agreement."""
    register = page.locator('.auth-links a[href^="/apply/register"]')
    labels.expect(register, "立即注册", "login page: register link")
    register.click()
    labels.expect(page.locator("main h1"), "注册", "register page title")
    page.fill("#email", email)
    code_button = page.locator("[data-code-button]")
    labels.expect(code_button, "获取验证码", "register: code button")
    code_button.click()
    notice = page.locator("[data-code-notice]")
    expect(notice).to_contain_text(email)
    labels.expect(notice, "验证码已发送", "register: code sent notice")
    page.fill("#code", emailed_code(server, email))
    page.fill("#password", password)
    page.fill("#confirm", password)
    agree = page.locator("#row-agree")
    labels.expect(agree, "用户协议", "register: user agreement")
    labels.expect(agree, "隐私政策", "register: privacy policy")
    page.check("#agree")
    page.locator('#register-form button[type="submit"].btn-primary').click()
    expect(site_flash(page)).to_contain_text("注册成功，您已登录。")


def form_values(page, selectors) -> dict[str, str]:
    return {selector: page.input_value(selector) for selector in selectors}


# --- the path --------------------------------------------------------------------------


def test_applicant_path(page, server, platform_admin, shots, labels):
    society_login, society_password = server.society_contact
    society_id = server.scalar(
        "SELECT id FROM societies WHERE name = ?", "中国土木工程学会"
    )

    # 0. 平台管理员: the field dictionary, and the society assesses 土木工程.
    log_in(page, *platform_admin, labels)
    for name in (FIELD, OTHER_FIELD):
        open_menu(page, "/fields/", "领域", labels)
        page.locator('a.btn[href^="/fields/add"]').click()
        page.fill("#name", name)
        page.locator('form [type="submit"]').last.click()
        expect(backend_flash(page)).to_be_visible()
    open_menu(page, "/societies/", "学会", labels)
    page.locator(f'a[href="/societies/edit/{society_id}"]').click()
    page.locator("#fields + .select2 .select2-selection").click()
    page.locator(".select2-results__option", has_text=FIELD).click()
    page.locator('form [type="submit"]').last.click()
    expect(backend_flash(page)).to_be_visible()
    assert server.query(
        "SELECT f.name FROM society_fields sf JOIN fields f ON f.id = sf.field_id"
        " WHERE sf.society_id = ?",
        society_id,
    ) == [(FIELD,)]
    shots(page, "platform-admin-society-fields")
    log_out(page)

    # 1. 学会-渠道联系人: a level-1 enterprise and its contact (an SMS with a link).
    log_in(page, society_login, society_password, labels)
    open_menu(page, "/enterprise-channels/", "企业渠道设置", labels)
    page.locator("#add-channel").click()
    page.fill("#name", ENTERPRISE)
    page.fill("#quota", str(QUOTA))
    page.locator("#save").click()
    expect(backend_flash(page)).to_contain_text(ENTERPRISE)
    row = page.locator(f'#channel-table tr[data-name="{ENTERPRISE}"]')
    channel_id = int(row.get_attribute("data-channel-id"))
    row.locator(f'a[href$="/{channel_id}/contact"]').click()
    page.fill("#name", CONTACT[0])
    page.fill("#mobile", CONTACT[1])
    page.locator("#save").click()
    expect(backend_flash(page)).to_contain_text(CONTACT[0])
    log_out(page)
    sms = server.scalar(
        "SELECT body FROM outbox_messages WHERE channel = 'sms' AND recipient = ?"
        " ORDER BY id DESC LIMIT 1",
        CONTACT[1],
    )
    link = re.search(r"https?://\S+/account/set-password/[A-Za-z0-9_\-]+", sms or "")
    assert link, sms
    page.goto(link.group(0))
    page.fill("#password", CONTACT_PASSWORD)
    page.fill("#confirm", CONTACT_PASSWORD)
    page.locator('#set-password-form [type="submit"]').click()
    expect(backend_flash(page)).to_be_visible()

    # 企业-渠道联系人: a key overseas project, then one code from the code list.
    log_in(page, CONTACT[1], CONTACT_PASSWORD, labels)
    open_menu(page, "/key-projects/", "企业海外重点项目", labels)
    page.locator('a.btn[href^="/key-projects/add"]').first.click()
    page.fill("#name", PROJECT[0])
    page.locator("#country").select_option(PROJECT[1])
    page.locator('form [type="submit"]').last.click()
    expect(backend_flash(page)).to_be_visible()
    project_id = server.scalar(
        "SELECT id FROM projects WHERE channel_id = ? AND name = ?",
        channel_id,
        PROJECT[0],
    )
    assert project_id
    open_menu(page, "/prospect-overview/", "拟参加工程能力评价人员总览", labels)
    labels.expect(
        page.locator("#code-figures"), "被分配推荐码数量", "overview: allocated"
    )
    expect(page.locator("#allocated-link")).to_have_text(str(QUOTA))
    page.locator("#allocated-link").click()
    available = page.locator('#code-table tbody tr[data-state="available"]')
    expect(available).to_have_count(QUOTA)
    code = available.first.get_attribute("data-code")
    assert re.fullmatch(r"[23456789A-HJKMNP-Z]{12}", code), code
    shots(page, "enterprise-code-list")
    log_out(page)

    # 2. Applicant A opens the SMS link logged out: the site's login page, then 立即注册.
    page.goto(f"/apply/code/{code}")
    expect(page).to_have_url(re.compile(r"/apply/login\?next="))
    labels.expect(page.locator("main h1"), "登录", "site login title")
    shots(page, "a-link-asks-to-log-in")
    register_from_login(page, server, A_EMAIL, A_PASSWORD, labels)

    # ... and lands on the enterprise route with the code filled in and checked.
    expect(page).to_have_url(re.compile(r"/apply/application\?route=enterprise"))
    labels.expect(page.locator("main h1"), "拟参加工程能力评价人员情况表", "form title")
    labels.expect(page.locator("#application-form .route-line"), "企业", "form: route")
    labels.expect(
        page.locator('label[for="referral_code"]'), "推荐码", "form: code label"
    )
    expect(page.locator("#referral_code")).to_have_value(code)
    code_status = page.locator("#referral_code-status")
    expect(code_status).to_have_class(re.compile(r"\bok\b"))
    expect(code_status).to_contain_text(ENTERPRISE)
    labels.expect(code_status, f"推荐企业：{ENTERPRISE}", "form: live code check")
    shots(page, "a-form-with-code")

    # 3. Part of the form, the project picked from the autocomplete, then 保存.
    page.fill("#name", A_NAME)
    expect(page.locator('[data-count-for="name"]')).to_have_text("2 / 50")
    page.fill("#mobile", A_MOBILE)
    page.select_option("#field_id", label=FIELD)
    page.fill("#project_name", PROJECT_QUERY)
    suggestion = page.locator("#project-suggestions button", has_text=PROJECT[0])
    expect(suggestion).to_have_text(f"{PROJECT[0]} · 巴基斯坦")
    suggestion.click()
    expect(page.locator("#project_id")).to_have_value(str(project_id))
    expect(page.locator("#project_name")).to_have_value(PROJECT[0])
    save = page.locator('#application-form button[value="save"]')
    labels.expect(save, "保存", "form: save button")
    save.click()
    expect(site_flash(page)).to_contain_text("草稿已保存")
    shots(page, "a-draft-saved")
    assert server.query(
        "SELECT a.state, a.name, a.mobile, a.draft_code, a.project_id, a.referral_code_id"
        " FROM prospective_applications a JOIN ab_user u ON u.id = a.applicant_id"
        " WHERE u.email = ?",
        A_EMAIL,
    ) == [("draft", A_NAME, A_MOBILE, code, project_id, None)]
    site_log_out(page, labels)

    # 4. Back later: log in by password, 个人中心, the draft exactly as typed.
    page.locator(".site-nav a.login").click()
    page.fill("#login", A_EMAIL)
    page.fill("#password", A_PASSWORD)
    page.check("#agree")
    page.locator('#login-password-form button[type="submit"]').click()
    center_link = page.locator('.site-nav a[href="/apply/center"]')
    labels.expect(center_link, "个人中心", "site header: my centre")
    center_link.click()
    draft = page.locator('.card.application[data-state="draft"]')
    labels.expect(draft.locator(".state"), "草稿", "centre: draft state")
    shots(page, "a-centre-draft")
    draft.locator('a[href="/apply/application"]').click()
    assert form_values(
        page,
        [
            "#referral_code",
            "#name",
            "#mobile",
            "#field_id",
            "#project_name",
            "#project_id",
        ],
    ) == {
        "#referral_code": code,
        "#name": A_NAME,
        "#mobile": A_MOBILE,
        "#field_id": page.locator("#field_id option", has_text=FIELD).get_attribute(
            "value"
        ),
        "#project_name": PROJECT[0],
        "#project_id": str(project_id),
    }
    expect(page.locator("#referral_code-status")).to_contain_text(ENTERPRISE)

    # 意向评价学会 follows the field: none for 矿业工程, the society for 土木工程.
    assessing = page.locator("#assessing_society_id")
    page.select_option("#field_id", label=OTHER_FIELD)
    expect(assessing.locator("option")).to_have_count(1)
    labels.expect(assessing, "暂无评价该领域的全国学会", "no society for the field")
    page.select_option("#field_id", label=FIELD)
    expect(assessing.locator("option")).to_have_text(
        ["请选择意向评价学会", "中国土木工程学会"]
    )
    page.select_option("#assessing_society_id", label="中国土木工程学会")
    page.fill("#employer", A_EMPLOYER)
    page.select_option("#country", "CN")
    page.select_option("#level", "senior")
    page.fill("#practice", A_PRACTICE)
    practice_count = len(A_PRACTICE)
    assert 100 <= practice_count <= 300
    expect(page.locator('[data-count-for="practice"]')).to_have_text(
        f"{practice_count} / 300"
    )
    page.check('input[name="wants_consultation"][value="1"]')
    shots(page, "a-form-completed")
    submit = page.locator('#application-form button[value="submit"]')
    labels.expect(submit, "提交审核", "form: submit button")
    submit.click()

    # 个人中心: 已提交 and the history; 消息中心 counts the unread message.
    expect(page).to_have_url(re.compile(r"/apply/center$"))
    expect(site_flash(page)).to_contain_text("您的申请已提交至中国土木工程学会审核。")
    submitted = page.locator('.card.application[data-state="submitted"]')
    expect(submitted.locator(".state")).to_have_text("已提交")
    labels.expect(submitted, f"推荐渠道：{ENTERPRISE}", "centre: recommending channel")
    history = submitted.locator("table.history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("已提交")
    unread = page.locator("#nav-messages #unread-count")
    expect(unread).to_have_text("1")
    labels.expect(page.locator("#nav-messages"), "消息中心", "site header: messages")
    shots(page, "a-centre-submitted")
    page.locator("#nav-messages").click()
    expect(page.locator(".card.message.unread")).to_contain_text("您的申请已提交")
    expect(unread).to_have_count(0)
    shots(page, "a-messages")
    a_application = server.query(
        "SELECT a.id, a.state, a.referral_code_id, a.channel_id, a.name"
        " FROM prospective_applications a JOIN ab_user u ON u.id = a.applicant_id"
        " WHERE u.email = ?",
        A_EMAIL,
    )
    code_id = server.scalar("SELECT id FROM referral_codes WHERE code = ?", code)
    assert [row[1:] for row in a_application] == [
        ("submitted", code_id, channel_id, A_NAME)
    ]
    a_id = a_application[0][0]
    site_log_out(page, labels)

    # 5. The enterprise contact: A in the overview, the code used by A.
    log_in(page, CONTACT[1], CONTACT_PASSWORD, labels)
    open_menu(page, "/prospect-overview/", "拟参加工程能力评价人员总览", labels)
    a_row = page.locator(f'#prospect-table tbody tr[data-id="{a_id}"]')
    expect(a_row).to_contain_text(A_NAME)
    expect(a_row).to_contain_text("已提交")
    expect(a_row).to_contain_text(ENTERPRISE)
    expect(page.locator("#used-link")).to_have_text("1")
    shots(page, "enterprise-overview")
    page.locator("#used-link").click()
    used = page.locator(f'#code-table tbody tr[data-code="{code}"]')
    expect(used).to_have_attribute("data-state", "used")
    labels.expect(used, "已使用", "code list: used state")
    labels.expect(page.locator("#code-table thead"), "使用人", "code list: used by")
    expect(used).to_contain_text(A_NAME)
    shots(page, "enterprise-code-used")
    log_out(page)

    # 6. The society contact sees A too.
    log_in(page, society_login, society_password, labels)
    open_menu(page, "/prospect-overview/", "拟参加工程能力评价人员总览", labels)
    a_row = page.locator(f'#prospect-table tbody tr[data-id="{a_id}"]')
    expect(a_row).to_contain_text(A_NAME)
    expect(a_row).to_contain_text("已提交")
    expect(a_row).to_contain_text(ENTERPRISE)
    shots(page, "society-overview")
    log_out(page)

    # 7. Applicant B, the same link: refused at 推荐码, the form kept, nothing submitted.
    page.goto(f"/apply/code/{code}")
    expect(page).to_have_url(re.compile(r"/apply/login\?next="))
    register_from_login(page, server, B_EMAIL, B_PASSWORD, labels)
    expect(page.locator("#referral_code")).to_have_value(code)
    b_status = page.locator("#referral_code-status")
    expect(b_status).to_have_class(re.compile(r"\bbad\b"))
    expect(b_status).to_have_text("该推荐码已被使用。")  # the live check warns already
    for selector, value in B_FORM.items():
        page.fill(selector, value)
    page.select_option("#field_id", label=FIELD)
    expect(assessing.locator("option")).to_have_count(2)
    page.select_option("#assessing_society_id", label="中国土木工程学会")
    page.select_option("#country", "CN")
    page.select_option("#level", "professional")
    page.check('input[name="wants_consultation"][value="0"]')
    typed = form_values(
        page,
        [
            *B_FORM,
            "#referral_code",
            "#field_id",
            "#assessing_society_id",
            "#country",
            "#level",
        ],
    )
    shots(page, "b-form-filled")
    page.locator('#application-form button[value="submit"]').click()

    refusal = page.locator('.field-error[data-field="referral_code"]')
    expect(refusal).to_have_text("该推荐码已被使用。")
    expect(page.locator("#row-referral_code")).to_have_class(re.compile(r"has-error"))
    labels.expect(
        page.locator("#form-summary"), "申请未提交", "refused submit: summary"
    )
    assert form_values(page, typed) == typed, (
        "the refused form must come back exactly as typed"
    )
    expect(page.locator('input[name="wants_consultation"][value="0"]')).to_be_checked()
    expect(page.locator("#unread-count")).to_have_count(0)
    shots(page, "b-refused")
    assert server.query(
        "SELECT a.state, a.draft_code, a.referral_code_id, a.name, a.submitted_at"
        " FROM prospective_applications a JOIN ab_user u ON u.id = a.applicant_id"
        " WHERE u.email = ?",
        B_EMAIL,
    ) == [("draft", code, None, B_FORM["#name"], None)]
    assert server.query(
        "SELECT c.state, a.id FROM referral_codes c"
        " JOIN prospective_applications a ON a.referral_code_id = c.id WHERE c.code = ?",
        code,
    ) == [("used", a_id)]
    assert (
        server.scalar(
            "SELECT count(*) FROM application_events e"
            " JOIN prospective_applications a ON a.id = e.application_id"
            " JOIN ab_user u ON u.id = a.applicant_id WHERE u.email = ?",
            B_EMAIL,
        )
        == 0
    )

    labels.check()
