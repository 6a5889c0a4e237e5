"""学会审核: 注册工程会员申请审核 (the member queue, one application with every section,
its photo and its history, the decisions one by one and in bulk) and 评价结果导入 (the
results of an offline assessment from a workbook: dry run, then 确认导入).

Rules: app/services/members.py (scope, state machine, member numbers) and
app/services/member_imports.py (the workbook and the kept dry run)."""

import io

from flask import abort, flash, redirect, request, send_file, session, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.dictionaries import ETHNIC_GROUP, ID_TYPE, POLITICAL_STATUS, SEX
from app.divisions import division_name
from app.extensions import db
from app.models import MemberApplication, MemberState
from app.models.applications import MEMBER_LEVEL_TITLES
from app.services import member_imports, members, reviews, uploads
from app.services.exports import XLSX_MIMETYPE
from app.services.id_numbers import mask_id_number
from app.services.member_sections import (
    ROW_FIELDS,
    ROW_LABELS,
    SECTION_KEYS,
    section_title,
)
from forms.admin.members import (
    MemberDecisionForm,
    ResultsConfirmForm,
    ResultsUploadForm,
)
from views.admin.base import active_identity, attach_error, flash_handled, page_args

M = MemberApplication

# The query-string parameters the queue offers (kept when coming back to it).
OFFERED_FILTERS = (
    "state",
    "name",
    "mobile",
    "id_number",
    "level",
    "field",
    "specialty",
    "from",
    "to",
    "page",
)
# In the queue's bulk panel: actions that start from one state only, so that a row
# decided meanwhile in another tab is refused, never moved along another way.
BULK_ACTIONS = ("accept", "pass", "register")
BULK_MAX = 100
PLANS_SESSION_KEY = "member_import_plans"
PLANS_KEPT = 5
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}

DONE = {
    "accept": _l("Accepted for assessment."),
    "return": _l("Returned to the applicant for changes."),
    "pass": _l("Recorded as passed."),
    "fail": _l("Recorded as not passed."),
}


# 基本情况 as the application page shows it: (key, label); 籍贯 joins two keys.
BASIC_LABELS = (
    ("name", lazy_pgettext("member application", "Name")),
    ("name_pinyin", lazy_pgettext("member application", "Name in pinyin")),
    ("sex", lazy_pgettext("member application", "Sex")),
    ("birth_date", lazy_pgettext("member application", "Date of birth")),
    ("political_status", lazy_pgettext("member application", "Political status")),
    ("native_place", lazy_pgettext("member application", "Native place")),
    ("ethnic_group", lazy_pgettext("member application", "Ethnic group")),
    ("id_type", lazy_pgettext("member application", "ID document type")),
    ("id_number", lazy_pgettext("member application", "ID document number")),
    ("employer", lazy_pgettext("member application", "Work unit")),
    ("position", lazy_pgettext("member application", "Position")),
    ("title", lazy_pgettext("member application", "Professional title")),
    ("address", lazy_pgettext("member application", "Postal address")),
    ("mobile", lazy_pgettext("member application", "Mobile")),
    ("email", lazy_pgettext("member application", "E-mail")),
)
# The columns of the repeatable sections (app/services/member_sections.py ROW_FIELDS).
# --- shared helpers ------------------------------------------------------------------


def _reader():
    """The active identity when it may open the queue (super-admin, platform admin)."""
    identity = active_identity()
    if not members.can_view_queue(identity):
        abort(403)
    return identity


def _decider():
    """The active identity when it decides (a society super-admin)."""
    identity = active_identity()
    if not members.can_decide(identity):
        abort(403)
    return identity


def _refuse(error: members.MemberError) -> None:
    """Refusals that are not messages: another society's row (404), a look-only
    identity (403)."""
    if isinstance(error, members.NotInMemberQueue):
        abort(404)
    if isinstance(error, members.MemberForbidden):
        abort(403)


def _application(identity, pk: int) -> MemberApplication:
    try:
        return members.application_for(identity, pk)
    except members.MemberError as error:
        _refuse(error)
        raise


def _list_args() -> dict:
    """The queue's filters of this request, to come back to the same list."""
    return {key: value for key, value in request.args.items() if key in OFFERED_FILTERS}


def _done(action: str, application: MemberApplication) -> str:
    """What the super-admin is told after a decision."""
    if action == "register":
        return _(
            "Registered; member number %(number)s.", number=application.member_number
        )
    return str(DONE[action])


def state_title(value: str | None) -> str:
    return MemberState(value).title if value else ""


# --- what the application page shows -------------------------------------------------


def basic_lines(data: dict) -> list[tuple[object, str]]:
    """基本情况 as (label, text): coded values by their titles, 籍贯 as its names."""
    data = data or {}
    coded = {
        "sex": SEX,
        "political_status": POLITICAL_STATUS,
        "ethnic_group": ETHNIC_GROUP,
        "id_type": ID_TYPE,
    }
    lines = []
    for key, label in BASIC_LABELS:
        if key == "native_place":
            names = [
                division_name(data.get(part)) or ""
                for part in ("native_province", "native_city")
            ]
            text = " ".join(name for name in names if name)
        elif key in coded:
            value = data.get(key) or ""
            text = coded[key].title(value) or value
        else:
            text = data.get(key) or ""
        lines.append((label, text))
    return lines


def row_table(key: str, data: dict) -> tuple[list, list[list[str]]]:
    """A repeatable section as (column labels, rows of texts); an empty optional end
    is 至今."""
    names = [spec.name for spec in ROW_FIELDS[key]]
    optional_end = {spec.name for spec in ROW_FIELDS[key] if not spec.required}
    rows = []
    for row in (data or {}).get("rows") or []:
        texts = []
        for name in names:
            value = (row or {}).get(name) or ""
            if not value and name == "end" and name in optional_end:
                value = _("Present")
            texts.append(value)
        rows.append(texts)
    return [ROW_LABELS[key][name] for name in names], rows


def section_views(application: MemberApplication) -> list[dict]:
    """Every section of 《工程会员申请表》 in order, read-only."""
    saved = members.sections(application)
    result = []
    for key in SECTION_KEYS:
        section = saved.get(key)
        data = section.data if section is not None else {}
        view = {
            "key": key,
            "title": section_title(key),
            "saved": section is not None,
            "complete": section is not None and section.complete,
        }
        if key == "basic":
            view["lines"] = basic_lines(data)
        elif key == "declaration":
            view["accepted"] = bool((data or {}).get("accepted"))
        else:
            view["columns"], view["rows"] = row_table(key, data)
        result.append(view)
    return result


# --- 注册工程会员申请审核 ------------------------------------------------------------------


class MemberReviewView(BaseView):
    """注册工程会员申请审核: the member applications of the super-admin's society (the
    platform admin reads every society's, without the buttons)."""

    route_base = "/member-review"
    default_view = "list"

    def _queue(self, identity, form: MemberDecisionForm, selected=None):
        filters = members.read_queue_filters(request.args)
        page, per_page = page_args(request)
        statement = members.queue_query(identity, filters)
        total = db.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        rows = db.session.scalars(
            statement.options(
                joinedload(M.field), joinedload(M.specialty), joinedload(M.society)
            )
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return self.render_template(
            "admin/members/queue.html",
            identity=identity,
            filters=filters,
            # 学会审核's one rule of waiting and overdue (REVIEW_OVERDUE_DAYS), read
            # from ``state`` and ``submitted_at`` as for a prospective application.
            rows=[
                (
                    row,
                    reviews.waiting_days(row),
                    reviews.is_overdue(row),
                    bool(members.actions_for(identity, row)),
                )
                for row in rows
            ],
            total=total,
            page=page,
            per_page=per_page,
            states=members.QUEUE_STATES,
            fields=reviews.field_options(identity),
            levels=MEMBER_LEVEL_TITLES,
            can_decide=members.can_decide(identity),
            overdue_days=reviews.overdue_days(),
            form=form,
            selected=selected or set(),
            list_args=_list_args(),
            mask_id_number=mask_id_number,
        )

    @expose("/")
    @has_access
    def list(self):
        identity = _reader()
        return self._queue(identity, MemberDecisionForm())

    def _page(self, identity, application, form: MemberDecisionForm):
        events = members.history(application)
        return self.render_template(
            "admin/members/show.html",
            identity=identity,
            application=application,
            sections=section_views(application),
            lines=[(event, members.who(event, application)) for event in events],
            actions=members.actions_for(identity, application),
            action_titles=members.ACTION_TITLES,
            waiting_days=reviews.waiting_days(application),
            overdue=reviews.is_overdue(application),
            form=form,
            list_args=_list_args(),
            state_title=state_title,
        )

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        identity = _reader()
        application = _application(identity, pk)
        return self._page(identity, application, MemberDecisionForm())

    @expose("/<int:pk>/photo")
    @has_access
    def photo(self, pk: int):
        """照片, read through ``uploads.may_read``; never cached."""
        identity = _reader()
        application = _application(identity, pk)
        allowed = uploads.may_read(
            account_id=current_user.id,
            identity_kind=identity.kind,
            identity_society_id=identity.society_id,
            owner_account_id=application.applicant_id,
            society_id=application.society_id,
        )
        extension = PHOTO_EXTENSIONS.get(application.photo_content_type or "")
        if not allowed or not application.photo_key or extension is None:
            abort(404)
        try:
            data = uploads.read(application.photo_key)
        except (FileNotFoundError, ValueError):
            abort(404)
        response = send_file(
            io.BytesIO(data),
            mimetype=application.photo_content_type,
            download_name=f"photo-{application.id}.{extension}",
            max_age=0,
        )
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @expose("/<int:pk>/decide", methods=["POST"])
    @has_access
    def decide(self, pk: int):
        """受理 / 退回 / 通过评价 / 未通过 / 注册 (the button pressed). The page posts the
        state it showed: an application moved meanwhile (another tab, a colleague) is
        refused with who moved it and when."""
        identity = _reader()
        form = MemberDecisionForm()
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action", "")
        if action not in members.BACKEND_ACTIONS:
            abort(400)
        shown_state = request.form.get("state") or None
        application = _application(identity, pk)
        if not members.can_decide(identity):
            abort(403)
        try:
            application = members.decide(
                identity,
                pk,
                action,
                reason=form.reason.data if action == "return" else None,
                expected_state=shown_state,
            )
        except members.MemberError as error:
            _refuse(error)
            db.session.rollback()
            if error.field:
                attach_error(form, error)
                flash(
                    _("The decision was not taken: see the message at the field."),
                    "danger",
                )
                return self._page(identity, _application(identity, pk), form)
            flash(str(error.message), "danger")
            return redirect(url_for("MemberReviewView.show", pk=pk, **_list_args()))
        flash(
            _(
                "%(name)s: %(result)s",
                name=application.name,
                result=_done(action, application),
            ),
            "success",
        )
        return redirect(url_for("MemberReviewView.show", pk=pk, **_list_args()))

    @expose("/bulk", methods=["POST"])
    @has_access
    def bulk(self):
        """批量受理 / 批量通过评价 / 批量注册 of the selected rows: every row must be in the
        queue (else nothing happens: 404), then each is decided on its own."""
        identity = _reader()
        form = MemberDecisionForm()
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action", "")
        if action not in BULK_ACTIONS:
            abort(400)
        if not members.can_decide(identity):
            abort(403)
        ids = list(dict.fromkeys(request.form.getlist("rowid")))
        if not ids or len(ids) > BULK_MAX:
            if ids:
                flash(
                    _(
                        "Select at most %(count)d applications at a time.",
                        count=BULK_MAX,
                    ),
                    "danger",
                )
            else:
                flash(_("Select at least one application."), "danger")
            return self._queue(identity, form)
        selected = [_application(identity, value) for value in ids]

        lines = []
        for application in selected:
            name = application.name
            try:
                application = members.decide(identity, application.id, action)
            except members.MemberError as error:
                db.session.rollback()
                lines.append((application.id, name, False, str(error.message)))
            else:
                lines.append((application.id, name, True, _done(action, application)))
        flash_handled([line[2] for line in lines])
        return self.render_template(
            "admin/members/bulk_result.html",
            lines=lines,
            action_title=members.ACTION_TITLES[action],
            list_args=_list_args(),
        )


# --- 评价结果导入 ---------------------------------------------------------------------------


def _remember_plan(key: str) -> None:
    """Keep the plan's key in the session (the last few only): 确认导入 accepts a plan
    that this browser session made."""
    kept = [item for item in session.get(PLANS_SESSION_KEY, []) if item != key]
    kept.append(key)
    for old in kept[:-PLANS_KEPT]:
        member_imports.discard_plan(old)
    session[PLANS_SESSION_KEY] = kept[-PLANS_KEPT:]


def _forget_plan(key: str) -> bool:
    """Take the plan's key out of the session; False when it was not there."""
    kept = session.get(PLANS_SESSION_KEY, [])
    if key not in kept:
        return False
    session[PLANS_SESSION_KEY] = [item for item in kept if item != key]
    return True


class MemberImportView(BaseView):
    """评价结果导入: upload a workbook of results, check the dry run, then 确认导入."""

    route_base = "/member-import"
    default_view = "upload"

    def _form_page(self, form: ResultsUploadForm):
        return self.render_template(
            "admin/members/import.html",
            form=form,
            max_rows=members.IMPORT_MAX_ROWS,
            max_mb=member_imports.IMPORT_MAX_BYTES // (1024 * 1024),
            headers=member_imports.TEMPLATE_HEADERS,
        )

    @expose("/", methods=["GET", "POST"])
    @has_access
    def upload(self):
        """The upload form; a posted workbook gets its dry run (nothing is written)."""
        identity = _decider()
        form = ResultsUploadForm()
        if request.method == "GET":
            return self._form_page(form)
        if not form.validate_on_submit():
            abort(400)
        storage = form.file.data
        if storage is None or not getattr(storage, "filename", ""):
            form.file.errors = [_("Choose the workbook to upload.")]
            return self._form_page(form)
        data = storage.stream.read(member_imports.IMPORT_MAX_BYTES + 1)
        try:
            plan, lines = member_imports.dry_run(identity, data, storage.filename)
        except members.MemberError as error:
            _refuse(error)
            attach_error(form, error)
            return self._form_page(form)
        _remember_plan(plan.key)
        return self.render_template(
            "admin/members/dry_run.html",
            plan=plan,
            lines=lines,
            confirm_form=ResultsConfirmForm(plan=plan.key),
            targets={
                action: target.title
                for action, (_sources, target) in members.TRANSITIONS.items()
            },
            mask_id_number=mask_id_number,
        )

    @expose("/apply", methods=["POST"])
    @has_access
    def confirm(self):
        """确认导入: apply the dry run this session made, exactly as it was shown."""
        identity = _decider()
        form = ResultsConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        key = form.plan.data or ""
        if not _forget_plan(key):
            flash(str(member_imports.PlanGone().message), "warning")
            return redirect(url_for("MemberImportView.upload"))
        try:
            lines = member_imports.apply_plan(identity, key)
        except members.MemberError as error:
            _refuse(error)
            flash(str(error.message), "warning")
            return redirect(url_for("MemberImportView.upload"))
        ids = [line.application_id for line in lines if line.application_id]
        applications = {
            item.id: item
            for item in db.session.scalars(
                select(M).where(M.id.in_(ids), M.society_id == identity.society_id)
            )
        }
        done = sum(line.done for line in lines)
        flash(
            _(
                "%(done)d of %(count)d rows were imported.",
                done=done,
                count=len(lines),
            ),
            "success" if done == len(lines) else "warning",
        )
        return self.render_template(
            "admin/members/import_result.html",
            lines=lines,
            applications=applications,
        )

    @expose("/cancel", methods=["POST"])
    @has_access
    def cancel(self):
        """Leave a dry run without importing: its plan is deleted."""
        _decider()
        form = ResultsConfirmForm()
        if not form.validate_on_submit():
            abort(400)
        key = form.plan.data or ""
        if _forget_plan(key):
            member_imports.discard_plan(key)
        flash(_("Nothing was imported."), "info")
        return redirect(url_for("MemberImportView.upload"))

    @expose("/template")
    @has_access
    def download_template(self):
        """The workbook to fill in, with the Chinese column names."""
        _decider()
        response = send_file(
            io.BytesIO(member_imports.template_workbook()),
            mimetype=XLSX_MIMETYPE,
            as_attachment=True,
            download_name="评价结果导入模板.xlsx",
            max_age=0,
        )
        return response
