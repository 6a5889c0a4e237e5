"""The backend home page of the active identity: its figures and the funnel from codes
to registered members (app/services/figures.py)."""

from flask import current_app, g
from flask_appbuilder import IndexView, expose

from app.models import ConsultationStep, IdentityKind
from app.services import figures, reviews

# The society review queue (views/admin/reviews.py), linked when it is registered.
REVIEW_VIEW = "ReviewView"


def _review_endpoint() -> str | None:
    """The review queue's endpoint when that view is registered, else None."""
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == REVIEW_VIEW:
            endpoint = f"{view.endpoint}.{view.default_view}"
            return endpoint if endpoint in current_app.view_functions else None
    return None


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
            review_summary=reviews.queue_summary(identity),
            consultation_steps=list(ConsultationStep),
        )
