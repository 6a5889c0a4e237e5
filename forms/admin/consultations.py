"""Forms of the consultation page (咨询指导): one per step; the rules are in
app/services/consultations.py, so the fields carry no validators of their own.

Every form carries the consultation's ``version`` as the page showed it: a step sent
from a page that another tab has overtaken is refused instead of overwriting it.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.models.consultations import (
    CONSULTATION_METHOD_TITLES,
    EXPERT_CONTACT_MAX,
    EXPERT_NAME_MAX,
    MEETING_MAX,
)


class StepForm(FlaskForm):
    """The CSRF token and the version the page was rendered with."""

    version = HiddenField()


class AssignForm(StepForm):
    """指派专家."""

    expert_name = StringField(
        _l("Expert name"),
        render_kw={"maxlength": EXPERT_NAME_MAX, "autocomplete": "off"},
    )
    expert_contact = StringField(
        _l("Expert contact (phone or e-mail)"),
        render_kw={"maxlength": EXPERT_CONTACT_MAX, "autocomplete": "off"},
    )


class ScheduleForm(StepForm):
    """安排咨询: method, time (Asia/Shanghai) and, for an online meeting, its address."""

    method = RadioField(
        _l("Consultation method"),
        choices=[
            SelectChoice(method.value, title)
            for method, title in CONSULTATION_METHOD_TITLES.items()
        ],
        validate_choice=False,
    )
    scheduled_at = StringField(
        _l("Time (Beijing time)"), render_kw={"type": "datetime-local"}
    )
    meeting = StringField(
        _l("Meeting address or number (online meeting)"),
        render_kw={"maxlength": MEETING_MAX, "autocomplete": "off"},
    )


class HoldForm(StepForm):
    """记录咨询结果."""

    notes = TextAreaField(_l("Notes of the consultation"), render_kw={"rows": 4})


class CancelForm(StepForm):
    """取消咨询."""

    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})
