"""Account pages outside Flask-AppBuilder: the one-time link a new channel contact
receives to set a password, and 修改密码 for a logged-in backend user (FAB's own
reset-my-password page asks for no current password and is not granted)."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_babel import gettext as _

from app.errors import DomainError
from app.services import accounts
from forms.account_setup import ChangePasswordForm, SetPasswordForm
from views.admin.base import attach_error

blueprint = Blueprint("account_setup", __name__)


@blueprint.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    valid = accounts.find_password_token(token) is not None
    form = SetPasswordForm()
    if valid and form.validate_on_submit():
        try:
            accounts.set_password_with_token(token, form.password.data or "", form.confirm.data or "")
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Your password is set. Log in with your mobile number and the new password."), "success")
            return redirect(url_for("AuthDBView.login"))
    return render_template(
        "account_setup/set_password.html", form=form, valid=valid,
        base_template=current_app.appbuilder.base_template, appbuilder=current_app.appbuilder,
    )


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current.data or "", form.password.data or "", form.confirm.data or ""
            )
        except DomainError as error:
            attach_error(form, error)
        else:
            flash(_("Your password was changed."), "success")
            return redirect(current_app.appbuilder.get_url_for_index)
    return render_template(
        "account_setup/change_password.html", form=form,
        base_template=current_app.appbuilder.base_template, appbuilder=current_app.appbuilder,
    )
