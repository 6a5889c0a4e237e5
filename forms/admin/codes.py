"""Form of 分享 (share a referral code by SMS)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField


class ShareForm(FlaskForm):
    """The mainland mobile number to send the code to; the rule is in app/validation.py."""

    mobile = StringField(_l("Mobile number"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
