"""咨询指导: the society super-admin's list of consultations and the page of one, with a
form per step. The URLs name the application (``pk``): its consultation may have no
row yet (app/services/consultations.py)."""

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.errors import DomainError
from app.models import ConsultationStep
from app.services import consultations
from forms.admin.consultations import AssignForm, CancelForm, HoldForm, ScheduleForm
from views.admin.base import active_identity, attach_error, page_args

FORMS = {
    "assign": AssignForm,
    "schedule": ScheduleForm,
    "hold": HoldForm,
    "cancel": CancelForm,
}
DONE = {
    "assign": lambda: _("Expert assigned."),
    "schedule": lambda: _("Consultation scheduled; the applicant was notified."),
    "hold": lambda: _("The consultation is recorded as held."),
    "cancel": lambda: _("Consultation cancelled; the applicant was notified."),
}


def _version(form) -> int:
    """The version the page was opened with; a request without one is malformed."""
    value = (form.version.data or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        abort(400)
    return int(value)


class ConsultationsView(BaseView):
    """The consultations of the super-admin's society (意向评价学会)."""

    route_base = "/consultations"
    default_view = "list"

    def _item_or_404(self, pk: int):
        item = consultations.get_for_society(active_identity(), pk)
        if item is None:
            abort(404)
        return item

    @expose("/")
    @has_access
    def list(self):
        identity = active_identity()
        page, per_page = page_args(request)
        step = request.args.get("step", "")
        if step and step not in {s.value for s in ConsultationStep}:
            step = ""
        name = request.args.get("name", "")[:50]
        result = consultations.list_for_society(
            identity, step=step, name=name, page=page, per_page=per_page
        )
        return self.render_template(
            "admin/consultations/list.html",
            rows=result.rows,
            total=result.total,
            page=page,
            per_page=per_page,
            step=step,
            name=name,
            steps=list(ConsultationStep),
            counts=consultations.count_by_step(identity),
            step_of=consultations.step_of,
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        application, consultation = self._item_or_404(pk)
        return self._page(application, consultation, {})

    def _page(self, application, consultation, forms: dict, status: int = 200):
        version = str(consultation.version if consultation is not None else 0)
        for action, form_class in FORMS.items():
            if action not in forms:
                form = form_class(formdata=None)
                if (
                    action == "schedule"
                    and consultation is not None
                    and consultation.method
                ):
                    form.method.data = consultation.method
                    form.scheduled_at.data = consultations.local_input(
                        consultation.scheduled_at
                    )
                    form.meeting.data = consultation.meeting or ""
                if (
                    action == "assign"
                    and consultation is not None
                    and consultation.expert_name
                ):
                    form.expert_name.data = consultation.expert_name
                    form.expert_contact.data = consultation.expert_contact or ""
                form.version.data = version
                forms[action] = form
        return (
            self.render_template(
                "admin/consultations/show.html",
                application=application,
                consultation=consultation,
                step=consultations.step_of(consultation),
                allowed=consultations.allowed_actions(application, consultation),
                forms=forms,
                timeline=consultations.timeline(application, consultation),
                describe=consultations.describe,
            ),
            status,
        )

    def _step(self, pk: int, action: str):
        identity = active_identity()
        application, consultation = self._item_or_404(pk)
        form = FORMS[action]()
        if not form.validate_on_submit():
            abort(400)
        version = _version(form)
        fields = {
            key: value
            for key, value in form.data.items()
            if key not in ("csrf_token", "version")
        }
        step_functions = {
            "assign": consultations.assign_expert,
            "schedule": consultations.schedule,
            "hold": consultations.record_held,
            "cancel": consultations.cancel,
        }
        try:
            step_functions[action](pk, actor=identity, seen_version=version, **fields)
        except DomainError as error:
            if error.field is None:
                flash(str(error.message), "danger")
                return redirect(url_for("ConsultationsView.show", pk=pk))
            attach_error(form, error)
            return self._page(application, consultation, {action: form}, status=422)
        flash(DONE[action](), "success")
        return redirect(url_for("ConsultationsView.show", pk=pk))

    @expose("/<int:pk>/assign", methods=["POST"])
    @has_access
    def assign(self, pk: int):
        return self._step(pk, "assign")

    @expose("/<int:pk>/schedule", methods=["POST"])
    @has_access
    def schedule(self, pk: int):
        return self._step(pk, "schedule")

    @expose("/<int:pk>/hold", methods=["POST"])
    @has_access
    def hold(self, pk: int):
        return self._step(pk, "hold")

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    def cancel(self, pk: int):
        return self._step(pk, "cancel")
