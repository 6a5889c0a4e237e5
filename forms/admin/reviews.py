"""Forms of 学会审核: a decision (one application or a selection) and a reason text."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField

from app.models.reviews import REVIEW_REASON_MAX


class DecisionForm(FlaskForm):
    """通过 / 退回修改 / 不通过: the buttons carry the action; the rules are in
    app/services/reviews.py. A 常用理由 chosen from the list fills an empty reason."""

    reason_id = SelectField(_l("Common reasons"), choices=[], validate_choice=False)
    reason = TextAreaField(
        _l("Reason"), render_kw={"maxlength": REVIEW_REASON_MAX, "rows": 3}
    )

    def offer(self, reasons) -> "DecisionForm":
        """Offer the society's reason texts in the list."""
        self.reason_id.choices = [("", _l("Choose a common reason"))] + [
            (str(row.id), row.text) for row in reasons
        ]
        return self


class ReasonForm(FlaskForm):
    """新增 / 编辑 a reason text of the society."""

    text = TextAreaField(
        _l("Reason text"), render_kw={"maxlength": REVIEW_REASON_MAX, "rows": 3}
    )
