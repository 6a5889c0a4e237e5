"""工程项目管理: 企业海外重点项目 and 计划外派海外重点项目 of the contact's own enterprise."""

import logging

from flask import abort, flash, redirect, url_for
from flask_appbuilder import ModelView
from flask_appbuilder.widgets import ListWidget
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterEqualFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.db import write_transaction
from app.models import IdentityKind, Project, ProjectKind
from app.services.audit import record_change
from forms.admin.projects import ProjectForm
from views.admin.base import HardenedModelView, active_identity

logger = logging.getLogger(__name__)


def own_channel_id() -> int:
    """The enterprise channel of the active identity; never None (that would render IS NULL)."""
    identity = active_identity()
    if identity.kind != IdentityKind.ENTERPRISE_CONTACT or identity.channel_id is None:
        abort(403)
    return identity.channel_id


class ProjectListWidget(ListWidget):
    """新增 as a labelled button and 停用/启用 on each row (FAB hides both behind icons
    and a checkbox menu)."""

    template = "admin/projects/list_widget.html"


class ProjectsModelView(HardenedModelView, ModelView):
    """One list of projects; subclasses fix the kind."""

    list_widget = ProjectListWidget

    kind: ProjectKind
    datamodel = SQLAInterface(Project)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_toggle"]
    # The toggle action is checked as "can_toggle" (FAB would check "toggle", which no
    # role grants, so the action was refused to everyone).
    method_permission_name = {"toggle": "toggle"}
    add_form = edit_form = ProjectForm
    # FAB renders the columns it is given from the form; by default it takes every model
    # column (channel, kind, ...) and the add/edit pages fail on fields the form lacks.
    add_columns = edit_columns = ["name", "country", "start_date", "end_date", "description"]
    list_columns = ["name", "country_name", "start_date", "end_date", "active"]
    show_columns = ["name", "country_name", "start_date", "end_date", "description", "active", "created_at"]
    search_columns = ["name", "country"]
    order_columns = ["name", "start_date", "end_date"]
    base_order = ("id", "desc")
    formatters_columns = {
        "start_date": lambda value: value.isoformat() if value else "",
        "end_date": lambda value: value.isoformat() if value else "",
        "active": lambda value: _("In use") if value else _("Stopped"),
    }
    label_columns = {
        "name": _l("Project name"),
        "country": _l("Country (region)"),
        "country_name": _l("Country (region)"),
        "start_date": _l("Start date"),
        "end_date": _l("End date"),
        "description": _l("Description"),
        "active": _l("State"),
        "created_at": _l("Created at"),
    }

    def __init__(self, **kwargs):
        self.base_filters = [
            ["channel_id", FilterEqualFunction, own_channel_id],
            ["kind", FilterEqual, self.kind.value],
        ]
        super().__init__(**kwargs)

    def pre_add(self, item: Project) -> None:
        item.channel_id = own_channel_id()
        item.kind = self.kind.value
        item.active = True

    def post_add(self, item: Project) -> None:
        with write_transaction():
            record_change("project.create", item, actor=active_identity(), after={"name": item.name, "kind": item.kind})

    def pre_update(self, item: Project) -> None:
        if item.channel_id != own_channel_id() or item.kind != self.kind.value:
            abort(404)

    def post_update(self, item: Project) -> None:
        with write_transaction():
            record_change("project.update", item, actor=active_identity(), after={"name": item.name})

    @action("toggle", _l("Stop / resume use"), confirmation=None, icon="fa-toggle-on", multiple=True, single=True)
    def toggle(self, items):
        channel_id = own_channel_id()
        items = items if isinstance(items, list) else [items]
        if not items or any(item is None or item.channel_id != channel_id or item.kind != self.kind.value for item in items):
            abort(404)
        identity = active_identity()
        with write_transaction():
            for item in items:
                item.active = not item.active
                record_change(
                    "project.resume" if item.active else "project.stop", item, actor=identity, after={"active": item.active}
                )
        flash(_("%(count)d projects updated.", count=len(items)), "success")
        return redirect(url_for(f"{self.endpoint}.list"))


class KeyProjectsView(ProjectsModelView):
    """企业海外重点项目."""

    kind = ProjectKind.KEY
    route_base = "/key-projects"
    list_title = show_title = add_title = edit_title = _l("Enterprise overseas key projects")


class DispatchProjectsView(ProjectsModelView):
    """计划外派海外重点项目."""

    kind = ProjectKind.DISPATCH
    route_base = "/dispatch-projects"
    list_title = show_title = add_title = edit_title = _l("Planned overseas dispatch key projects")
