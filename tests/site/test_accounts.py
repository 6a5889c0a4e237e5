"""The applicant site's account pages: register, log in (password, SMS code), forgotten
password, log out; messages at their field, forms refilled as typed."""

import html
import logging
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Account, IdentityKind, VerificationCode
from tests.conftest import csrf_token, login
from tests.site.conftest import last_code, outbox_rows

EMAIL = "li.si@example.com"
MOBILE = "13900001111"


def field_errors(page: str, field: str) -> list[str]:
    return [
        html.unescape(text)
        for text in re.findall(rf'id="{field}-error"[^>]*>([^<]*)<', page)
    ]


def input_value(page: str, field: str) -> str:
    match = re.search(rf'<input[^>]*\bid="{field}"[^>]*>', page)
    assert match, f"no input {field}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def code_notice(page: str) -> str:
    return html.unescape(re.search(r"data-code-notice[^>]*>([^<]*)<", page).group(1))


def logged_in_as(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, url: str, data: dict, page: str | None = None):
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data})


def _register_code(client, email: str = EMAIL) -> str:
    response = client.post(
        "/apply/verification-code",
        data={"purpose": "register", "target": email},
        headers={"X-CSRFToken": csrf_token(client, "/apply/register")},
    )
    assert response.status_code == 200, response.get_json()
    return last_code(email.lower())


# --- register ----------------------------------------------------------------------


def test_register_with_emailed_code_creates_the_account_and_logs_in(
    client, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    pages = []

    response = _post(client, "/apply/register", {"email": EMAIL, "send_code": "1"})
    pages.append(response.get_data(as_text=True))
    code = last_code(EMAIL)
    response = _post(
        client,
        "/apply/register?next=/apply/center",
        {
            "email": EMAIL,
            "code": code,
            "password": "good-pass-1",
            "confirm": "good-pass-1",
            "agree": "y",
        },
        page="/apply/register",
    )
    pages.append(client.get("/apply/").get_data(as_text=True))

    assert "验证码已发送至 li.si@example.com" in code_notice(pages[0])
    assert input_value(pages[0], "email") == EMAIL
    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/center"
    account = db.session.scalar(select(Account).where(Account.email == EMAIL))
    assert account.terms_accepted_at is not None
    assert account.mobile is None
    assert logged_in_as(client) == str(account.id)
    assert all(code not in page for page in pages)
    assert code not in caplog.text
    [message] = outbox_rows(EMAIL)
    assert message.channel == "email" and code in message.body


def test_register_without_agreeing_is_refused_and_writes_nothing(client, clock):
    code = _register_code(client)

    response = _post(
        client,
        "/apply/register",
        {
            "email": EMAIL,
            "code": code,
            "password": "good-pass-1",
            "confirm": "good-pass-1",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(page, "agree") == [
        "请先阅读并勾选同意《用户协议》和《隐私政策》。"
    ]
    assert input_value(page, "email") == EMAIL
    assert input_value(page, "code") == code
    assert input_value(page, "password") == ""
    assert _count(Account) == 0
    row = db.session.scalar(select(VerificationCode))
    assert (row.attempts, row.used_at) == (0, None)
    assert logged_in_as(client) is None


def test_register_shows_every_problem_at_its_field_and_keeps_the_input(client, clock):
    response = _post(
        client,
        "/apply/register",
        {
            "email": " Li.Si@example",
            "code": "12a4",
            "password": "short",
            "confirm": "other",
            "agree": "y",
        },
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "email") == [
        "请输入有效的邮箱地址，例如name@example.com。"
    ]
    assert field_errors(page, "code") == ["请输入6位数字验证码。"]
    assert field_errors(page, "password") == ["密码至少8位，且首尾不能有空格。"]
    assert field_errors(page, "confirm") == ["两次输入的密码不一致。"]
    assert input_value(page, "email") == " Li.Si@example"
    assert input_value(page, "code") == "12a4"
    assert _count(Account) == 0


def test_register_with_a_wrong_code_says_so_at_the_code_field(client, clock):
    code = _register_code(client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = _post(
        client,
        "/apply/register",
        {
            "email": EMAIL,
            "code": wrong,
            "password": "good-pass-1",
            "confirm": "good-pass-1",
            "agree": "y",
        },
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "code") == ["验证码错误，还可尝试 4 次。"]
    assert input_value(page, "code") == wrong
    assert _count(Account) == 0


def test_register_code_for_an_existing_address_is_refused_at_the_email_field(
    client, clock, applicant
):
    response = _post(
        client, "/apply/register", {"email": "zhang@example.com", "send_code": "1"}
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "email") == ["该邮箱已注册账号，请直接登录或找回密码。"]
    assert outbox_rows() == []


# --- the code button's JSON endpoint -----------------------------------------------


def test_code_endpoint_answers_with_the_countdown_then_the_seconds_left(client, clock):
    token = csrf_token(client, "/apply/register")
    data = {"purpose": "register", "target": EMAIL}

    first = client.post(
        "/apply/verification-code", data=data, headers={"X-CSRFToken": token}
    )
    clock.advance(seconds=20)
    second = client.post(
        "/apply/verification-code", data=data, headers={"X-CSRFToken": token}
    )

    assert first.status_code == 200
    assert first.get_json()["ok"] is True
    assert first.get_json()["retry_after"] == 60
    assert second.status_code == 429
    assert second.get_json() == {
        "ok": False,
        "field": "email",
        "message": "验证码刚刚已发送，请 40 秒后再重新获取。",
        "retry_after": 40,
    }
    assert len(outbox_rows(EMAIL)) == 1


def test_code_endpoint_refuses_the_21st_request_of_the_day_in_the_page_language(
    client, clock
):
    token = csrf_token(client, "/apply/register")
    for _ in range(20):
        response = client.post(
            "/apply/verification-code",
            data={"purpose": "register", "target": EMAIL},
            headers={"X-CSRFToken": token},
        )
        assert response.status_code == 200
        clock.advance(seconds=61)
    client.get("/apply/language/en")

    response = client.post(
        "/apply/verification-code",
        data={"purpose": "register", "target": EMAIL},
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "email"
    assert body["message"] == (
        "This address has received 20 codes in the last 24 hours, the most allowed. Try again tomorrow."
    )
    assert len(outbox_rows(EMAIL)) == 20


def test_21st_request_without_javascript_keeps_the_form_as_typed(client, clock):
    for _ in range(20):
        _post(client, "/apply/register", {"email": EMAIL, "send_code": "1"})
        clock.advance(seconds=61)

    response = _post(
        client, "/apply/register", {"email": EMAIL, "send_code": "1", "code": "123"}
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "email") == [
        "该地址24小时内已获取 20 次验证码，已达上限，请明天再试。"
    ]
    assert input_value(page, "email") == EMAIL
    assert input_value(page, "code") == "123"
    assert code_notice(page) == ""


def test_code_endpoint_without_csrf_token_is_refused_as_json(client, clock):
    response = client.post(
        "/apply/verification-code", data={"purpose": "register", "target": EMAIL}
    )

    assert response.status_code == 400
    assert response.get_json()["ok"] is False
    assert outbox_rows() == []


def test_code_endpoint_refuses_an_unknown_purpose(client, clock):
    token = csrf_token(client, "/apply/register")

    response = client.post(
        "/apply/verification-code",
        data={"purpose": "admin", "target": EMAIL},
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 400
    assert outbox_rows() == []


# --- log in ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("１３９００００１１１１", "手机号请使用半角数字（0-9）。"),
        ("+8613900001111", "请输入11位手机号，无需加+86。"),
        ("13900001111\n", "手机号不能包含空格或换行。"),
    ],
    ids=["full-width", "plus-86", "trailing-newline"],
)
@pytest.mark.parametrize("action", ["send_code", "login"])
def test_sms_login_refuses_a_malformed_mobile_at_the_field(
    client, clock, applicant, typed, message, action
):
    data = {"mode": "code", "mobile": typed, "code": "123456", "agree": "y"}
    if action == "send_code":
        data["send_code"] = "1"

    response = _post(client, "/apply/login", data, page="/apply/login?tab=code")

    page = response.get_data(as_text=True)
    assert field_errors(page, "mobile") == [message]
    assert input_value(page, "mobile") == typed
    assert outbox_rows() == []
    assert _count(VerificationCode) == 0
    assert logged_in_as(client) is None


def test_sms_login_with_the_code_logs_in_and_goes_to_next(
    client, clock, applicant, caplog
):
    caplog.set_level(logging.DEBUG)
    token = csrf_token(client, "/apply/login?tab=code")
    sent = client.post(
        "/apply/verification-code",
        data={"purpose": "login", "target": MOBILE},
        headers={"X-CSRFToken": token},
    )
    code = last_code(MOBILE)

    response = client.post(
        "/apply/login?next=/apply/messages",
        data={
            "csrf_token": token,
            "mode": "code",
            "mobile": MOBILE,
            "code": code,
            "agree": "y",
        },
    )

    assert "139****1111" in sent.get_json()["message"]
    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/messages"
    assert logged_in_as(client) == str(applicant)
    assert outbox_rows(MOBILE)[0].channel == "sms"
    assert code not in caplog.text


def test_sms_login_with_a_wrong_code_is_refused_at_the_code_field(
    client, clock, applicant
):
    token = csrf_token(client, "/apply/login?tab=code")
    client.post(
        "/apply/verification-code",
        data={"purpose": "login", "target": MOBILE},
        headers={"X-CSRFToken": token},
    )
    wrong = f"{(int(last_code(MOBILE)) + 1) % 1_000_000:06d}"

    response = client.post(
        "/apply/login",
        data={
            "csrf_token": token,
            "mode": "code",
            "mobile": MOBILE,
            "code": wrong,
            "agree": "y",
        },
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "code") == ["验证码错误，还可尝试 4 次。"]
    assert input_value(page, "mobile") == MOBILE
    assert logged_in_as(client) is None


@pytest.mark.parametrize(
    "login_name",
    ["zhang@example.com", "ZHANG@Example.com", MOBILE],
    ids=["email", "email-case", "mobile"],
)
def test_password_login_by_email_or_mobile(client, clock, applicant, login_name):
    response = _post(
        client,
        "/apply/login?next=/apply/center",
        {
            "mode": "password",
            "login": login_name,
            "password": "right-pass-1",
            "agree": "y",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/center"
    assert logged_in_as(client) == str(applicant)
    account = db.session.get(Account, applicant)
    assert account.login_count == 1
    assert account.terms_accepted_at is not None


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil"],
    ids=["scheme-less", "absolute", "backslash"],
)
def test_login_never_sends_to_another_host(client, clock, applicant, target):
    response = _post(
        client,
        f"/apply/login?next={target}",
        {"mode": "password", "login": MOBILE, "password": "right-pass-1", "agree": "y"},
    )

    assert response.headers["Location"] == "/apply/"


def test_wrong_password_is_refused_at_the_password_field_with_the_login_kept(
    client, clock, applicant
):
    response = _post(
        client,
        "/apply/login",
        {
            "mode": "password",
            "login": "zhang@example.com",
            "password": "nope-nope",
            "agree": "y",
        },
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "password") == ["账号或密码错误。"]
    assert input_value(page, "login") == "zhang@example.com"
    assert input_value(page, "password") == ""
    assert db.session.get(Account, applicant).fail_login_count == 1


def test_unknown_account_gets_the_same_message_as_a_wrong_password(client, clock):
    response = _post(
        client,
        "/apply/login",
        {
            "mode": "password",
            "login": "who@example.com",
            "password": "whatever-1",
            "agree": "y",
        },
    )

    assert field_errors(response.get_data(as_text=True), "password") == [
        "账号或密码错误。"
    ]


@pytest.mark.parametrize("login_name", ["who\x00@example.com", "1390000\x001111"])
def test_a_nul_in_what_is_typed_is_dropped_not_a_server_error(client, clock, login_name):
    """No text anyone types holds a NUL; PostgreSQL refuses one in a text column. Every
    query and form value arrives without it (app.AssessRequest)."""
    response = _post(
        client,
        "/apply/login",
        {
            "mode": "password",
            "login": login_name,
            "password": "whatever-1",
            "agree": "y",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_errors(page, "password") == ["账号或密码错误。"]
    # The form comes back with what was typed, without the NUL.
    assert input_value(page, "login") == login_name.replace("\x00", "")
    assert client.get("/apply/application?code=AB%00CD").status_code < 500


def test_five_wrong_passwords_pause_password_login_until_a_code_login(
    client, clock, applicant
):
    for _ in range(5):
        _post(
            client,
            "/apply/login",
            {
                "mode": "password",
                "login": MOBILE,
                "password": "wrong-pass",
                "agree": "y",
            },
        )

    paused = _post(
        client,
        "/apply/login",
        {"mode": "password", "login": MOBILE, "password": "right-pass-1", "agree": "y"},
    )
    token = csrf_token(client, "/apply/login?tab=code")
    client.post(
        "/apply/verification-code",
        data={"purpose": "login", "target": MOBILE},
        headers={"X-CSRFToken": token},
    )
    client.post(
        "/apply/login",
        data={
            "csrf_token": token,
            "mode": "code",
            "mobile": MOBILE,
            "code": last_code(MOBILE),
            "agree": "y",
        },
    )
    client.post("/apply/logout", data={"csrf_token": csrf_token(client, "/apply/")})
    again = _post(
        client,
        "/apply/login",
        {"mode": "password", "login": MOBILE, "password": "right-pass-1", "agree": "y"},
    )

    assert (
        "密码错误次数过多" in field_errors(paused.get_data(as_text=True), "password")[0]
    )
    assert again.status_code == 302
    assert logged_in_as(client) == str(applicant)


def test_login_requires_the_agreement(client, clock, applicant):
    response = _post(
        client,
        "/apply/login",
        {"mode": "password", "login": MOBILE, "password": "right-pass-1"},
    )

    assert field_errors(response.get_data(as_text=True), "agree") == [
        "请先阅读并勾选同意《用户协议》和《隐私政策》。"
    ]
    assert logged_in_as(client) is None


def test_account_with_backend_identities_logs_in_on_the_site_and_stays_there(
    client, clock, world
):
    society = world.society()
    account_id, _ = world.account(
        "王学会", "13800000001", IdentityKind.SOCIETY_CONTACT, society=society
    )
    world.account("王学会", "13800000001", IdentityKind.SOCIETY_ADMIN, society=society)

    response = _post(
        client,
        "/apply/login",
        {
            "mode": "password",
            "login": "13800000001",
            "password": "secret-pass-1",
            "agree": "y",
        },
    )
    home = client.get("/apply/")
    center = client.get("/apply/messages")

    assert response.headers["Location"] == "/apply/"
    assert logged_in_as(client) == str(account_id)
    assert home.status_code == 200
    assert center.status_code == 200


# --- forgotten password, log out, expired forms ------------------------------------


@pytest.mark.parametrize(
    "target", ["zhang@example.com", MOBILE], ids=["email", "mobile"]
)
def test_forgotten_password_is_reset_by_code(client, clock, applicant, target):
    sent = _post(client, "/apply/forgot", {"target": target, "send_code": "1"})
    code = last_code(target)

    response = _post(
        client,
        "/apply/forgot",
        {
            "target": target,
            "code": code,
            "password": "brand-new-1",
            "confirm": "brand-new-1",
        },
    )
    old = _post(
        client,
        "/apply/login",
        {"mode": "password", "login": MOBILE, "password": "right-pass-1", "agree": "y"},
    )
    new = _post(
        client,
        "/apply/login",
        {"mode": "password", "login": MOBILE, "password": "brand-new-1", "agree": "y"},
    )

    assert "验证码已发送" in code_notice(sent.get_data(as_text=True))
    assert outbox_rows(target)[0].channel == ("email" if "@" in target else "sms")
    assert (
        response.status_code == 302 and response.headers["Location"] == "/apply/login"
    )
    assert field_errors(old.get_data(as_text=True), "password") == ["账号或密码错误。"]
    assert new.status_code == 302


def test_forgotten_password_with_differing_passwords_keeps_the_old_one(
    client, clock, applicant
):
    _post(client, "/apply/forgot", {"target": MOBILE, "send_code": "1"})

    response = _post(
        client,
        "/apply/forgot",
        {
            "target": MOBILE,
            "code": last_code(MOBILE),
            "password": "brand-new-1",
            "confirm": "brand-new-2",
        },
    )

    page = response.get_data(as_text=True)
    assert field_errors(page, "confirm") == ["两次输入的密码不一致。"]
    assert input_value(page, "target") == MOBILE
    assert db.session.scalar(select(VerificationCode)).used_at is None


def test_logout_is_a_post_and_ends_the_session(client, clock, applicant):
    login(client, applicant)

    refused = client.get("/apply/logout")
    response = client.post(
        "/apply/logout", data={"csrf_token": csrf_token(client, "/apply/")}
    )

    assert refused.status_code == 405
    assert response.status_code == 302 and response.headers["Location"] == "/apply/"
    assert logged_in_as(client) is None


def test_expired_form_comes_back_filled_in_with_a_request_to_submit_again(
    client, clock
):
    client.get("/apply/register")

    response = client.post(
        "/apply/register",
        data={
            "csrf_token": "expired",
            "email": EMAIL,
            "code": "123456",
            "password": "good-pass-1",
            "confirm": "good-pass-1",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "表单已过期，请重新提交。" in page
    assert input_value(page, "email") == EMAIL
    assert input_value(page, "code") == "123456"
    assert input_value(page, "password") == ""
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', page)
    assert _count(Account) == 0


def test_expired_login_form_keeps_its_tab(client, clock):
    response = client.post(
        "/apply/login", data={"csrf_token": "x", "mode": "code", "mobile": "139"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="login-code-form"' in page
    assert input_value(page, "mobile") == "139"


def test_login_page_redirects_a_logged_in_account(client, clock, applicant):
    login(client, applicant)

    response = client.get("/apply/login?next=/apply/center")

    assert response.status_code == 302
    assert response.headers["Location"] == "/apply/center"


def test_account_pages_render_in_english(client, clock):
    client.get("/apply/language/en")

    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in [
            "/apply/login",
            "/apply/login?tab=code",
            "/apply/register",
            "/apply/forgot",
        ]
    }

    assert "Account and password" in pages["/apply/login"]
    assert "Get verification code" in pages["/apply/login?tab=code"]
    assert "I have read and agree to the" in pages["/apply/register"]
    assert "Reset the password" in pages["/apply/forgot"]
