"""Form of the one-time set-password page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the password"), render_kw={"autocomplete": "new-password"})
