"""Forms of the account pages outside Flask-AppBuilder: the one-time set-password link
and 修改密码."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"), render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"), render_kw={"autocomplete": "new-password"})
