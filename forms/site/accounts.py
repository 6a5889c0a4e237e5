"""Forms of the applicant site's account pages: login (two tabs), register, forgotten
password. Each field check calls the shared rule in app/, so that the form shows every
problem at once and the service, which checks again, cannot disagree."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import ValidationError

from app.errors import DomainError
from app.services import accounts, verification
from app.validation import email_problem, mobile_problem


def _rule(check):
    """A WTForms validator from a shared rule that raises a DomainError."""

    def validator(form, field):
        try:
            check("" if field.data is None else field.data)
        except DomainError as error:
            raise ValidationError(str(error.message)) from None

    return validator


def _problem(find):
    """A WTForms validator from a shared rule that returns a message or None."""

    def validator(form, field):
        problem = find(field.data)
        if problem is not None:
            raise ValidationError(str(problem))

    return validator


def _required(message):
    def validator(form, field):
        if not (field.data or "").strip():
            raise ValidationError(str(message))

    return validator


def _same_as_password(form, field):
    try:
        accounts.check_repeat(form.password.data, field.data)
    except DomainError as error:
        raise ValidationError(str(error.message)) from None


def _login_target(value):
    """A reset code goes to an e-mail address or a mobile number."""
    verification.check_target("reset", value)


_CODE_KW = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
_NEW_PASSWORD_KW = {"autocomplete": "new-password"}
_agree = _rule(accounts.check_agreement)


class PasswordLoginForm(FlaskForm):
    """账号密码登录: an e-mail address or mobile number, and the password."""

    login = StringField(
        _l("Account"),
        validators=[_required(_l("Enter your e-mail address or mobile number."))],
        render_kw={
            "autocomplete": "username",
            "placeholder": _l("E-mail address or mobile number"),
        },
    )
    password = PasswordField(
        _l("Password"),
        validators=[_required(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    agree = BooleanField(validators=[_agree])


class CodeLoginForm(FlaskForm):
    """短信验证码登录: the mobile number and the code sent to it."""

    mobile = StringField(
        _l("Mobile number"),
        validators=[_problem(mobile_problem)],
        render_kw={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"},
    )
    code = StringField(
        _l("Verification code"),
        validators=[_problem(verification.code_problem)],
        render_kw=_CODE_KW,
    )
    agree = BooleanField(validators=[_agree])


class RegisterForm(FlaskForm):
    """立即注册: e-mail address, its code, the password twice, the agreement."""

    email = StringField(
        _l("E-mail address"),
        validators=[_problem(email_problem)],
        render_kw={"type": "email", "autocomplete": "email", "maxlength": 320},
    )
    code = StringField(
        _l("Verification code"),
        validators=[_problem(verification.code_problem)],
        render_kw=_CODE_KW,
    )
    password = PasswordField(
        _l("Password"),
        validators=[_rule(accounts.check_password_rule)],
        render_kw=_NEW_PASSWORD_KW,
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[_same_as_password],
        render_kw=_NEW_PASSWORD_KW,
    )
    agree = BooleanField(validators=[_agree])


class ForgotPasswordForm(FlaskForm):
    """忘记密码: the account's e-mail address or mobile number, its code, a new password."""

    target = StringField(
        _l("E-mail address or mobile number"),
        validators=[_rule(_login_target)],
        render_kw={"autocomplete": "username"},
    )
    code = StringField(
        _l("Verification code"),
        validators=[_problem(verification.code_problem)],
        render_kw=_CODE_KW,
    )
    password = PasswordField(
        _l("New password"),
        validators=[_rule(accounts.check_password_rule)],
        render_kw=_NEW_PASSWORD_KW,
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[_same_as_password],
        render_kw=_NEW_PASSWORD_KW,
    )


class LogoutForm(FlaskForm):
    """退出登录 (carries the CSRF token)."""
