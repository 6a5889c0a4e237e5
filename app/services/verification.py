"""Verification codes of the applicant site: 6 digits sent by e-mail or SMS.

Rules (values in config.py, ``VERIFICATION_*``): a code lives 10 minutes and allows 5
tries, after which it is dead; a new code for the same address and purpose can be asked
for 60 s after the previous one; at most 20 codes per address and 100 per IP address in
any 24 hours. Only the newest code of an address and purpose counts, and only an HMAC of
it (keyed with SECRET_KEY) is stored: the code itself exists in the outbox message only.

Checking is split in two so that a wrong try is never lost and a right one is never
wasted: ``verify_code`` runs in its own transaction (a wrong try is counted and
committed, whatever the user's action does next); ``consume_code`` marks the code used
inside the action's own transaction, so a refused action leaves the code usable.

Caps hold under concurrency: the count and the insert run in one write transaction,
which SQLite starts with BEGIN IMMEDIATE and PostgreSQL serialises with transaction
advisory locks on the address and on the IP address (always taken in that order).
"""

import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from app.db import lock_rows, write_transaction
from app.errors import VerificationError
from app.extensions import db
from app.models import VerificationCode
from app.models import base as model_base
from app.services import outbox
from app.validation import email_problem, mobile_problem

logger = logging.getLogger(__name__)

PURPOSES = ("register", "login", "reset")
CODE_LENGTH = 6
# Namespaces of the PostgreSQL advisory locks (first key of pg_advisory_xact_lock).
_LOCK_TARGET, _LOCK_IP = 7301, 7302


def _now() -> dt.datetime:
    # Read through the module so that tests can move the clock (app.models.base.utcnow).
    return model_base.utcnow()


def _setting(name: str) -> int:
    return int(current_app.config[f"VERIFICATION_{name}"])


def target_kind(value: str) -> str:
    """'email' for an address with an @, else 'mobile'."""
    return "email" if "@" in (value or "") else "mobile"


def check_target(
    purpose: str, value: str | None, *, field: str = "target"
) -> tuple[str, str]:
    """(kind, stored form) of an address a code may be sent to for ``purpose``, or raise.

    Registration takes an e-mail address, SMS login a mobile number, a password reset
    either. E-mail addresses are compared case-insensitively; mobile numbers follow the
    shared rule (app/validation.py) and are never repaired.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown verification purpose {purpose!r}")
    value = value or ""
    if purpose == "register":
        kind = "email"
    elif purpose == "login":
        kind = "mobile"
    else:
        kind = target_kind(value)
    if kind == "email":
        problem = email_problem(value)
        if problem is not None:
            raise VerificationError(problem, field=field)
        return kind, value.lower()
    problem = mobile_problem(value)
    if problem is not None:
        raise VerificationError(problem, field=field)
    return kind, value


def _code_hash(purpose: str, target: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}\x00{target}\x00{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _lock(namespace: int, key: str) -> None:
    """Serialise code requests for one key on PostgreSQL (SQLite: BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, hashtext(:key))"),
            {"namespace": namespace, "key": key},
        )


def request_code(
    purpose: str, target: str | None, ip: str | None, *, field: str = "target"
) -> VerificationCode:
    """Create a code for ``target`` and queue it (e-mail or SMS) through the outbox.

    Refused with a VerificationError at ``field`` when the address is invalid, when the
    purpose does not fit the address's account (see ``_check_account``), within the
    resend interval, or past a daily cap.
    """
    kind, target = check_target(purpose, target, field=field)
    _check_account(purpose, kind, target, field=field)

    with write_transaction():
        _lock(_LOCK_TARGET, target)
        if ip:
            _lock(_LOCK_IP, ip)
        now = _now()
        _check_limits(purpose, target, ip, now, field=field)

        code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
        row = VerificationCode(
            purpose=purpose,
            target=target,
            code_hash=_code_hash(purpose, target, code),
            ip=ip,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=_setting("CODE_MINUTES")),
            attempts=0,
        )
        db.session.add(row)
        db.session.flush()
        _queue_message(purpose, kind, target, code)

    logger.info("verification code %s (%s) queued by %s", row.id, purpose, kind)
    return row


def _check_account(purpose: str, kind: str, target: str, *, field: str) -> None:
    """A registration code only for a new address, a login or reset code only for an
    existing active account."""
    from app.services.accounts import find_account

    account = find_account(**{kind: target})
    if purpose == "register" and account is not None:
        raise VerificationError(
            _l(
                "An account with this e-mail address already exists. Log in, or reset the password."
            ),
            field=field,
        )
    if purpose == "login" and (account is None or not account.active):
        raise VerificationError(
            _l(
                "No account uses this mobile number. Log in with your account and password, or register."
            ),
            field=field,
        )
    if purpose == "reset" and (account is None or not account.active):
        raise VerificationError(
            _l("No account uses this e-mail address or mobile number."), field=field
        )


def _check_limits(
    purpose: str, target: str, ip: str | None, now: dt.datetime, *, field: str
) -> None:
    """The resend interval, then the daily caps per address and per IP address."""
    resend = _setting("RESEND_SECONDS")
    last = db.session.scalar(
        select(func.max(VerificationCode.created_at)).where(
            VerificationCode.target == target, VerificationCode.purpose == purpose
        )
    )
    if last is not None:
        waited = (now - last).total_seconds()
        if waited < resend:
            remaining = max(1, math.ceil(resend - waited))
            raise VerificationError(
                _l(
                    "A code was sent a moment ago. You can ask for a new one in %(seconds)d seconds.",
                    seconds=remaining,
                ),
                field=field,
                retry_after=remaining,
            )

    since = now - dt.timedelta(hours=24)
    per_target = _setting("DAILY_PER_TARGET")
    sent = db.session.scalar(
        select(func.count()).where(
            VerificationCode.target == target, VerificationCode.created_at > since
        )
    )
    if sent >= per_target:
        raise VerificationError(
            _l(
                "This address has received %(count)d codes in the last 24 hours, the most allowed. Try again tomorrow.",
                count=per_target,
            ),
            field=field,
        )
    if ip:
        per_ip = _setting("DAILY_PER_IP")
        sent = db.session.scalar(
            select(func.count()).where(
                VerificationCode.ip == ip, VerificationCode.created_at > since
            )
        )
        if sent >= per_ip:
            raise VerificationError(
                _l(
                    "Too many codes were requested from your network today. Try again tomorrow."
                ),
                field=field,
            )


def _queue_message(purpose: str, kind: str, target: str, code: str) -> None:
    """The code's message in the request's language, by e-mail or SMS."""
    minutes = _setting("CODE_MINUTES")
    if purpose == "register":
        subject = _("Your registration verification code")
        body = _(
            "Your verification code for registering with the engineering capability assessment "
            "system is %(code)s. It is valid for %(minutes)d minutes. If you did not ask for it, "
            "ignore this message.",
            code=code,
            minutes=minutes,
        )
    elif purpose == "login":
        subject = _("Your login verification code")
        body = _(
            "[Engineering capability assessment] Your login code is %(code)s, valid for "
            "%(minutes)d minutes. Never tell it to anyone.",
            code=code,
            minutes=minutes,
        )
    else:
        subject = _("Your password reset verification code")
        body = _(
            "[Engineering capability assessment] Your code to reset the password is %(code)s, "
            "valid for %(minutes)d minutes. If you did not ask for it, ignore this message.",
            code=code,
            minutes=minutes,
        )
    if kind == "email":
        outbox.queue_email(target, subject, body)
    else:
        outbox.queue_sms(target, body)


def code_problem(code: str | None):
    """None when ``code`` has the form of a code (6 ASCII digits, surrounding spaces
    allowed as pasted from a message), else the message to show."""
    code = (code or "").strip()
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        return _l("Enter the 6-digit verification code.")
    return None


def verify_code(
    purpose: str,
    target: str | None,
    code: str | None,
    *,
    field: str = "code",
    target_field: str = "target",
) -> int:
    """Check ``code`` against the newest code of ``target`` and return its id.

    Runs in its own write transaction (call it outside any): a wrong try is counted and
    committed before the error is raised; the fifth wrong try kills the code. A right
    code is not used up here: ``consume_code`` does that in the action's transaction.
    """
    _kind, target = check_target(purpose, target, field=target_field)
    problem = code_problem(code)
    if problem is not None:
        raise VerificationError(problem, field=field)
    code = code.strip()
    maximum = _setting("MAX_ATTEMPTS")
    wrong: VerificationError | None = None

    with write_transaction():
        row = db.session.scalar(
            lock_rows(
                select(VerificationCode)
                .where(
                    VerificationCode.target == target,
                    VerificationCode.purpose == purpose,
                )
                .order_by(VerificationCode.id.desc())
                .limit(1)
            )
        )
        _check_usable(row, field)
        if hmac.compare_digest(row.code_hash, _code_hash(purpose, target, code)):
            logger.info("verification code %s accepted", row.id)
            return row.id
        row.attempts += 1
        row_id, attempts = row.id, row.attempts
        left = maximum - attempts
        if left > 0:
            wrong = VerificationError(
                _l("The verification code is wrong. %(left)d tries left.", left=left),
                field=field,
            )
        else:
            wrong = VerificationError(
                _l(
                    "The verification code is wrong and can no longer be used. Request a new one."
                ),
                field=field,
            )
        # committed on leaving the block: the wrong try counts even though the action fails
    logger.info("verification code %s: wrong try %s", row_id, attempts)
    raise wrong


def _check_usable(row: VerificationCode | None, field: str) -> None:
    if row is None:
        raise VerificationError(_l("Request a verification code first."), field=field)
    if row.used_at is not None:
        raise VerificationError(
            _l("This verification code was already used. Request a new one."),
            field=field,
        )
    if row.attempts >= _setting("MAX_ATTEMPTS"):
        raise VerificationError(
            _l(
                "Too many wrong tries: this code can no longer be used. Request a new one."
            ),
            field=field,
        )
    if row.expires_at <= _now():
        raise VerificationError(
            _l(
                "The verification code has expired (codes are valid for %(minutes)d minutes). Request a new one.",
                minutes=_setting("CODE_MINUTES"),
            ),
            field=field,
        )


def consume_code(code_id: int, *, field: str = "code") -> None:
    """Mark a verified code used, in the caller's write transaction (once only)."""
    row = db.session.scalar(
        lock_rows(select(VerificationCode).where(VerificationCode.id == code_id))
    )
    _check_usable(row, field)
    row.used_at = _now()
