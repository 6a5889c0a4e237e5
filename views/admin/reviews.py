"""学会审核: 拟参加工程能力评价申请审核 (the queue, one application, decisions one by one
and in bulk) and 常用理由 (the society's reason texts). Rules: app/services/reviews.py."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.errors import DomainError
from app.models import ProspectiveState
from app.places import country_name
from app.services import applications, queue_filters, reviews
from forms.admin.channels import ConfirmForm
from forms.admin.reviews import DecisionForm, ReasonForm
from views.admin.base import active_identity, attach_error, flash_handled, page_args


def _reviewer():
    identity = active_identity()
    if not reviews.can_view_queue(identity):
        abort(403)
    return identity


def _refuse(error: reviews.ReviewError) -> None:
    """A refusal that is not a message: another society's row, or a look-only identity."""
    if isinstance(error, reviews.NotInQueue):
        abort(404)
    if isinstance(error, reviews.DecisionForbidden):
        abort(403)


def _list_args() -> dict:
    """The queue's filters of this request, to come back to the same list."""
    return {
        key: value
        for key, value in request.args.items()
        if key in reviews.OFFERED_FILTERS
    }


class ReviewView(BaseView):
    """拟参加工程能力评价申请审核: the queue of the super-admin's society (the platform
    admin reads every society's, without the decision buttons)."""

    route_base = "/review"
    default_view = "list"

    def _queue(self, identity, form: DecisionForm, selected: set[int] | None = None):
        filters = reviews.read_filters(request.args, identity)
        page, per_page = page_args(request)
        result = reviews.queue_page(identity, filters, page, per_page)
        return self.render_template(
            "admin/reviews/queue.html",
            identity=identity,
            filters=filters,
            rows=result.rows,
            total=result.total,
            page=page,
            per_page=per_page,
            states=reviews.QUEUE_STATES,
            fields=reviews.field_options(identity),
            societies=reviews.society_options(identity),
            levels=applications.MEMBER_LEVEL_TITLES,
            routes=reviews.ROUTE_TITLES,
            can_decide=reviews.can_decide(identity),
            overdue_days=reviews.overdue_days(),
            form=form,
            selected=selected or set(),
            list_args=_list_args(),
        )

    @expose("/")
    @has_access
    def list(self):
        identity = _reviewer()
        return self._queue(identity, DecisionForm().offer(reviews.reasons(identity)))

    @expose("/bulk", methods=["POST"])
    @has_access
    def bulk(self):
        """批量通过 / 批量退回修改 of the selected rows, each checked on its own."""
        identity = _reviewer()
        form = DecisionForm().offer(reviews.reasons(identity))
        if not form.validate_on_submit():
            abort(400)
        ids = request.form.getlist("rowid")
        action = request.form.get("action", "")
        if action not in reviews.BULK_DECISIONS:
            abort(400)
        try:
            reason = reviews.chosen_reason(
                identity, form.reason.data, form.reason_id.data
            )
            lines = reviews.decide_many(identity, ids, action, reason)
        except reviews.ReviewError as error:
            _refuse(error)
            attach_error(form, error)
            selected = {queue_filters.read_id(pk) for pk in ids} - {None}
            return self._queue(identity, form, selected)
        flash_handled([line.done for line in lines])
        return self.render_template(
            "admin/reviews/bulk_result.html",
            lines=lines,
            action_title=reviews.DECISION_TITLES[action],
            list_args=_list_args(),
        )

    def _page(self, identity, application, form: DecisionForm):
        awaiting = applications.allows(application, "approve")
        return self.render_template(
            "admin/reviews/show.html",
            identity=identity,
            application=application,
            lines=[(line.event, line.who) for line in reviews.history(application)],
            can_decide=reviews.is_decidable(identity, application),
            decided=None if awaiting else reviews.decided_message(application),
            waiting_days=reviews.waiting_days(application),
            overdue=reviews.is_overdue(application),
            overdue_days=reviews.overdue_days(),
            permission=applications.member_permission(application.applicant_id)
            if application.state == ProspectiveState.APPROVED
            else None,
            form=form,
            country_name=country_name,
            routes=reviews.ROUTE_TITLES,
            list_args=_list_args(),
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        identity = _reviewer()
        try:
            application = reviews.application_for(identity, pk)
        except reviews.ReviewError as error:
            _refuse(error)
            raise
        return self._page(
            identity, application, DecisionForm().offer(reviews.reasons(identity))
        )

    @expose("/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide(self, pk: int):
        """通过 / 退回修改 / 不通过 (the button pressed)."""
        identity = _reviewer()
        form = DecisionForm().offer(reviews.reasons(identity))
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action", "")
        if action not in reviews.DECISIONS:
            abort(400)
        try:
            application = reviews.application_for(identity, pk)
            reason = reviews.chosen_reason(
                identity, form.reason.data, form.reason_id.data
            )
            reviews.decide(identity, pk, action, reason)
        except reviews.ReviewError as error:
            _refuse(error)
            if error.field:
                attach_error(form, error)
                flash(
                    _("The decision was not taken: see the message at the field."),
                    "danger",
                )
                return self._page(identity, application, form)
            flash(str(error.message), "danger")
            return redirect(url_for("ReviewView.show", pk=pk, **_list_args()))
        except DomainError as error:
            # The reason field's own rules (required, length) from the state machine.
            attach_error(form, error)
            flash(
                _("The decision was not taken: see the message at the field."), "danger"
            )
            return self._page(identity, application, form)
        flash(
            _(
                "%(name)s: %(result)s",
                name=application.name,
                result=reviews.decision_done(action),
            ),
            "success",
        )
        return redirect(url_for("ReviewView.list", **_list_args()))


class ReviewReasonsView(BaseView):
    """常用理由: the reason texts the society keeps for 退回修改 and 不通过."""

    route_base = "/review-reasons"
    default_view = "list"

    def _identity(self):
        identity = active_identity()
        if not reviews.can_decide(identity):
            abort(403)
        return identity

    @expose("/")
    @has_access
    def list(self):
        identity = self._identity()
        return self.render_template(
            "admin/reviews/reasons.html",
            rows=reviews.reasons(identity),
            button_form=ConfirmForm(),
            limit=reviews.REASONS_MAX,
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        identity = self._identity()
        form = ReasonForm()
        if form.validate_on_submit():
            try:
                reviews.create_reason(identity, form.text.data)
            except reviews.ReviewError as error:
                _refuse(error)
                attach_error(form, error)
            else:
                flash(_("The reason text was added."), "success")
                return redirect(url_for("ReviewReasonsView.list"))
        return self.render_template(
            "admin/reviews/reason_form.html", form=form, row=None
        )

    @expose("/<int:pk>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, pk: int):
        identity = self._identity()
        try:
            row = reviews.reason_for(identity, pk)
        except reviews.ReviewError as error:
            _refuse(error)
            raise
        form = ReasonForm(obj=row) if request.method == "GET" else ReasonForm()
        if form.validate_on_submit():
            try:
                reviews.update_reason(identity, pk, form.text.data)
            except reviews.ReviewError as error:
                _refuse(error)
                attach_error(form, error)
            else:
                flash(_("The reason text was saved."), "success")
                return redirect(url_for("ReviewReasonsView.list"))
        return self.render_template(
            "admin/reviews/reason_form.html", form=form, row=row
        )

    @expose("/<int:pk>/delete", methods=["POST"])
    @has_access
    def delete(self, pk: int):
        identity = self._identity()
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            reviews.delete_reason(identity, pk)
        except reviews.ReviewError as error:
            _refuse(error)
            raise
        flash(_("The reason text was deleted."), "success")
        return redirect(url_for("ReviewReasonsView.list"))
