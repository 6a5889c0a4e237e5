"""The prospective application form (拟参加工程能力评价申请) and its live checks.

The page works without JavaScript: the server renders every list and every ``n / max``
counter, and app/services/applications decides every rule. app/static/site/
application.js adds the live counters, the domestic/overseas switch, the live check of
the referral code, the project autocomplete and the narrowing of 意向评价学会 through
the JSON endpoints below.

The form checks its own CSRF token (the endpoint is exempt from the global check) so
that an expired token brings the form back exactly as typed, with a request to submit
again, whatever the site's general CSRF error handler does.
"""

import logging
from functools import wraps

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.extensions import csrf
from app.models import ProspectiveApplication, ProspectiveState, SocietyKind
from app.models.applications import MEMBER_LEVEL_TITLES
from app.places import country_choices, country_name
from app.services import applications, codes
from app.validation import count_chars
from forms.site.applications import LIMITS, ApplicationForm
from views.site import applicant_required, blueprint

logger = logging.getLogger(__name__)

S = ProspectiveState
# Per account: generous for a person typing, useless for guessing codes (31^12).
RATE_LIMITS = {
    "code": "30/minute;300/day",
    "projects": "120/minute",
    "societies": "120/minute",
}


# --- pages ---------------------------------------------------------------------------


@blueprint.route("/application")
@applicant_required
def apply():
    """The route choice, the form of the draft or returned application, or the
    submitted application read-only."""
    application = applications.active_application(current_user.id)
    if (
        application is not None
        and application.state not in applications.EDITABLE_STATES
    ):
        return _show_page(application)

    route = request.args.get("route")
    route = route if route in applications.ROUTES else None
    can_choose = application is None or applications.can_change_route(application)
    if can_choose and (
        request.args.get("choose") or (application is None and route is None)
    ):
        return render_template(
            "site/applications/choose.html",
            current=route or (application.route if application is not None else ""),
        )

    if application is None:
        data = {"route": route, "overseas": "0", "wants_consultation": "0"}
    else:
        data = applications.form_data(application)
        if route is not None and can_choose:
            data["route"] = route
    typed_code = request.args.get("code")
    if (
        typed_code
        and data["route"] == "enterprise"
        and (application is None or not application.referral_code_id)
    ):
        data["referral_code"] = codes.normalize_code(typed_code)[
            : applications.CODE_INPUT_MAX
        ]
    form = ApplicationForm(formdata=None, data=data)
    return _form_page(form, application)


@blueprint.route("/application", methods=["POST"])
@applicant_required
def apply_save():
    """返回, 保存 or 提交审核."""
    form = ApplicationForm()
    form.adopt_project_choice()
    action = request.form.get("action")
    if action == "back":
        return redirect(url_for("site.center"))

    application = applications.active_application(current_user.id)
    if (
        application is not None
        and application.state not in applications.EDITABLE_STATES
    ):
        return redirect(url_for("site.apply"))
    if not form.csrf_valid():
        flash(_("The form had expired. Please submit it again."), "warning")
        return _form_page(form, application, status=400)

    try:
        if action == "submit":
            application = applications.submit(current_user.id, form.raw())
        else:
            application = applications.save_draft(current_user.id, form.raw())
    except applications.ApplicationError as error:
        return _refused(form, error, submitting=action == "submit")

    if action == "submit":
        flash(
            _(
                "Your application was submitted to %(society)s for review.",
                society=application.assessing_society.name,
            ),
            "success",
        )
        return redirect(url_for("site.center"))
    flash(
        _(
            "Your draft was saved. It is sent for review only when you choose Submit for review."
        ),
        "success",
    )
    return redirect(url_for("site.apply"))


# The form validates its own token (see the module's docstring).
csrf.exempt(f"{apply_save.__module__}.{apply_save.__name__}")


@blueprint.route("/code/<code>")
@applicant_required
def apply_with_code(code: str):
    """The link in the SMS of 分享: the enterprise route with the code filled in."""
    application = applications.active_application(current_user.id)
    if (
        application is not None
        and application.state not in applications.EDITABLE_STATES
    ):
        flash(_("You already have an application; its state is shown here."), "info")
        return redirect(url_for("site.apply"))
    if application is not None and application.referral_code_id:
        flash(
            _("Your application keeps the referral code it was submitted with."), "info"
        )
        return redirect(url_for("site.apply"))
    return redirect(
        url_for("site.apply", route="enterprise", code=codes.normalize_code(code)[:20])
    )


def _refused(
    form: ApplicationForm, error: applications.ApplicationError, *, submitting: bool
):
    """The form again, exactly as typed, each message at its field."""
    application = applications.active_application(current_user.id)
    if not error.errors:
        flash(str(error.message), "danger")
        if (
            application is not None
            and application.state not in applications.EDITABLE_STATES
        ):
            return redirect(url_for("site.apply"))
        return _form_page(form, application)
    for message in form.attach(error.errors):
        flash(message, "danger")
    if submitting:
        summary = _(
            "Your application was not submitted. Correct the fields marked below; the fields not marked were kept as a draft."
        )
    else:
        summary = _("The draft was not saved. Correct the fields marked below.")
    return _form_page(form, application, summary=summary)


def _form_page(
    form: ApplicationForm,
    application: ProspectiveApplication | None,
    *,
    summary: str | None = None,
    status: int = 200,
):
    route = form.route.data if form.route.data in applications.ROUTES else None
    if application is not None and not applications.can_change_route(application):
        route = application.route
    if route is None:
        return redirect(url_for("site.apply", choose=1))
    form.route.data = route
    bound_code = (
        application.referral_code
        if application is not None and application.referral_code_id
        else None
    )

    field_id = _as_id(form.field_id.data)
    societies = applications.recommending_societies()
    return render_template(
        "site/applications/form.html",
        form=form,
        application=application,
        route=route,
        can_change_route=application is None or applications.can_change_route(application),
        summary=summary,
        bound_code=bound_code,
        code_status=_code_status(form.referral_code.data)
        if route == "enterprise" and not form.referral_code.errors
        else None,
        society_groups=[
            (
                kind.title,
                kind.value,
                _options(row for row in societies if row.kind == kind.value),
            )
            for kind in (SocietyKind.NATIONAL, SocietyKind.LOCAL)
        ],
        field_options=_options(applications.field_choices()),
        # Without a field (and without JavaScript, which narrows it at once) every
        # national society is offered; the service refuses one that does not fit.
        assessing_options=_options(
            applications.assessing_societies(field_id)
            if field_id
            else applications.recommending_societies(SocietyKind.NATIONAL.value)
        ),
        countries=country_choices(),
        levels=list(MEMBER_LEVEL_TITLES.items()),
        counts={name: count_chars(getattr(form, name).data) for name in LIMITS},
        limits=LIMITS,
        practice_min=applications.PRACTICE_MIN,
        project_matches=_project_matches(form, route, bound_code),
        returned_reason=_returned_reason(application),
        texts=_script_texts(),
    ), status


def _project_matches(form: ApplicationForm, route: str, bound_code) -> list:
    """The projects a typed name matches, listed to choose from when the name alone
    did not decide (the page without JavaScript)."""
    if route != "enterprise" or not form.project_name.errors or form.project_id.data:
        return []
    code = bound_code
    if code is None:
        code, _problem = applications.usable_code(
            form.referral_code.data, current_user.id
        )
    if code is None:
        return []
    return applications.matching_projects(
        code, form.project_name.data, limit=applications.PROJECT_MATCHES_SHOWN
    )


def _options(rows) -> list[tuple[str, str]]:
    return [(str(row.id), row.name) for row in rows]


def _show_page(application: ProspectiveApplication):
    return render_template(
        "site/applications/show.html",
        application=application,
        events=applications.history(application),
        country_name=country_name,
        can_withdraw=applications.allows(application, "withdraw"),
    )


def _returned_reason(application: ProspectiveApplication | None) -> str | None:
    if application is None or application.state != S.RETURNED:
        return None
    events = [
        event
        for event in applications.history(application)
        if event.to_state == S.RETURNED
    ]
    return events[-1].reason if events else None


def _code_status(value: str | None) -> dict | None:
    """What the live check says about the code in the form, for the page without
    JavaScript and for a code arriving by link."""
    if not value or not value.strip():
        return None
    code, problem = applications.usable_code(value, current_user.id)
    if code is None:
        return {"ok": False, "message": str(problem)}
    return {
        "ok": True,
        "message": _(
            "Recommending enterprise: %(enterprise)s", enterprise=code.channel.name
        ),
    }


def _as_id(value) -> int | None:
    value = (value or "").strip() if isinstance(value, str) else ""
    return (
        int(value)
        if value.isascii()
        and value.isdigit()
        and 0 < int(value) <= applications.DB_INT_MAX
        else None
    )


def _script_texts() -> dict[str, str]:
    """The words application.js shows, in the page's language."""
    return {
        "checking": _("Checking the referral code…"),
        "enterprise": _(
            "Recommending enterprise: %(enterprise)s", enterprise="__NAME__"
        ),
        "noProjects": _("No project of your enterprise matches."),
        "enterCodeFirst": _("Enter a valid referral code first."),
        "chooseSociety": _("Choose the intended assessing society"),
        "chooseFieldFirst": _("Choose your field first"),
        "noSociety": _("No national society assesses this field yet."),
        "failed": _("The check could not be done now. You can still save or submit."),
        "leave": _("Leave this page? What you typed since the last save will be lost."),
    }


# --- JSON for the page's script ------------------------------------------------------


def _json_login_required(view):
    """Like applicant_required, answering JSON instead of the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return jsonify(ok=False, message=_("Log in again to continue.")), 401
        return view(*args, **kwargs)

    return wrapper


def _rate_limited(name: str) -> bool:
    """True once the account used up this endpoint's allowance. Counted in the
    storage RATELIMIT_STORAGE_URI names (memory by default, Redis with several app
    servers)."""
    limiter = current_app.extensions.get("site_rate_limiter")
    if limiter is None:
        storage = storage_from_string(
            current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
        )
        limiter = current_app.extensions["site_rate_limiter"] = MovingWindowRateLimiter(
            storage
        )
    for item in _limits(name):
        if not limiter.hit(item, "site-application", name, str(current_user.id)):
            logger.warning("account %s over the %s limit", current_user.id, name)
            return True
    return False


def _limits(name: str):
    configured = current_app.config.get("SITE_RATE_LIMITS", {}).get(
        name, RATE_LIMITS[name]
    )
    return [parse(part) for part in configured.split(";") if part.strip()]


def _too_many():
    return jsonify(
        ok=False, message=_("Too many requests. Wait a minute and try again.")
    ), 429


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/application/code")
@_json_login_required
def apply_code_check():
    """The live check of a referral code: the enterprise's name, or why not. Nothing
    else about the code or its channel is told."""
    if _rate_limited("code"):
        return _too_many()
    code, problem = applications.usable_code(request.args.get("code"), current_user.id)
    if code is None:
        return _no_store(jsonify(ok=False, message=str(problem)))
    return _no_store(jsonify(ok=True, enterprise=code.channel.name))


@blueprint.route("/application/projects")
@_json_login_required
def apply_projects():
    """Autocomplete of 所在项目 over the code's enterprise and its parent."""
    if _rate_limited("projects"):
        return _too_many()
    rows = applications.projects_for_code(
        request.args.get("code"), request.args.get("q"), account_id=current_user.id
    )
    projects = [
        {
            "id": row.id,
            "name": row.name,
            "country": row.country,
            "country_name": country_name(row.country),
        }
        for row in rows
    ]
    return _no_store(jsonify(ok=True, projects=projects))


@blueprint.route("/application/societies")
@_json_login_required
def apply_societies():
    """意向评价学会 for a field: the national societies that assess it."""
    if _rate_limited("societies"):
        return _too_many()
    field_id = _as_id(request.args.get("field_id"))
    rows = applications.assessing_societies(field_id) if field_id else []
    return jsonify(
        ok=True, societies=[{"id": row.id, "name": row.name} for row in rows]
    )
