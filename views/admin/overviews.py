"""拟参加工程能力评价人员总览 and 工程能力评价人员总览, with their Excel exports.

The rows, filters and who sees what are app/services/overviews.py; the files are
app/services/exports.py. Filters come from the query string on the list and from
the posted form on the export (a POST: it writes the audit log)."""

from flask import flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.models.applications import MEMBER_LEVEL_TITLES
from app.services import exports, overviews
from app.services.overviews import MEMBER_STAGES, STAGE_TITLES, OverviewKind
from views.admin.base import active_identity, page_args

MAX_PAGE = 1_000_000


def send_export(export: exports.ExportFile):
    """The finished file as a download that no cache keeps."""
    response = send_file(
        export.file,
        mimetype=exports.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=export.download_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


class OverviewView(BaseView):
    """One overview: filters, figures, sortable columns, pages and the export."""

    default_view = "list"
    kind: OverviewKind
    template = ""

    @expose("/")
    @has_access
    def list(self):
        identity = active_identity()
        page, per_page = page_args(request)
        page = min(page, MAX_PAGE)  # (an OFFSET past 64 bits fails in the database)
        filters = overviews.read_filters(identity, self.kind, request.args)
        result = overviews.page_of(identity, filters, page, per_page)
        return self.render_template(
            self.template,
            identity=identity,
            rows=result.rows,
            total=result.total,
            page=page,
            per_page=per_page,
            filters=filters,
            figures=overviews.header_figures(identity, self.kind),
            field_choices=overviews.field_choices(),
            channel_choices=overviews.channel_choices(identity),
            levels=list(MEMBER_LEVEL_TITLES.items()),
            states=overviews.SHOWN_STATES,
            stages=[(stage, STAGE_TITLES[stage]) for stage in MEMBER_STAGES],
            ignored=", ".join(filters.ignored),
        )

    @expose("/export", methods=["POST"])
    @has_access
    def export(self):
        identity = active_identity()
        filters = overviews.read_filters(identity, self.kind, request.form)
        if not filters.ok:
            flash(_("Correct the filters before exporting."), "danger")
            return redirect(url_for(f"{self.endpoint}.list", **filters.args()))
        return send_export(exports.export_overview(identity, filters))


class ProspectOverviewView(OverviewView):
    """拟参加工程能力评价人员总览, with the code figures of an enterprise contact."""

    route_base = "/prospect-overview"
    kind = OverviewKind.PROSPECT
    template = "admin/overviews/prospect.html"


class AssessmentOverviewView(OverviewView):
    """工程能力评价人员总览: people in the member stage and their progress."""

    route_base = "/assessment-overview"
    kind = OverviewKind.ASSESSMENT
    template = "admin/overviews/assessment.html"
