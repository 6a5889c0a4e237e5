"""注册工程会员申请 on the applicant site (SPEC §4, issue 5): the entry, 领域及专业, the
level, 《填写说明》 with 我已阅读, then 《工程会员申请表》 section by section with its
progress list, the 照片 and its offer to scale or crop, the preview, the PDF copy and
提交; a submitted application is shown read-only with its history.

Only an applicant whose prospective application was approved reaches these pages
(``members.open_for`` creates the member application the first time, prefilled from
the prospective application); anyone else gets a page saying so, never another's data.
app/services/members.py decides every rule and names every refused field; the pages
show the messages at their fields with the form as typed.

Each section is saved on its own. A section's form checks its own CSRF token (the
endpoint is exempt from the global check), so that an expired token brings the section
back exactly as typed with a 400 and a request to save again, and nothing is stored.

The photo: an upload of the right size is kept at once; one of another size is offered
scaled or cut at the centre, its preview stored as a private file whose key is kept in
the session until 确认 (or another upload, or 取消) decides. Private files are served
only to whom ``uploads.may_read`` allows, the applicant here.
"""

import io
import logging
import re
from functools import wraps

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app.dictionaries import ETHNIC_GROUP, ID_TYPE, POLITICAL_STATUS, SEX
from app.divisions import division_name, divisions_under, provinces
from app.extensions import csrf, db
from app.models import MemberApplication, MemberState
from app.services import applications, members, pdf, photos
from app.services.member_sections import MAX_ROWS, NAME_MAX, ROW_FIELDS, ROW_LABELS
from app.services.names import suggest_pinyin
from app.validation import count_chars
from forms.site.members import (
    BASIC_LABELS,
    BASIC_LIMITS,
    BasicForm,
    DeclarationForm,
    LevelForm,
    MemberForm,
    RowsForm,
    SpecialtyForm,
    empty_row,
    read_rows,
)
from views.site import applicant_required, blueprint
from views.site.member_photos import (
    offer_of,
    photo_bytes,
    photo_step,
    photo_url,
    photo_warning,
)

logger = logging.getLogger(__name__)

S = MemberState
# Empty rows the page shows under the saved ones (the page without JavaScript adds
# one more each time 添加一行 is chosen).
EXTRA_ROWS = 1
EXTRA_ROWS_EMPTY = 2


# --- access ------------------------------------------------------------------------


def _member_page(view):
    """The logged-in applicant's member application as the view's first argument, or
    the page saying that the member application is not open (403)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        application = members.open_for(current_user.id)
        if application is None:
            return render_template("site/members/closed.html"), 403
        return view(application, *args, **kwargs)

    return applicant_required(wrapper)


def _next_step(application: MemberApplication):
    """Where an application in its state is handled (straight there: one redirect)."""
    if application.state == S.PERMITTED:
        return redirect(url_for("site.member_specialty"))
    if application.state in members.EDITABLE_STATES:
        return redirect(_form_url(application))
    return redirect(url_for("site.member"))


def _form_url(application: MemberApplication) -> str:
    """The first section that is not complete, or the preview when all are."""
    first = next(
        (item.key for item in members.progress(application) if not item.complete),
        None,
    )
    if first is None:
        return url_for("site.member_preview")
    return url_for("site.member_section", key=first)


# --- entry, 领域及专业, level, 《填写说明》 ----------------------------------------


@blueprint.route("/member")
@_member_page
def member(application: MemberApplication):
    """注册工程会员申请: the step the application is at, or the submitted application."""
    if application.state in members.CHOOSING_STATES:
        return _next_step(application)
    return render_template(
        "site/members/show.html",
        application=application,
        events=members.history(application),
        document=_document(application),
        photo_url=photo_url(application),
    )


@blueprint.route("/member/specialty", methods=["GET", "POST"])
@_member_page
def member_specialty(application: MemberApplication):
    """选择领域及专业: the society's fields and their specialties."""
    if application.state not in members.CHOOSING_STATES:
        return _next_step(application)
    errors: dict = {}
    if request.method == "POST":
        form = SpecialtyForm()
        try:
            members.choose_specialty(
                current_user.id, form.field_id.data, form.specialty_id.data
            )
        except members.MemberError as error:
            errors = error.errors or {"": str(error.message)}
        else:
            if application.state == S.PERMITTED:
                return redirect(url_for("site.member_level"))
            flash(_("Your field and specialty were saved."), "success")
            return _next_step(application)
    else:
        form = SpecialtyForm(
            formdata=None,
            data={
                "field_id": str(application.field_id or ""),
                "specialty_id": str(application.specialty_id or ""),
            },
        )
    return render_template(
        "site/members/specialty.html",
        application=application,
        prospective=application.prospective_application,
        choices=members.field_choices(application),
        form=form,
        errors=errors,
    )


@blueprint.route("/member/level", methods=["GET", "POST"])
@_member_page
def member_level(application: MemberApplication):
    """选择申请级别: 专业 or 资深 (the level asked for preselected; 见习 never)."""
    if application.state not in members.CHOOSING_STATES:
        return _next_step(application)
    if application.field_id is None or application.specialty_id is None:
        return redirect(url_for("site.member_specialty"))
    errors: dict = {}
    if request.method == "POST":
        form = LevelForm()
        try:
            members.choose_level(current_user.id, form.level.data)
        except members.MemberError as error:
            errors = error.errors or {"level": str(error.message)}
        else:
            if application.state == S.PERMITTED:
                return redirect(url_for("site.member_instructions"))
            flash(_("The level was saved."), "success")
            return _next_step(application)
    else:
        form = LevelForm(formdata=None, data={"level": application.level})
    prospective = application.prospective_application
    return render_template(
        "site/members/level.html",
        application=application,
        asked=prospective.level_title if prospective is not None else "",
        levels=members.level_choices(),
        form=form,
        errors=errors,
    )


@blueprint.route("/member/instructions", methods=["GET", "POST"])
@_member_page
def member_instructions(application: MemberApplication):
    """《填写说明》 and 我已阅读, which opens 《工程会员申请表》."""
    if request.method == "POST":
        try:
            members.confirm_instructions(current_user.id)
        except members.MemberError as error:
            flash(str(error.message), "danger")
        return _next_step(members.open_for(current_user.id))
    if application.state == S.PERMITTED and (
        application.field_id is None or application.specialty_id is None
    ):
        return redirect(url_for("site.member_specialty"))
    return render_template(
        "site/members/instructions.html", application=application, form=MemberForm()
    )


# --- 《工程会员申请表》 ------------------------------------------------------------


@blueprint.route("/member/form")
@_member_page
def member_form(application: MemberApplication):
    """The first section that is not complete, or the preview when all are."""
    if application.state not in members.EDITABLE_STATES:
        return _next_step(application)
    return redirect(_form_url(application))


@blueprint.route("/member/form/<key>")
@_member_page
def member_section(application: MemberApplication, key: str):
    """One section's form with the progress list; ``?check=1`` shows its problems."""
    if key not in members.SECTION_KEYS:
        abort(404)
    if application.state not in members.EDITABLE_STATES:
        return _next_step(application)
    values = members.section_data(application, key)
    errors = {}
    if request.args.get("check"):
        _checked, errors = members.check_section(key, values, application=application)
    return _section_page(application, key, values=values, errors=errors)


@blueprint.route("/member/form/<key>", methods=["POST"])
@applicant_required
def member_section_save(key: str):
    """保存 one section (and, in 基本情况, upload, confirm or cancel the photo)."""
    if key not in members.SECTION_KEYS:
        abort(404)
    if key == "basic":
        request.max_content_length = photos.UPLOAD_REQUEST_MAX
    try:
        request.form, request.files  # noqa: B018  (parse now, within the limit)
    except RequestEntityTooLarge:
        if key == "basic":
            message = _(
                "The file is too large: a photo has at most 2 MB. Nothing was saved; choose a smaller file."
            )
        else:
            message = _(
                "What was sent is larger than %(size)d MB, so nothing of it was saved. Go back and send a smaller file.",
                size=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024),
            )
        flash(message, "danger")
        return redirect(url_for("site.member_section", key=key))

    application = members.open_for(current_user.id)
    if application is None:
        return render_template("site/members/closed.html"), 403
    if application.state == S.PERMITTED:
        return _next_step(application)
    if application.state not in members.EDITABLE_STATES:
        flash(
            _(
                "Your member application is %(state)s and cannot be changed now.",
                state=application.state_title,
            ),
            "warning",
        )
        return _next_step(application)

    action = request.form.get("action") or "save"
    form, raw, extra = _read_section(key)
    if not form.csrf_valid():
        flash(_("The form had expired. Please submit it again."), "warning")
        # The typed rows already hold the empty ones the page showed.
        return _section_page(
            application, key, values=raw, form=form, extra=0, status=400
        )

    if key == "basic" and action == "suggest_pinyin":
        raw["name_pinyin"] = suggest_pinyin(raw["name"]) or raw["name_pinyin"]
    if key in members.REPEATABLE and action.startswith("remove-"):
        position = _number(action.removeprefix("remove-"))
        if position is not None and position < len(raw["rows"]):
            del raw["rows"][position]
    photo_error = photo_step(application, action) if key == "basic" else None

    try:
        result = members.save_section(current_user.id, key, raw)
    except members.MemberError as error:
        flash(str(error.message), "danger")
        return _next_step(members.open_for(current_user.id))
    application = db.session.get(MemberApplication, application.id)

    errors = dict(result.errors)
    if photo_error is not None:
        errors["photo"] = photo_error
    if action == "add_row":
        extra += 1
    offer = offer_of(application) if key == "basic" else None
    stay = action in ("add_row", "suggest_pinyin") or action.startswith("remove-")
    if errors or offer is not None or stay:
        summary = None
        if result.errors:
            summary = _(
                "Saved, but this section is not complete yet: correct the fields marked below."
            )
        elif photo_error is not None:
            summary = _(
                "The section was saved, but the photo you chose was not taken: see the message at the photo."
            )
        return _section_page(
            application,
            key,
            values=result.values,
            errors=errors,
            extra=extra,
            summary=summary,
        )

    flash(
        _(
            "“%(section)s” was saved and is complete.",
            section=members.section_title(key),
        ),
        "success",
    )
    if action == "next":
        return redirect(_after(key))
    return redirect(url_for("site.member_section", key=key))


# The section forms validate their own token (see the module's docstring).
csrf.exempt(f"{member_section_save.__module__}.{member_section_save.__name__}")


def _read_section(key: str):
    """(form, what was typed as the service reads it, empty rows shown)."""
    if key == "basic":
        form = BasicForm()
        return form, form.raw(), 0
    if key == "declaration":
        form = DeclarationForm()
        accepted = form.accepted.data if isinstance(form.accepted.data, str) else ""
        return form, {"accepted": accepted}, 0
    form = RowsForm()
    extra = _number(form.extra.data)
    return form, {"rows": read_rows(key, request.form)}, min(extra or 0, MAX_ROWS)


def _after(key: str) -> str:
    """The page after section ``key``: the next section, or the preview."""
    keys = list(members.SECTION_KEYS)
    position = keys.index(key)
    if position + 1 < len(keys):
        return url_for("site.member_section", key=keys[position + 1])
    return url_for("site.member_preview")


def _section_page(
    application: MemberApplication,
    key: str,
    *,
    values: dict,
    errors: dict | None = None,
    form=None,
    extra: int | None = None,
    summary: str | None = None,
    status: int = 200,
):
    errors = dict(errors or {})
    context = {
        "application": application,
        "key": key,
        "title": members.section_title(key),
        "progress": members.progress(application),
        "summary": summary,
        "errors": errors,
        "next_url": _after(key),
        "count": count_chars,
        "texts": {
            "noPinyin": _("No suggestion for this name: type the pinyin yourself."),
            "failed": _("The suggestion could not be fetched now."),
            "leave": _(
                "Leave this page? What you typed since the last save will be lost."
            ),
        },
    }
    if key == "basic":
        if form is None:
            form = BasicForm(formdata=None, data=values)
        for message in form.attach(errors):
            flash(message, "danger")
        context.update(_basic_context(application, form))
    elif key == "declaration":
        checked, _errors = members.check_section("declaration", values)
        context["accepted"] = checked["accepted"]
        context["form"] = form or DeclarationForm(formdata=None)
        context["declaration"] = declaration_text()
    else:
        rows = [dict(row) for row in values.get("rows") or []]
        if extra is None:
            extra = EXTRA_ROWS if rows else EXTRA_ROWS_EMPTY
        extra = max(0, min(extra, MAX_ROWS - len(rows)))
        rows += [empty_row(key) for _index in range(extra)]
        context.update(
            form=form or RowsForm(formdata=None),
            rows=rows,
            extra=extra,
            specs=ROW_FIELDS[key],
            labels=ROW_LABELS[key],
            ongoing=_ongoing(key),
            max_rows=MAX_ROWS,
            blank=empty_row(key),
        )
    return render_template("site/members/section.html", **context), status


def _basic_context(application: MemberApplication, form: BasicForm) -> dict:
    province = form.native_province.data or ""
    return {
        "form": form,
        "labels": BASIC_LABELS,
        "limits": BASIC_LIMITS,
        "counts": {name: count_chars(form[name].data) for name in BASIC_LIMITS},
        "sexes": SEX.choices(),
        "political_statuses": POLITICAL_STATUS.choices(),
        "ethnic_groups": ETHNIC_GROUP.choices(),
        "id_types": ID_TYPE.choices(),
        "provinces": provinces(),
        # Without JavaScript every unit is offered, grouped by province;
        # members.js narrows the list to the chosen province.
        "city_groups": [
            (code, name, [(unit.code, unit.name) for unit in divisions_under(code)])
            for code, name in provinces()
        ],
        "province_without_units": bool(province) and not divisions_under(province),
        "photo_url": photo_url(application),
        "photo_warning": photo_warning(application),
        "offer": offer_of(application),
        "photo_max": photos.max_bytes(),
        "pinyin_url": url_for("site.member_pinyin"),
    }


@blueprint.route("/member/pinyin")
def member_pinyin():
    """The 姓名拼音 suggestion of a name (members.js's button)."""
    if not current_user.is_authenticated:
        return jsonify(ok=False, message=_("Log in again to continue.")), 401
    name = request.args.get("name") or ""
    return jsonify(ok=True, pinyin=suggest_pinyin(name[:100]))


# --- preview, PDF and submit ---------------------------------------------------------


@blueprint.route("/member/preview")
@_member_page
def member_preview(application: MemberApplication):
    """The whole application as it will be submitted, with 打印/下载PDF and 提交."""
    if application.state not in members.EDITABLE_STATES:
        return _next_step(application)
    return _preview_page(application)


def _preview_page(application: MemberApplication, *, incomplete=(), status=200):
    progress = members.progress(application)
    return render_template(
        "site/members/preview.html",
        application=application,
        progress=progress,
        incomplete=list(incomplete)
        or [item.key for item in progress if not item.complete],
        document=_document(application),
        photo_url=photo_url(application),
        form=MemberForm(),
    ), status


@blueprint.route("/member/submit", methods=["POST"])
@_member_page
def member_submit(application: MemberApplication):
    """提交 (or submit again after a return); refused naming the incomplete sections."""
    try:
        application = members.submit(current_user.id)
    except members.MemberError as error:
        flash(str(error.message), "danger")
        current = members.open_for(current_user.id)
        if error.incomplete and current.state in members.EDITABLE_STATES:
            return _preview_page(current, incomplete=error.incomplete)
        return _next_step(current)
    flash(
        _(
            "Your member application was submitted to %(society)s.",
            society=application.society.name,
        ),
        "success",
    )
    return redirect(url_for("site.center"))


@blueprint.route("/member/pdf")
@_member_page
def member_pdf(application: MemberApplication):
    """打印/下载PDF: the printable copy of the application as it is now."""
    if application.state == S.PERMITTED:
        return _next_step(application)
    document = _document(application, photo=photo_bytes(application))
    try:
        data = pdf.render_pdf(document)
    except pdf.PdfUnavailable:
        logger.exception("member application %s: PDF unavailable", application.id)
        flash(_("The PDF copy cannot be made now. Please try again later."), "danger")
        return redirect(url_for("site.member"))
    logger.info(
        "member application %s PDF by account %s", application.id, current_user.id
    )
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=_(
            "Engineering member application form %(number)s.pdf", number=application.id
        ),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _document(
    application: MemberApplication, *, photo: bytes | None = None
) -> pdf.Document:
    """《工程会员申请表》 as the preview and the PDF show it."""
    saved = members.sections(application)

    def data(key: str) -> dict:
        section = saved.get(key)
        return dict(section.data) if section is not None else members.empty_data(key)

    basic = data("basic")
    native = " ".join(
        filter(
            None,
            (
                division_name(basic.get("native_province")),
                division_name(basic.get("native_city")),
            ),
        )
    )
    shown = {
        "sex": SEX.title(basic.get("sex")),
        "political_status": POLITICAL_STATUS.title(basic.get("political_status")),
        "ethnic_group": ETHNIC_GROUP.title(basic.get("ethnic_group")),
        "id_type": ID_TYPE.title(basic.get("id_type")),
        "native_province": native,
    }
    order = (
        "name",
        "name_pinyin",
        "sex",
        "birth_date",
        "political_status",
        "native_province",
        "ethnic_group",
        "id_type",
        "id_number",
        "employer",
        "position",
        "title",
        "address",
        "mobile",
        "email",
    )
    sections = [
        pdf.Section(
            members.section_title("basic"),
            [
                pdf.Field(
                    str(BASIC_LABELS[name]),
                    shown[name]
                    if name in shown
                    else _within(basic.get(name) or "", BASIC_SHOWN_MAX),
                )
                for name in order
            ],
        )
    ]
    for key in members.REPEATABLE:
        specs = ROW_FIELDS[key]
        rows = []
        for row in (data(key).get("rows") or [])[:MAX_ROWS]:
            cells = []
            for spec in specs:
                value = _within(row.get(spec.name) or "", spec.maximum or SHORT_MAX)
                if not value and spec.name == "end" and _ongoing(key):
                    value = _("Present")
                cells.append(value)
            rows.append(cells)
        sections.append(
            pdf.Section(
                members.section_title(key),
                [
                    pdf.Table(
                        [str(ROW_LABELS[key][spec.name]) for spec in specs],
                        rows,
                        widths=[
                            3 if spec.multiline or spec.maximum >= 100 else 1.4
                            for spec in specs
                        ],
                        empty=_("None"),
                    )
                ],
            )
        )
    accepted = bool(data("declaration").get("accepted"))
    sections.append(
        pdf.Section(
            members.section_title("declaration"),
            [
                pdf.Paragraph(declaration_text()),
                pdf.Field(
                    _("Declaration"),
                    _("Accepted by the applicant")
                    if accepted
                    else _("Not accepted yet"),
                ),
            ],
        )
    )
    field = application.field.name if application.field else ""
    specialty = application.specialty.name if application.specialty else ""
    return pdf.Document(
        title=_("Application form for engineering members"),
        applicant_name=_within(basic.get("name") or application.name or "", NAME_MAX),
        sections=sections,
        photo=photo,
        subtitle=_(
            "%(society)s · %(level)s · %(field)s / %(specialty)s",
            society=application.society.name,
            level=application.level_title,
            field=field,
            specialty=specialty,
        ),
    )


def declaration_text() -> str:
    """诚信承诺 as the applicant accepts it."""
    return _(
        "I declare that everything I state in this application and every material I submit is true, accurate and complete, and that I have not presented the results of others as my own. I accept the consequences if anything proves false."
    )


# --- 个人中心 ------------------------------------------------------------------------


@blueprint.app_template_global("member_application_card")
def member_application_card() -> dict | None:
    """个人中心's card: the applicant's member application with its history, or the
    entry when the permission is open and nothing is filed yet; None otherwise."""
    if not current_user.is_authenticated:
        return None
    application = members.application_of(current_user.id)
    if application is None:
        if not applications.has_member_permission(current_user.id):
            return None
        return {"application": None, "events": [], "editable": True}
    return {
        "application": application,
        "events": members.history(application),
        "editable": application.state in members.CHOOSING_STATES,
    }


# The copy shows what a complete application can hold: a saved draft may keep more (what
# was typed is stored even when refused), which the copy cuts at each field's limit and
# at MAX_ROWS rows, so no copy costs more to render than a complete one.
BASIC_SHOWN_MAX = max(BASIC_LIMITS.values())  # the longest 基本情况 field (通讯地址)
SHORT_MAX = 20  # months and hours


# Lines of one text the copy shows: the rest is joined into its last line, and blank
# lines never follow each other (500 line breaks are 500 characters, and 20 pages).
LINES_SHOWN = 12


def _within(value: str, maximum: int) -> str:
    """``value`` cut at ``maximum`` characters (with … where it was cut), at most
    LINES_SHOWN lines and no blank line after another."""
    if len(value) > maximum:
        value = value[:maximum] + "…"
    lines = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", value).split("\n")
    if len(lines) > LINES_SHOWN:
        lines = lines[: LINES_SHOWN - 1] + [" ".join(lines[LINES_SHOWN - 1 :])]
    return "\n".join(lines)


def _ongoing(key: str) -> bool:
    """Whether the rows of section ``key`` may leave their end empty (至今)."""
    return any(spec.name == "end" and not spec.required for spec in ROW_FIELDS[key])


def _number(value) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 5 else None
