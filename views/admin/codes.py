"""The code lists opened from 被分配推荐码数量 / 已使用推荐码数量: 复制 and 分享."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.errors import DomainError
from app.extensions import db
from app.models import IdentityKind, ReferralCode
from app.services import channels, codes, exports
from forms.admin.codes import ShareForm
from views.admin.base import active_identity, attach_error, page_args
from views.admin.overviews import send_export


def _own_channel():
    identity = active_identity()
    if identity.kind != IdentityKind.ENTERPRISE_CONTACT or identity.channel is None:
        abort(403)
    return identity, identity.channel


class CodesView(BaseView):
    """The codes owned by the enterprise contact's own channel."""

    route_base = "/codes"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        _identity, channel = _own_channel()
        state = request.args.get("state", "")
        if state not in exports.CODE_STATES:
            abort(400)
        page, per_page = page_args(request, per_page=50)
        query = select(ReferralCode).where(*exports.code_list_conditions(channel.id, state))
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = db.session.scalars(
            query.options(joinedload(ReferralCode.application))
            .order_by(ReferralCode.state, ReferralCode.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return self.render_template(
            "admin/codes/list.html",
            channel=channel,
            figures=channels.figures(channel),
            rows=rows,
            state=state,
            total=total,
            page=page,
            per_page=per_page,
            share_form=ShareForm(),
        )

    @expose("/export", methods=["POST"])
    @has_access
    def export(self):
        """导出Excel of the list as shown: the posted state, the channel's own codes."""
        identity, channel = _own_channel()
        state = request.form.get("state", "")
        if state not in exports.CODE_STATES:
            abort(400)
        return send_export(exports.export_codes(identity, channel, state))

    @expose("/<int:code_id>/share", methods=["GET", "POST"])
    @has_access
    def share(self, code_id: int):
        identity, channel = _own_channel()
        code = db.session.scalar(
            select(ReferralCode).where(ReferralCode.id == code_id, ReferralCode.channel_id == channel.id)
        )
        if code is None:
            abort(404)
        form = ShareForm()
        if form.validate_on_submit():
            try:
                codes.share_code(code, form.mobile.data, actor=identity)
            except DomainError as error:
                attach_error(form, error)
            else:
                flash(_("Code %(code)s sent by SMS to %(mobile)s.", code=code.code, mobile=form.mobile.data), "success")
                return redirect(url_for("CodesView.list", state=request.args.get("state", "")))
        return self.render_template("admin/codes/share.html", code=code, form=form, channel=channel)
