"""拟参加工程能力评价人员总览 and 工程能力评价人员总览 for channel identities."""

from flask import request
from flask_appbuilder import BaseView, expose, has_access

from app.models import ProspectiveState
from app.services import channels, overviews
from views.admin.base import active_identity, page_args


def _filters() -> dict:
    return {key: request.args.get(key, "")[:50] for key in ("name", "mobile", "state")}


class ProspectOverviewView(BaseView):
    """拟参加工程能力评价人员总览, with the code figures of an enterprise contact."""

    route_base = "/prospect-overview"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        identity = active_identity()
        page, per_page = page_args(request)
        filters = _filters()
        result = overviews.page_of(overviews.prospect_query(identity, filters), page, per_page)
        code_figures = channels.figures(identity.channel) if overviews.is_enterprise(identity) else None
        return self.render_template(
            "admin/overviews/prospect.html",
            identity=identity,
            code_figures=code_figures,
            rows=result.rows,
            total=result.total,
            page=page,
            per_page=per_page,
            filters=filters,
            states=[s for s in ProspectiveState if s != ProspectiveState.DRAFT],
            counts=overviews.header_counts(identity),
        )


class AssessmentOverviewView(BaseView):
    """工程能力评价人员总览: people in the member stage and their progress."""

    route_base = "/assessment-overview"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        identity = active_identity()
        page, per_page = page_args(request)
        filters = _filters()
        result = overviews.page_of(overviews.assessment_query(identity, filters), page, per_page)
        return self.render_template(
            "admin/overviews/assessment.html",
            identity=identity,
            rows=result.rows,
            total=result.total,
            page=page,
            per_page=per_page,
            filters=filters,
        )
