"""Accounts, identities, channel contacts (设置联系人) and one-time password links."""

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.db import write_transaction
from app.errors import AccountError
from app.extensions import db
from app.models import Account, Channel, Identity, IdentityKind, PasswordToken, Society
from app.models.base import utcnow
from app.services import outbox
from app.services.audit import record_change
from app.validation import check_mobile, email_problem, mask_mobile, normalize_text

logger = logging.getLogger(__name__)

PERSON_NAME_MAX = 25
PASSWORD_MIN = 8


def hash_password(password: str) -> str:
    method = current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def check_password_rule(password: str) -> None:
    if len(password) < PASSWORD_MIN or password.strip() != password:
        raise AccountError(
            _l("A password has at least %(minimum)d characters and no surrounding spaces.", minimum=PASSWORD_MIN),
            field="password",
        )


def find_account(*, mobile: str | None = None, email: str | None = None) -> Account | None:
    """The account with this mobile number or e-mail address (e-mail case-insensitive)."""
    if mobile:
        account = db.session.scalar(select(Account).where(Account.mobile == mobile))
        if account is not None:
            return account
    if email:
        return db.session.scalar(select(Account).where(func.lower(Account.email) == email.lower()))
    return None


def create_account(
    *, name: str, mobile: str | None = None, email: str | None = None, password: str | None = None
) -> Account:
    """Create an account in the current transaction; username is the mobile or e-mail."""
    name = normalize_text(name)
    if not name or len(name) > PERSON_NAME_MAX:
        raise AccountError(_l("Enter a name of 1 to %(maximum)d characters.", maximum=PERSON_NAME_MAX), field="name")
    if mobile:
        check_mobile(mobile)
    if email:
        problem = email_problem(email)
        if problem:
            raise AccountError(problem, field="email")
    if not mobile and not email:
        raise AccountError(_l("Enter a mobile number or an e-mail address."), field="mobile")
    if find_account(mobile=mobile) is not None and mobile:
        raise AccountError(_l("An account with this mobile number already exists."), field="mobile")
    if email and find_account(email=email) is not None:
        raise AccountError(_l("An account with this e-mail address already exists."), field="email")
    if password is not None:
        check_password_rule(password)

    account = Account(
        first_name=name,
        last_name="",
        username=mobile or email.lower(),
        email=email.lower() if email else None,
        mobile=mobile or None,
        active=True,
        password=hash_password(password) if password else None,
        created_on=utcnow(),
        changed_on=utcnow(),
    )
    db.session.add(account)
    db.session.flush()
    logger.info("account %s created", account.id)
    return account


def add_identity(
    account: Account,
    kind: IdentityKind,
    *,
    society: Society | None = None,
    channel: Channel | None = None,
) -> Identity:
    """Give an account an identity (or re-activate the same one) in the current transaction."""
    kind = IdentityKind(kind)
    if kind == IdentityKind.ENTERPRISE_CONTACT:
        if channel is None or channel.level == 0:
            raise AccountError(_l("An enterprise contact needs an enterprise channel."))
        society = None
    elif kind in (IdentityKind.SOCIETY_ADMIN, IdentityKind.SOCIETY_CONTACT):
        if society is None:
            raise AccountError(_l("A society identity needs a society."))
        channel = None
    else:
        society = channel = None
    query = select(Identity).where(Identity.account_id == account.id, Identity.kind == kind.value)
    query = query.where(Identity.society_id == society.id if society else Identity.society_id.is_(None))
    query = query.where(Identity.channel_id == channel.id if channel else Identity.channel_id.is_(None))
    existing = db.session.scalar(query)
    if existing is not None:
        existing.active = True
        return existing
    identity = Identity(
        account_id=account.id,
        kind=kind.value,
        society_id=society.id if society else None,
        channel_id=channel.id if channel else None,
        active=True,
    )
    db.session.add(identity)
    db.session.flush()
    return identity


def channel_contacts(channel_ids: list[int]) -> dict[int, list[Account]]:
    """Active contact accounts of each channel."""
    if not channel_ids:
        return {}
    rows = db.session.execute(
        select(Identity.channel_id, Account)
        .join(Account, Account.id == Identity.account_id)
        .where(
            Identity.channel_id.in_(channel_ids),
            Identity.kind == IdentityKind.ENTERPRISE_CONTACT.value,
            Identity.active.is_(True),
        )
        .order_by(Identity.id)
    )
    result: dict[int, list[Account]] = {}
    for channel_id, account in rows:
        result.setdefault(channel_id, []).append(account)
    return result


def set_channel_contact(
    channel: Channel, *, name: str, mobile: str, email: str | None, actor: Identity | None
) -> tuple[Account, bool]:
    """Make an account the contact of an enterprise channel (设置联系人).

    An account found by mobile or e-mail is attached; otherwise one is created and a
    one-time link to set its password is sent through the outbox. Returns the account
    and whether it was created.
    """
    check_mobile(mobile)
    email = normalize_text(email) or None
    if email:
        problem = email_problem(email)
        if problem:
            raise AccountError(problem, field="email")
    if channel.level == 0:
        raise AccountError(_l("Contacts are set on enterprise channels."))

    with write_transaction():
        channel = db.session.get(Channel, channel.id)
        by_mobile = find_account(mobile=mobile)
        by_email = find_account(email=email) if email else None
        if by_mobile is not None and by_email is not None and by_mobile.id != by_email.id:
            raise AccountError(
                _l("This mobile number and this e-mail address belong to two different accounts."),
                field="email",
            )
        account = by_mobile or by_email
        created = account is None
        if created:
            account = create_account(name=name, mobile=mobile, email=email)
        identity = add_identity(account, IdentityKind.ENTERPRISE_CONTACT, channel=channel)
        record_change(
            "channel.contact",
            channel,
            actor=actor,
            after={"account_id": account.id, "identity_id": identity.id, "created": created, "mobile": mask_mobile(mobile)},
        )
        if created:
            token = issue_password_token(account)
            link = url_for("account_setup.set_password", token=token, _external=True)
            outbox.queue_sms(
                mobile,
                _(
                    "[Engineering capability assessment] You are now the contact of %(enterprise)s. "
                    "Set your password within %(hours)d hours: %(link)s",
                    enterprise=channel.name,
                    hours=current_app.config["PASSWORD_TOKEN_HOURS"],
                    link=link,
                ),
            )
        else:
            outbox.queue_sms(
                mobile,
                _(
                    "[Engineering capability assessment] You are now the contact of %(enterprise)s. "
                    "Log in with your existing account and choose this identity.",
                    enterprise=channel.name,
                ),
            )
    logger.info("channel %s contact account %s (created %s) by identity %s", channel.id, account.id, created, actor.id if actor else "cli")
    return account, created


def remove_channel_contact(channel: Channel, account_id: int, *, actor: Identity | None) -> None:
    """End an account's contact identity for a channel."""
    with write_transaction():
        identity = db.session.scalar(
            select(Identity).where(
                Identity.channel_id == channel.id,
                Identity.account_id == account_id,
                Identity.kind == IdentityKind.ENTERPRISE_CONTACT.value,
                Identity.active.is_(True),
            )
        )
        if identity is None:
            raise AccountError(_l("This account is not a contact of the channel."))
        identity.active = False
        record_change("channel.contact_removed", channel, actor=actor, before={"account_id": account_id, "identity_id": identity.id})


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_token(account: Account) -> str:
    """A one-time token to set the password (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config.get("PASSWORD_TOKEN_HOURS", 72)
    db.session.add(
        PasswordToken(
            account_id=account.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + dt.timedelta(hours=hours),
        )
    )
    return token


def find_password_token(token: str) -> PasswordToken | None:
    """The unused, unexpired token row, or None."""
    row = db.session.scalar(select(PasswordToken).where(PasswordToken.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    return row


def set_password_with_token(token: str, password: str, confirm: str) -> Account:
    """Set a password through a one-time link; the link works once."""
    check_password_rule(password)
    if password != confirm:
        raise AccountError(_l("The two passwords differ."), field="confirm")
    with write_transaction():
        row = find_password_token(token)
        if row is None:
            raise AccountError(_l("This link has expired or was already used. Ask your channel for a new one."))
        row.used_at = utcnow()
        account = row.account
        account.password = hash_password(password)
        account.changed_on = utcnow()
    logger.info("account %s set its password by one-time link", account.id)
    return account


def change_password(account: Account, current: str, password: str, confirm: str) -> None:
    """修改密码 by a logged-in person: the current password first, then the rule and
    the repeat; each refusal at its field, nothing changed."""
    if not account.password or not check_password_hash(account.password, current or ""):
        raise AccountError(_l("The current password is not right."), field="current")
    check_new_password(password, confirm)
    if password == current:
        raise AccountError(_l("Choose a password different from the current one."), field="password")
    with write_transaction():
        account = db.session.get(Account, account.id)
        account.password = hash_password(password)
        account.changed_on = utcnow()
    logger.info("account %s changed its password", account.id)


def set_password(account: Account, password: str) -> None:
    """Set a password directly (operators' command line)."""
    check_password_rule(password)
    account.password = hash_password(password)
    account.changed_on = utcnow()


# --- the applicant site: register, log in, reset the password ---------------------------

_dummy_hashes: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash compared against when the login name matches no account, so that an
    unknown name takes as long as a wrong password."""
    method = current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[method]


def check_repeat(password: str | None, confirm: str | None) -> None:
    """The repeated password equal to the first."""
    if (password or "") != (confirm or ""):
        raise AccountError(_l("The two passwords differ."), field="confirm")


def check_new_password(password: str | None, confirm: str | None) -> None:
    """The password rule, and the repeat equal to it."""
    check_password_rule(password or "")
    check_repeat(password, confirm)


def check_agreement(agreed: bool) -> None:
    """The user agreement and the privacy policy must be accepted (SPEC §6)."""
    if not agreed:
        raise AccountError(
            _l("Read and accept the user agreement and the privacy policy first."), field="agree"
        )


def register_account(email: str, code: str, password: str, confirm: str, *, agreed: bool) -> Account:
    """Create an applicant account from an e-mail address proven by its code (立即注册).

    Everything is checked before the code is; the account and the used code are written
    in one transaction, so a refusal leaves nothing behind but a counted wrong try.
    """
    from app.services import verification

    problem = email_problem(email)
    if problem is not None:
        raise AccountError(problem, field="email")
    check_new_password(password, confirm)
    check_agreement(agreed)
    code_id = verification.verify_code("register", email, code, target_field="email")

    try:
        with write_transaction():
            verification.consume_code(code_id)
            name = email.split("@", 1)[0][:PERSON_NAME_MAX]
            account = create_account(name=name, email=email, password=password)
            account.terms_accepted_at = utcnow()
    except IntegrityError:
        # the same address registered by a concurrent request
        raise AccountError(_l("An account with this e-mail address already exists."), field="email") from None
    logger.info("account %s registered on the applicant site", account.id)
    return account


def find_login(login: str) -> Account | None:
    """The account a login name denotes: e-mail address, mobile number or user name."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return find_account(email=login)
    account = find_account(mobile=login) if login.isascii() and login.isdigit() else None
    if account is None:
        account = db.session.scalar(select(Account).where(func.lower(Account.username) == login.lower()))
    return account


def login_with_password(login: str, password: str, *, agreed: bool) -> Account:
    """The account when the password is right; wrong passwords are counted per account.

    After LOGIN_MAX_FAILURES wrong passwords in a row, password login pauses for that
    account until it logs in with an SMS code or resets its password by code (both
    clear the count): never a permanent lock, and no guessing past the limit.
    """
    if not (login or "").strip():
        raise AccountError(_l("Enter your e-mail address or mobile number."), field="login")
    if not password:
        raise AccountError(_l("Enter your password."), field="password")
    check_agreement(agreed)
    account = find_login(login)
    wrong = AccountError(_l("The account or the password is wrong."), field="password")
    if account is None or not account.active or not account.password:
        check_password_hash(_dummy_hash(), password)
        raise wrong
    if (account.fail_login_count or 0) >= current_app.config["LOGIN_MAX_FAILURES"]:
        raise AccountError(
            _l(
                "Too many wrong passwords for this account. Log in with an SMS code, or reset "
                "the password with a verification code."
            ),
            field="password",
        )
    if not check_password_hash(account.password, password):
        with write_transaction():
            db.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(fail_login_count=func.coalesce(Account.fail_login_count, 0) + 1)
            )
        logger.info("account %s: wrong password", account.id)
        raise wrong

    with write_transaction():
        _record_login(account)
    return account


def login_with_code(mobile: str, code: str, *, agreed: bool) -> Account:
    """The account of a mobile number proven by its SMS code (短信验证码登录)."""
    from app.services import verification

    check_mobile(mobile, field="mobile")
    check_agreement(agreed)
    code_id = verification.verify_code("login", mobile, code, target_field="mobile")

    with write_transaction():
        account = find_account(mobile=mobile)
        if account is None or not account.active:
            raise AccountError(_l("No account uses this mobile number."), field="mobile")
        verification.consume_code(code_id)
        _record_login(account)
    return account


def reset_password_with_code(target: str, code: str, password: str, confirm: str) -> Account:
    """Set a new password after a code to the account's e-mail address or mobile (忘记密码)."""
    from app.services import verification

    kind, stored = verification.check_target("reset", target, field="target")
    check_new_password(password, confirm)
    code_id = verification.verify_code("reset", target, code)

    with write_transaction():
        account = find_account(**{kind: stored})
        if account is None or not account.active:
            raise AccountError(_l("No account uses this e-mail address or mobile number."), field="target")
        verification.consume_code(code_id)
        account.password = hash_password(password)
        account.fail_login_count = 0
        account.changed_on = utcnow()
    logger.info("account %s reset its password by code", account.id)
    return account


def _record_login(account: Account) -> None:
    """Login statistics of a successful login (caller's write transaction)."""
    account.fail_login_count = 0
    account.login_count = (account.login_count or 0) + 1
    account.last_login = utcnow()
    if account.terms_accepted_at is None:
        account.terms_accepted_at = utcnow()
    logger.info("account %s logged in on the applicant site", account.id)
