"""The backend home page of the active identity: its figures and the funnel from codes
to registered members (app/services/figures.py)."""

from flask import current_app, g
from flask_appbuilder import IndexView, expose

from app.models import ConsultationStep, IdentityKind
from app.services import figures

# The society review queue (views/admin/reviews.py), linked when it is registered.
REVIEW_VIEW = "ReviewView"


def _review_endpoint() -> str | None:
    """The review queue's endpoint when that view is registered, else None."""
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == REVIEW_VIEW:
            endpoint = f"{view.endpoint}.{view.default_view}"
            return endpoint if endpoint in current_app.view_functions else None
    return None


def _review_summary(identity):
    """Waiting and overdue applications (app/services/reviews.py), when it offers them."""
    try:
        from app.services import reviews
    except ImportError:  # the review service is not part of this build
        return None
    summary = getattr(reviews, "queue_summary", None)
    return summary(identity) if summary is not None else None


class HomeIndexView(IndexView):
    """Shows who is acting and the identity's figures."""

    route_base = ""
    index_template = "admin/home/index.html"

    @expose("/")
    def index(self):
        identity = g.get("identity")
        numbers = figures.home_figures(identity) if identity is not None else None
        is_society_admin = (
            identity is not None and identity.kind == IdentityKind.SOCIETY_ADMIN
        )
        return self.render_template(
            self.index_template,
            identity=identity,
            figures=numbers,
            is_society_admin=is_society_admin,
            review_endpoint=_review_endpoint() if is_society_admin else None,
            review_summary=_review_summary(identity) if is_society_admin else None,
            consultation_steps=list(ConsultationStep),
        )
