"""The backend home page of the active identity."""

from flask import g
from flask_appbuilder import IndexView, expose

from app.models import IdentityKind, ProspectiveState
from app.services import channels, overviews


class HomeIndexView(IndexView):
    """Shows who is acting and the identity's figures."""

    route_base = ""
    index_template = "admin/home/index.html"

    @expose("/")
    def index(self):
        identity = g.get("identity")
        code_figures = None
        counts = []
        if identity is not None and identity.kind == IdentityKind.ENTERPRISE_CONTACT:
            code_figures = channels.figures(identity.channel)
        if identity is not None and identity.kind in (IdentityKind.ENTERPRISE_CONTACT, IdentityKind.SOCIETY_CONTACT):
            by_state = overviews.header_counts(identity)
            counts = [(state.title, by_state.get(state.value, 0)) for state in ProspectiveState if state != ProspectiveState.DRAFT]
        return self.render_template(self.index_template, identity=identity, code_figures=code_figures, counts=counts)
