"""Forms of the channel settings pages (企业渠道设置 / 二级企业渠道设置)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField

from app.models.channels import CHANNEL_NAME_MAX


class ChannelForm(FlaskForm):
    """新增 / 编辑: the enterprise name and its number of codes; rules in app/services."""

    name = StringField(_l("Enterprise name"), render_kw={"maxlength": CHANNEL_NAME_MAX, "autocomplete": "off"})
    quota = StringField(
        _l("Number of referral codes allocated"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class ContactForm(FlaskForm):
    """设置联系人: attach an existing account or create one."""

    name = StringField(_l("Contact name"), render_kw={"maxlength": 25})
    # No maxlength: the server explains what is wrong with what was typed, uncut.
    mobile = StringField(_l("Mobile number"), render_kw={"inputmode": "numeric"})
    email = EmailField(_l("E-mail (optional)"), render_kw={"maxlength": 320})


class ConfirmForm(FlaskForm):
    """A bare form for POST buttons (carries the CSRF token)."""
