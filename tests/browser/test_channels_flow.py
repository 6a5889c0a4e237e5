"""The channel contacts' flow of the manual (part 一) in a real browser.

学会-渠道联系人 creates a level-1 enterprise with 10 codes and sets its contact; the contact
sets a password from the SMS link, creates a level-2 enterprise with 3 codes, adds one
project of each kind, copies one code and shares another; the society contact then fails
to lower the level-1 quota below what is given down.

Actions use ids and data-* attributes of the templates; what the user reads is checked
in Chinese, as the manual names it (see `Labels` in conftest.py).
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LEVEL1_NAME = "中国建筑第八工程局有限公司"
LEVEL1_QUOTA = 10
LEVEL1_CONTACT = ("李企业", "13912345678")
LEVEL1_PASSWORD = "Enterprise-pass-2026"
LEVEL2_NAME = "中建八局海外工程有限公司"
LEVEL2_QUOTA = 3
PROJECTS = {
    # menu href prefix: (name, (ISO country, its Chinese name), Chinese menu label of the manual)
    "/key-projects/": (
        "沙特阿拉伯红海新城基础设施项目",
        ("SA", "沙特阿拉伯"),
        "企业海外重点项目",
    ),
    "/dispatch-projects/": (
        "肯尼亚蒙内铁路运营维护项目",
        ("KE", "肯尼亚"),
        "计划外派海外重点项目",
    ),
}
SHARE_BAD_MOBILE = "１３７１２３４５６７８"  # full-width digits
SHARE_MOBILE = "13712345678"


# --- helpers -------------------------------------------------------------------------


def log_in(page, username: str, password: str, labels) -> None:
    """FAB's login page, as a user types it."""
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    submit = page.locator('form[name="login"] [type="submit"]')
    labels.expect(page.locator("#loginbox .panel-title"), "登录", "login page title")
    submit.click()
    expect(page.locator("#logout")).to_be_attached()


def log_out(page) -> None:
    page.locator(".navbar li.dropdown:has(#logout) > a.dropdown-toggle").click()
    page.locator("#logout").click()
    expect(page.locator('.navbar a[href="/login/"]')).to_be_visible()


def open_menu(
    page, href_prefix: str, item_label: str, labels, category_label: str | None = None
) -> None:
    """Click an entry of the left side menu (左侧菜单栏), under its category when it has one."""
    item = page.locator(f'#side-menu a[href^="{href_prefix}"]')
    expect(item).to_be_visible()
    if category_label is not None:
        category = page.locator(
            f'#side-menu .child:has(a[href^="{href_prefix}"])'
        ).locator('xpath=preceding-sibling::div[contains(@class, "menu-category")][1]')
        labels.expect(
            category, category_label, f"side menu category above {href_prefix}"
        )
    labels.expect(item, item_label, f"side menu item {href_prefix}")
    with page.expect_navigation():
        item.click()


def flash(page, category: str = "success"):
    return page.locator(f".alert.alert-{category}")


def field_error(page, name: str):
    return page.locator(f'.field-error[data-field="{name}"]')


# --- the flow --------------------------------------------------------------------------


def test_channel_contacts_flow(page, server, shots, labels):
    society_login, society_password = server.society_contact

    # 1. 学会-渠道联系人 logs in through FAB's login page.
    log_in(page, society_login, society_password, labels)
    labels.expect(
        page.locator("#identity-menu > a"),
        "学会-渠道联系人",
        "navbar identity (society contact)",
    )
    shots(page, "society-contact-home")

    # 2. 渠道申请管理 → 企业渠道设置 → 新增: a level-1 enterprise with 10 codes.
    open_menu(
        page,
        "/enterprise-channels/",
        "企业渠道设置",
        labels,
        category_label="渠道申请管理",
    )
    labels.expect(page.locator("h2"), "企业渠道设置", "enterprise channel page title")
    add = page.locator("#add-channel")
    labels.expect(add, "新增", "add button (企业渠道设置)")
    add.click()
    labels.expect(
        page.locator('label[for="name"]'), "企业名称", "channel form: name label"
    )
    labels.expect(
        page.locator('label[for="quota"]'),
        "分配的推荐码数量",
        "channel form: quota label",
    )
    page.fill("#name", LEVEL1_NAME)
    page.fill("#quota", str(LEVEL1_QUOTA))
    labels.expect(page.locator("#save"), "确认", "channel form: confirm button")
    shots(page, "level1-add-form")
    page.locator("#save").click()
    expect(flash(page)).to_contain_text(LEVEL1_NAME)
    level1_row = page.locator(f'#channel-table tr[data-name="{LEVEL1_NAME}"]')
    expect(level1_row.locator(".quota")).to_have_text(str(LEVEL1_QUOTA))
    expect(level1_row.locator(".available")).to_have_text(str(LEVEL1_QUOTA))
    level1_id = int(level1_row.get_attribute("data-channel-id"))
    assert server.query(
        "SELECT level, quota, enabled FROM channels WHERE id = ?", level1_id
    ) == [(1, LEVEL1_QUOTA, 1)]
    assert (
        server.scalar(
            "SELECT count(*) FROM referral_codes WHERE channel_id = ? AND state = 'available'",
            level1_id,
        )
        == LEVEL1_QUOTA
    )
    shots(page, "level1-created")

    # 3. 设置联系人 with a new mobile number: a new account and an SMS with a set-password link.
    contact_button = level1_row.locator(f'a[href$="/{level1_id}/contact"]')
    labels.expect(contact_button, "设置联系人", "set contact button")
    labels.expect(
        level1_row.locator(f'a[href$="/{level1_id}/edit"]'), "编辑", "edit button"
    )
    labels.expect(
        level1_row.locator('form[action$="/toggle"] button'), "禁用", "disable button"
    )
    contact_button.click()
    contact_name, contact_mobile = LEVEL1_CONTACT
    page.fill("#name", contact_name)
    page.fill("#mobile", contact_mobile)
    page.locator("#save").click()
    expect(flash(page)).to_contain_text(contact_name)
    expect(page.locator("#contacts")).to_contain_text(contact_name)
    shots(page, "level1-contact-set")
    bodies = [
        body
        for (body,) in server.query(
            "SELECT body FROM outbox_messages WHERE channel = 'sms' AND recipient = ? ORDER BY id",
            contact_mobile,
        )
    ]
    assert len(bodies) == 1, bodies
    link = re.search(r"https?://\S+/account/set-password/[A-Za-z0-9_\-]+", bodies[0])
    assert link, bodies[0]
    assert link.group(0).startswith(server.base_url + "/"), link.group(0)
    log_out(page)

    # 4. The new contact opens the SMS link and sets a password.
    page.goto(link.group(0))
    page.fill("#password", LEVEL1_PASSWORD)
    page.fill("#confirm", LEVEL1_PASSWORD)
    shots(page, "set-password-from-sms-link")
    page.locator('#set-password-form [type="submit"]').click()
    expect(flash(page)).to_be_visible()
    labels.expect_chinese(flash(page), "flash after setting the password")
    assert page.url.startswith(server.base_url + "/login/")
    page.goto(link.group(0))  # the link works once
    expect(page.locator("#set-password-form")).to_have_count(0)

    # 5. The contact logs in with the mobile number as login name: 企业-渠道联系人.
    log_in(page, contact_mobile, LEVEL1_PASSWORD, labels)
    labels.expect(
        page.locator("#identity-menu > a"),
        "企业-渠道联系人",
        "navbar identity (enterprise contact)",
    )
    expect(page.locator("#identity-menu > a")).to_contain_text(LEVEL1_NAME)
    shots(page, "level1-contact-home")

    # 6. 渠道申请管理 → 二级企业渠道设置 → 新增: a level-2 enterprise with 3 codes.
    open_menu(
        page,
        "/sub-channels/",
        "二级企业渠道设置",
        labels,
        category_label="渠道申请管理",
    )
    labels.expect(page.locator("#add-channel"), "新增", "add button (二级企业渠道设置)")
    page.locator("#add-channel").click()
    page.fill("#name", LEVEL2_NAME)
    page.fill("#quota", str(LEVEL2_QUOTA))
    page.locator("#save").click()
    expect(flash(page)).to_contain_text(LEVEL2_NAME)
    level2_row = page.locator(f'#channel-table tr[data-name="{LEVEL2_NAME}"]')
    expect(level2_row.locator(".quota")).to_have_text(str(LEVEL2_QUOTA))
    level2_id = int(level2_row.get_attribute("data-channel-id"))
    assert server.query(
        "SELECT level, parent_id, quota FROM channels WHERE id = ?", level2_id
    ) == [(2, level1_id, LEVEL2_QUOTA)]
    own_available = LEVEL1_QUOTA - LEVEL2_QUOTA
    assert (
        server.scalar(
            "SELECT count(*) FROM referral_codes WHERE channel_id = ? AND state = 'available'",
            level1_id,
        )
        == own_available
    )
    shots(page, "level2-created")

    # 7. 工程项目管理: one project in each list, with its country.
    for href, (name, (country, country_name), label) in PROJECTS.items():
        open_menu(page, href, label, labels, category_label="工程项目管理")
        add_project = page.locator("#add-project")
        labels.expect(add_project, "新增", f"add button ({label})")
        add_project.click()
        page.fill("#name", name)
        page.locator("#country").select_option(country)
        page.locator('form [type="submit"]').last.click()
        expect(flash(page)).to_be_visible()
        project_row = page.locator("tr", has=page.locator("td", has_text=name))
        expect(project_row).to_have_count(1)
        expect(project_row).to_contain_text(country_name)
        # 停用 on the row stops it and stays on this list; 启用 resumes it.
        labels.expect(project_row.locator('[data-toggle-project="stop"]'), "停用", "stop button")
        project_row.locator('[data-toggle-project="stop"]').click()
        expect(page).to_have_url(re.compile(re.escape(href) + r"list/"))
        labels.expect(project_row, "已停用", "stopped project state")
        project_row.locator('[data-toggle-project="resume"]').click()
        labels.expect(project_row, "使用中", "resumed project state")
        shots(page, f"project-{href.strip('/')}")
    assert sorted(
        server.query(
            "SELECT kind, name, country FROM projects WHERE channel_id = ?", level1_id
        )
    ) == sorted(
        ("key" if href == "/key-projects/" else "dispatch", name, country)
        for href, (name, (country, _), _) in PROJECTS.items()
    )

    # 8. 拟参加工程能力评价人员总览 → the red figure 被分配推荐码数量 opens the code list.
    open_menu(page, "/prospect-overview/", "拟参加工程能力评价人员总览", labels)
    figures = page.locator("#code-figures")
    labels.expect(figures, "被分配推荐码数量", "overview: allocated figure label")
    labels.expect(figures, "已使用推荐码数量", "overview: used figure label")
    expect(page.locator("#allocated-link")).to_have_text(str(LEVEL1_QUOTA))
    expect(page.locator("#used-link")).to_have_text("0")
    shots(page, "prospect-overview")
    page.locator("#allocated-link").click()
    code_rows = page.locator('#code-table tbody tr[data-state="available"]')
    expect(code_rows).to_have_count(own_available)
    shots(page, "code-list")

    # 9. 复制: the clipboard holds exactly that code.
    copy_row = code_rows.nth(0)
    copied_code = copy_row.get_attribute("data-code")
    copy_button = copy_row.locator("button.copy-code")
    labels.expect(copy_button, "复制", "copy button")
    copy_button.click()
    expect(page.locator("#copy-status")).to_contain_text(copied_code)
    assert page.evaluate("navigator.clipboard.readText()") == copied_code
    labels.expect_chinese(page.locator("#copy-status"), "copy confirmation")
    shots(page, "code-copied")

    # 10. 分享 another code: a full-width number is refused at the field, a mainland one sent.
    share_row = code_rows.nth(1)
    shared_code = share_row.get_attribute("data-code")
    assert shared_code != copied_code
    share_button = share_row.locator("a.share-code")
    labels.expect(share_button, "分享", "share button")
    share_button.click()
    expect(page.locator("h2")).to_contain_text(shared_code)
    page.fill("#mobile", SHARE_BAD_MOBILE)
    page.locator("#send").click()
    expect(field_error(page, "mobile")).to_be_visible()
    labels.expect_chinese(
        field_error(page, "mobile"), "share: full-width mobile refusal"
    )
    expect(page.locator("#mobile")).to_have_value(SHARE_BAD_MOBILE)
    shots(page, "share-refused-full-width")
    assert (
        server.scalar(
            "SELECT count(*) FROM outbox_messages WHERE body LIKE ?", f"%{shared_code}%"
        )
        == 0
    )
    page.fill("#mobile", SHARE_MOBILE)
    page.locator("#send").click()
    expect(flash(page)).to_contain_text(shared_code)
    expect(flash(page)).to_contain_text(SHARE_MOBILE)
    labels.expect_chinese(flash(page), "share: success message")
    shots(page, "share-sent")
    sms = server.query(
        "SELECT body FROM outbox_messages WHERE channel = 'sms' AND recipient = ? AND body LIKE ?",
        SHARE_MOBILE,
        f"%{shared_code}%",
    )
    assert len(sms) == 1, sms
    assert LEVEL1_NAME in sms[0][0]
    assert server.query(
        "SELECT shared_to, shared_at IS NOT NULL FROM referral_codes WHERE code = ?",
        shared_code,
    ) == [(SHARE_MOBILE, 1)]

    # 11. English once, from the navbar's language menu, on the code list itself; the
    #     switch comes back to the same page; then back to Chinese.
    code_list_url = page.url
    page.locator("#language-menu > a.dropdown-toggle").click()
    page.locator('#language-menu a.switch-language[data-lang="en"]').click()
    expect(page.locator("#language-menu > a.dropdown-toggle")).to_contain_text(
        "English"
    )
    assert page.url == code_list_url
    expect(page.locator('#side-menu a[href^="/prospect-overview/"]')).to_contain_text(
        "Overview of prospective assessment applicants"
    )
    expect(page.locator("#code-table button.copy-code").first).to_have_text("Copy")
    shots(page, "code-list-english")
    page.locator("#language-menu > a.dropdown-toggle").click()
    page.locator('#language-menu a.switch-language[data-lang="zh"]').click()
    expect(page.locator("#language-menu > a.dropdown-toggle")).to_contain_text(
        "简体中文"
    )
    log_out(page)

    # 12. The society contact cannot lower the level-1 quota below used + delegated (0 + 3).
    log_in(page, society_login, society_password, labels)
    open_menu(
        page,
        "/enterprise-channels/",
        "企业渠道设置",
        labels,
        category_label="渠道申请管理",
    )
    level1_row = page.locator(f'#channel-table tr[data-name="{LEVEL1_NAME}"]')
    expect(level1_row.locator(".delegated")).to_have_text(str(LEVEL2_QUOTA))
    level1_row.locator(f'a[href$="/{level1_id}/edit"]').click()
    expect(page.locator("#quota")).to_have_value(str(LEVEL1_QUOTA))
    page.fill("#quota", "2")
    page.locator("#save").click()
    refusal = field_error(page, "quota")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(
        re.compile(rf"\b{LEVEL2_QUOTA}\b")
    )  # the smallest allowed value
    labels.expect(refusal, re.compile(r"已使用\s*0\s*个"), "quota refusal: used part")
    labels.expect(
        refusal,
        re.compile(rf"已分配给下级(企业)?\s*{LEVEL2_QUOTA}\s*个"),
        "quota refusal: delegated part",
    )
    shots(page, "level1-quota-refused")
    assert (
        server.scalar("SELECT quota FROM channels WHERE id = ?", level1_id)
        == LEVEL1_QUOTA
    )
    assert (
        server.scalar("SELECT quota FROM channels WHERE id = ?", level2_id)
        == LEVEL2_QUOTA
    )
    assert (
        server.scalar(
            "SELECT count(*) FROM referral_codes WHERE channel_id = ? AND state != 'revoked'",
            level1_id,
        )
        == own_available
    )

    labels.check()
