"""Applicant accounts: register, log in by password or SMS code, forgotten password.

Every page works without JavaScript: the 获取验证码 button submits its form, which asks
for the code and comes back filled in. With JavaScript the button posts to
``site.verification_code`` instead and counts down until a new code may be asked for.
A form whose CSRF token expired comes back filled in with a request to submit again.
"""

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from app.errors import DomainError
from app.identities import clear_identity
from app.services import accounts, verification
from app.validation import mask_mobile
from forms.site.accounts import (
    CodeLoginForm,
    ForgotPasswordForm,
    PasswordLoginForm,
    RegisterForm,
)
from views.site import blueprint, safe_next

logger = logging.getLogger(__name__)

LOGIN_MODES = ("password", "code")
# The form field a code request of each purpose belongs to.
CODE_FIELDS = {"register": "email", "login": "mobile", "reset": "target"}


def _formdata(active: bool = True):
    """The posted data for the form that was submitted; other forms start empty."""
    return request.form if active and request.method == "POST" else None


def _attach(form, error: DomainError) -> None:
    """A refusal at its field, or above the form when it concerns no field."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "danger")


def _sent_notice(purpose: str, target: str) -> str:
    shown = target if "@" in target else mask_mobile(target)
    return _(
        "A verification code was sent to %(target)s. You can ask for another one in %(seconds)d seconds.",
        target=shown,
        seconds=current_app.config["VERIFICATION_RESEND_SECONDS"],
    )


def _send_code(form, purpose: str) -> str | None:
    """Ask for a code from a submitted form (the page without JavaScript)."""
    field = getattr(form, CODE_FIELDS[purpose])
    try:
        verification.request_code(
            purpose, field.data, request.remote_addr, field=field.name
        )
    except DomainError as error:
        _attach(form, error)
        return None
    return _sent_notice(purpose, field.data)


def _log_in(account, next_url: str | None):
    login_user(account)
    # the backend asks for an identity again: the site acts as the account itself
    clear_identity()
    return redirect(safe_next(next_url))


# --- pages ------------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    return _login_page(handle=True)


def _login_page(*, handle: bool):
    next_url = request.args.get("next")
    mode = (
        request.form.get("mode")
        if request.method == "POST"
        else request.args.get("tab")
    )
    if mode not in LOGIN_MODES:
        mode = "password"
    form = (
        PasswordLoginForm(formdata=_formdata())
        if mode == "password"
        else CodeLoginForm(formdata=_formdata())
    )
    notice = None

    if handle and request.method == "POST":
        if mode == "code" and "send_code" in request.form:
            notice = _send_code(form, "login")
        elif form.validate():
            try:
                if mode == "password":
                    account = accounts.login_with_password(
                        form.login.data, form.password.data, agreed=form.agree.data
                    )
                else:
                    account = accounts.login_with_code(
                        form.mobile.data, form.code.data, agreed=form.agree.data
                    )
            except DomainError as error:
                _attach(form, error)
            else:
                return _log_in(account, next_url)

    return render_template(
        "site/accounts/login.html",
        form=form,
        mode=mode,
        notice=notice,
        next_url=next_url,
    )


@blueprint.route("/register", methods=["GET", "POST"])
def register():
    return _register_page(handle=True)


def _register_page(*, handle: bool):
    next_url = request.args.get("next")
    form = RegisterForm(formdata=_formdata())
    notice = None

    if handle and request.method == "POST":
        if "send_code" in request.form:
            notice = _send_code(form, "register")
        elif form.validate():
            try:
                account = accounts.register_account(
                    form.email.data,
                    form.code.data,
                    form.password.data,
                    form.confirm.data,
                    agreed=form.agree.data,
                )
            except DomainError as error:
                _attach(form, error)
            else:
                flash(_("Your account was created and you are logged in."), "success")
                return _log_in(account, next_url)

    return render_template(
        "site/accounts/register.html", form=form, notice=notice, next_url=next_url
    )


@blueprint.route("/forgot", methods=["GET", "POST"])
def forgot():
    return _forgot_page(handle=True)


def _forgot_page(*, handle: bool):
    form = ForgotPasswordForm(formdata=_formdata())
    notice = None

    if handle and request.method == "POST":
        if "send_code" in request.form:
            notice = _send_code(form, "reset")
        elif form.validate():
            try:
                accounts.reset_password_with_code(
                    form.target.data,
                    form.code.data,
                    form.password.data,
                    form.confirm.data,
                )
            except DomainError as error:
                _attach(form, error)
            else:
                flash(
                    _("Your password was changed. Log in with the new password."),
                    "success",
                )
                return redirect(url_for("site.login"))

    return render_template("site/accounts/forgot.html", form=form, notice=notice)


@blueprint.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        logger.info("account %s logged out on the applicant site", current_user.id)
        logout_user()
        clear_identity()
        flash(_("You have logged out."), "success")
    return redirect(url_for("site.home"))


@blueprint.route("/verification-code", methods=["POST"])
def verification_code():
    """获取验证码 from the page's script: JSON with the message for the field."""
    purpose = request.form.get("purpose", "")
    field = CODE_FIELDS.get(purpose)
    if field is None:
        return jsonify(
            ok=False,
            field=None,
            message=_("This request is not understood."),
            retry_after=0,
        ), 400
    target = request.form.get("target", "")

    try:
        verification.request_code(purpose, target, request.remote_addr, field=field)
    except DomainError as error:
        retry_after = getattr(error, "retry_after", 0)
        body = {
            "ok": False,
            "field": error.field,
            "message": str(error.message),
            "retry_after": retry_after,
        }
        return jsonify(body), 429 if retry_after else 400

    seconds = current_app.config["VERIFICATION_RESEND_SECONDS"]
    return jsonify(
        ok=True, field=field, message=_sent_notice(purpose, target), retry_after=seconds
    )


# --- an expired form --------------------------------------------------------------

# Pages that show their form again, as typed, when its CSRF token expired.
_RERENDER: dict[str, Callable] = {
    "site.login": lambda: _login_page(handle=False),
    "site.register": lambda: _register_page(handle=False),
    "site.forgot": lambda: _forgot_page(handle=False),
}


def rerender_after_csrf_error(endpoint: str):
    """Register a page of the site to be shown again, filled in as posted, when its form
    expired; the function renders the page without acting on the form."""

    def decorator(render: Callable) -> Callable:
        _RERENDER[endpoint] = render
        return render

    return decorator


@blueprint.errorhandler(CSRFError)
def _form_expired(error):
    message = _("The form had expired. Please submit it again.")
    if request.endpoint == "site.verification_code":
        return jsonify(ok=False, field=None, message=message, retry_after=0), 400
    flash(message, "warning")
    render = _RERENDER.get(request.endpoint)
    if render is not None:
        return render(), 400
    return redirect(safe_next(_local_referrer())), 303


def _local_referrer() -> str | None:
    """The referring page when it is a page of this host."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
