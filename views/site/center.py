"""个人中心 (the applicant's application, its state and history) and 消息中心."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.db import write_transaction
from app.errors import DomainError
from app.extensions import db
from app.models import ProspectiveApplication
from app.services import applications, messages
from forms.admin.channels import ConfirmForm
from views.site import applicant_required, blueprint


@blueprint.route("/center")
@applicant_required
def center():
    rows = db.session.scalars(
        select(ProspectiveApplication)
        .where(ProspectiveApplication.applicant_id == current_user.id)
        .order_by(ProspectiveApplication.id.desc())
    ).all()
    return render_template(
        "site/center.html",
        rows=rows,
        histories={row.id: applications.history(row) for row in rows},
        form=ConfirmForm(),
        allows=applications.allows,
    )


@blueprint.route("/center/<int:application_id>/withdraw", methods=["POST"])
@applicant_required
def withdraw(application_id: int):
    application = db.session.get(ProspectiveApplication, application_id)
    if application is None or application.applicant_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        applications.transition(application, "withdraw", actor_id=current_user.id)
    except DomainError as error:
        flash(str(error.message), "danger")
    else:
        flash(_("Your application was withdrawn; its referral code can be used again."), "success")
    return redirect(url_for("site.center"))


@blueprint.route("/messages")
@applicant_required
def messages_page():
    rows = messages.list_messages(current_user.id)
    unread_ids = {row.id for row in rows if row.read_at is None}
    if unread_ids:
        with write_transaction():
            messages.mark_all_read(current_user.id)
    return render_template("site/messages.html", rows=rows, unread_ids=unread_ids, unread_messages=0)
