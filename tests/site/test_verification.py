"""Verification codes (app/services/verification.py): every rule with its exact value."""

import hashlib
import hmac
import logging
import re
import threading

import pytest
from sqlalchemy import func, select

from app.db import write_transaction
from app.errors import AccountError, VerificationError
from app.extensions import db
from app.models import Account, VerificationCode
from app.services import accounts, verification
from tests.site.conftest import last_code, outbox_rows

EMAIL = "new.applicant@example.com"
MOBILE = "13900001111"
IP = "203.0.113.7"


def _codes(target: str) -> list[VerificationCode]:
    db.session.rollback()  # end the read snapshot: see what other sessions committed
    return list(
        db.session.scalars(
            select(VerificationCode).where(VerificationCode.target == target)
        )
    )


def test_settings_have_the_documented_values(app):
    assert app.config["VERIFICATION_CODE_MINUTES"] == 10
    assert app.config["VERIFICATION_MAX_ATTEMPTS"] == 5
    assert app.config["VERIFICATION_RESEND_SECONDS"] == 60
    assert app.config["VERIFICATION_DAILY_PER_TARGET"] == 20
    assert app.config["VERIFICATION_DAILY_PER_IP"] == 100


def test_register_code_goes_by_email_and_only_its_hmac_is_stored(app, clock, caplog):
    caplog.set_level(logging.DEBUG)

    row = verification.request_code("register", EMAIL, IP, field="email")

    [message] = outbox_rows(EMAIL)
    assert message.channel == "email"
    assert message.subject
    code = last_code(EMAIL)
    assert re.fullmatch(r"\d{6}", code)
    stored = _codes(EMAIL)[0]
    expected = hmac.new(
        b"test-secret", f"register\x00{EMAIL}\x00{code}".encode(), hashlib.sha256
    ).hexdigest()
    assert stored.code_hash == expected
    assert code not in repr(
        [stored.target, stored.code_hash, stored.ip, stored.purpose]
    )
    assert (stored.expires_at - stored.created_at).total_seconds() == 600
    assert row.id == stored.id
    assert code not in caplog.text


def test_login_code_goes_by_sms_to_an_existing_account(app, clock, applicant):
    verification.request_code("login", MOBILE, IP, field="mobile")

    [message] = outbox_rows(MOBILE)
    assert message.channel == "sms"
    assert message.subject is None
    assert re.search(r"\b\d{6}\b", message.body)


def test_message_is_written_in_the_default_language(app, clock):
    verification.request_code("register", EMAIL, IP)

    [message] = outbox_rows(EMAIL)
    assert "验证码" in message.subject
    assert "10" in message.body


@pytest.mark.parametrize(
    ("purpose", "target", "message"),
    [
        ("register", "zhang@example.com", "该邮箱已注册账号"),
        ("login", "13700009999", "该手机号未注册账号"),
        ("reset", "nobody@example.com", "该邮箱或手机号未注册账号"),
    ],
    ids=["register-existing-email", "login-unknown-mobile", "reset-unknown-address"],
)
def test_code_refused_when_the_account_does_not_fit_the_purpose(
    app, clock, applicant, purpose, target, message
):
    with pytest.raises(VerificationError) as caught:
        verification.request_code(purpose, target, IP, field="target")

    assert message in str(caught.value.message)
    assert caught.value.field == "target"
    assert _codes(target) == []
    assert outbox_rows() == []


def test_right_code_is_accepted_and_used_once(app, clock):
    verification.request_code("register", EMAIL, IP)
    code = last_code(EMAIL)

    code_id = verification.verify_code("register", EMAIL, code)
    with write_transaction():
        verification.consume_code(code_id)

    with pytest.raises(VerificationError) as caught:
        verification.verify_code("register", EMAIL, code)
    assert caught.value.field == "code"
    assert "已使用" in str(caught.value.message)


def test_verified_code_stays_usable_when_the_action_is_rolled_back(app, clock):
    verification.request_code("register", EMAIL, IP)
    code_id = verification.verify_code("register", EMAIL, last_code(EMAIL))

    with pytest.raises(RuntimeError), write_transaction():
        verification.consume_code(code_id)
        raise RuntimeError("the action failed")

    assert _codes(EMAIL)[0].used_at is None
    assert verification.verify_code("register", EMAIL, last_code(EMAIL)) == code_id


@pytest.mark.parametrize(
    ("seconds", "accepted"), [(599, True), (600, False)], ids=["9m59s", "10m"]
)
def test_code_lives_ten_minutes(app, clock, seconds, accepted):
    verification.request_code("register", EMAIL, IP)
    code = last_code(EMAIL)

    clock.advance(seconds=seconds)

    if accepted:
        assert verification.verify_code("register", EMAIL, code)
    else:
        with pytest.raises(VerificationError) as caught:
            verification.verify_code("register", EMAIL, code)
        assert "已过期" in str(caught.value.message)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_tries_kill_the_code_and_each_is_committed(app, clock):
    verification.request_code("register", EMAIL, IP)
    code = last_code(EMAIL)
    messages = []

    for _ in range(5):
        with pytest.raises(VerificationError) as caught:
            verification.verify_code("register", EMAIL, _wrong(code))
        messages.append(str(caught.value.message))
        assert caught.value.field == "code"

    assert [re.search(r"\d+", m).group(0) for m in messages[:4]] == ["4", "3", "2", "1"]
    assert "不能再使用" in messages[4]
    assert _codes(EMAIL)[0].attempts == 5
    with pytest.raises(VerificationError) as caught:
        verification.verify_code("register", EMAIL, code)
    assert "错误次数过多" in str(caught.value.message)


def test_four_wrong_tries_still_allow_the_right_code(app, clock):
    verification.request_code("register", EMAIL, IP)
    code = last_code(EMAIL)
    for _ in range(4):
        with pytest.raises(VerificationError):
            verification.verify_code("register", EMAIL, _wrong(code))

    assert verification.verify_code("register", EMAIL, code)


def test_wrong_try_is_counted_although_the_registration_fails(app, clock):
    verification.request_code("register", EMAIL, IP)

    with pytest.raises(VerificationError):
        accounts.register_account(
            EMAIL, _wrong(last_code(EMAIL)), "good-pass-1", "good-pass-1", agreed=True
        )

    assert _codes(EMAIL)[0].attempts == 1
    assert db.session.scalar(select(func.count()).select_from(Account)) == 0


@pytest.mark.parametrize(
    "code",
    ["12345", "1234567", "12a456", "１２３４５６", ""],
    ids=["5", "7", "letter", "full-width", "empty"],
)
def test_malformed_code_is_refused_without_counting_a_try(app, clock, code):
    verification.request_code("register", EMAIL, IP)

    with pytest.raises(VerificationError) as caught:
        verification.verify_code("register", EMAIL, code)

    assert caught.value.field == "code"
    assert "6位" in str(caught.value.message)
    assert _codes(EMAIL)[0].attempts == 0


def test_only_the_newest_code_counts(app, clock):
    verification.request_code("register", EMAIL, IP)
    first = last_code(EMAIL)
    clock.advance(seconds=60)
    verification.request_code("register", EMAIL, IP)
    second = last_code(EMAIL)

    if first != second:
        with pytest.raises(VerificationError):
            verification.verify_code("register", EMAIL, first)
    assert verification.verify_code("register", EMAIL, second)


def test_resend_is_refused_within_60_seconds_with_the_seconds_left(app, clock):
    verification.request_code("register", EMAIL, IP)
    clock.advance(seconds=45)

    with pytest.raises(VerificationError) as caught:
        verification.request_code("register", EMAIL, IP, field="email")

    assert caught.value.retry_after == 15
    assert caught.value.field == "email"
    assert "15" in str(caught.value.message)
    clock.advance(seconds=15)
    verification.request_code("register", EMAIL, IP)
    assert len(_codes(EMAIL)) == 2


def test_the_21st_code_for_an_address_in_24_hours_is_refused(app, clock):
    for _ in range(20):
        verification.request_code("register", EMAIL, None)
        clock.advance(seconds=61)

    with pytest.raises(VerificationError) as caught:
        verification.request_code("register", EMAIL, None, field="email")

    assert caught.value.field == "email"
    assert "20" in str(caught.value.message)
    assert len(_codes(EMAIL)) == 20
    assert len(outbox_rows(EMAIL)) == 20
    # a rolling day: once the first code is 24 hours old, one more may be sent
    clock.advance(hours=24, seconds=-20 * 61 + 1)
    verification.request_code("register", EMAIL, None)
    assert len(_codes(EMAIL)) == 21


def test_the_cap_per_address_counts_every_purpose(app, clock, applicant):
    for purpose in ["login", "reset"] * 10:
        verification.request_code(purpose, MOBILE, None)
        clock.advance(seconds=61)

    with pytest.raises(VerificationError):
        verification.request_code("reset", MOBILE, None)


def test_the_101st_code_from_one_ip_address_in_24_hours_is_refused(app, clock):
    for number in range(100):
        verification.request_code("register", f"user{number}@example.com", IP)

    with pytest.raises(VerificationError) as caught:
        verification.request_code("register", "user100@example.com", IP, field="email")

    assert caught.value.field == "email"
    assert db.session.scalar(select(func.count()).select_from(VerificationCode)) == 100
    # another address of the same person, from another network, still gets its code
    verification.request_code("register", "user100@example.com", "198.51.100.1")


def test_concurrent_requests_do_not_pass_the_resend_interval(app, clock):
    barrier = threading.Barrier(4)
    results = []

    def request():
        with app.app_context():
            barrier.wait()
            try:
                verification.request_code("register", EMAIL, IP)
                results.append("sent")
            except VerificationError:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["refused", "refused", "refused", "sent"]
    assert len(_codes(EMAIL)) == 1


def test_concurrent_wrong_tries_are_all_counted(app, clock):
    verification.request_code("register", EMAIL, IP)
    wrong = _wrong(last_code(EMAIL))
    barrier = threading.Barrier(5)

    def attempt():
        with app.app_context():
            barrier.wait()
            try:
                verification.verify_code("register", EMAIL, wrong)
            except VerificationError:
                pass
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert _codes(EMAIL)[0].attempts == 5


def test_password_reset_by_code_clears_the_paused_password_login(app, clock, applicant):
    with write_transaction():
        db.session.get(Account, applicant).fail_login_count = 5
    verification.request_code("reset", "ZHANG@example.com", IP)

    account = accounts.reset_password_with_code(
        "zhang@example.com",
        last_code("zhang@example.com"),
        "new-pass-22",
        "new-pass-22",
    )

    assert account.fail_login_count == 0
    assert (
        accounts.login_with_password("zhang@example.com", "new-pass-22", agreed=True).id
        == applicant
    )
    with pytest.raises(AccountError):
        accounts.login_with_password("zhang@example.com", "right-pass-1", agreed=True)
