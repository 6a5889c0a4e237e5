"""Forms of 注册工程会员申请审核 and 评价结果导入: a decision (one application or a
selection), the upload of a results workbook and the confirmation of its dry run. The
rules are in app/services/members.py and app/services/member_imports.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, TextAreaField

from app.models.members import REASON_MAX


class MemberDecisionForm(FlaskForm):
    """受理 / 退回 / 通过评价 / 未通过 / 注册: the buttons carry the action; the reason is
    required to return an application."""

    reason = TextAreaField(
        _l("Reason for returning"), render_kw={"maxlength": REASON_MAX, "rows": 3}
    )


class ResultsUploadForm(FlaskForm):
    """The workbook of results (.xlsx) to check in a dry run."""

    file = FileField(_l("Results workbook (.xlsx)"), render_kw={"accept": ".xlsx"})


class ResultsConfirmForm(FlaskForm):
    """确认导入 of one dry run, named by its plan key."""

    plan = HiddenField()
