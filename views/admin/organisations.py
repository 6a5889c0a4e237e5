"""Platform administrator: societies, fields and specialties, and all channels read-only."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.db import write_transaction
from app.models import Channel, Field, Society, SocietyKind, Specialty
from app.services.audit import record_change
from app.services.channels import ensure_society_root
from app.times import format_local
from views.admin.base import (
    HardenedModelView,
    active_identity,
    blank,
    enabled_title,
    yes_no,
)

CHANNEL_LEVEL_TITLES = {
    0: _l("Society channel"),
    1: _l("Level-1 enterprise"),
    2: _l("Level-2 enterprise"),
}


class SocietiesView(HardenedModelView, ModelView):
    """全国学会 and 地方工程师学会; each gets its own root channel."""

    route_base = "/societies"
    datamodel = SQLAInterface(Society)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["name", "kind_title", "province", "active"]
    show_columns = ["name", "kind_title", "province", "fields", "active", "created_at"]
    add_columns = edit_columns = ["name", "kind", "province", "fields", "active"]
    search_columns = ["name", "kind", "province"]
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=lambda: [(kind.value, kind.title) for kind in SocietyKind])
    }
    label_columns = {
        "name": _l("Society name"),
        "kind": _l("Kind"),
        "kind_title": _l("Kind"),
        "province": _l("Province"),
        "fields": _l("Fields it assesses"),
        "active": _l("Active"),
        "created_at": _l("Created at"),
    }
    formatters_columns = {"active": yes_no, "created_at": format_local, "province": blank}
    list_title = show_title = add_title = edit_title = _l("Societies")

    def post_add(self, item: Society) -> None:
        with write_transaction():
            ensure_society_root(item)
            record_change("society.create", item, actor=active_identity(), after={"name": item.name, "kind": item.kind})


class FieldsView(HardenedModelView, ModelView):
    """领域."""

    route_base = "/fields"
    datamodel = SQLAInterface(Field)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["name", "position"]
    add_columns = edit_columns = show_columns = ["name", "position"]
    label_columns = {"name": _l("Field"), "position": _l("Order")}
    list_title = show_title = add_title = edit_title = _l("Fields")


class SpecialtiesView(HardenedModelView, ModelView):
    """专业."""

    route_base = "/specialties"
    datamodel = SQLAInterface(Specialty)
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["field", "name", "position"]
    add_columns = edit_columns = show_columns = ["field", "name", "position"]
    label_columns = {"field": _l("Field"), "name": _l("Specialty"), "position": _l("Order")}
    list_title = show_title = add_title = edit_title = _l("Specialties")


class ChannelsReadView(HardenedModelView, ModelView):
    """Every channel of every society, read-only."""

    route_base = "/all-channels"
    datamodel = SQLAInterface(Channel)
    base_permissions = ["can_list", "can_show"]
    list_columns = ["name", "society", "level", "parent", "quota", "enabled"]
    show_columns = ["name", "society", "level", "parent", "quota", "enabled", "created_at", "updated_at"]
    search_columns = ["name", "level", "enabled"]
    label_columns = {
        "name": _l("Channel name"),
        "society": _l("Society"),
        "level": _l("Level"),
        "parent": _l("Parent channel"),
        "quota": _l("Codes allocated"),
        "enabled": _l("Enabled"),
        "created_at": _l("Created at"),
        "updated_at": _l("Updated at"),
    }
    formatters_columns = {
        "level": lambda value: str(CHANNEL_LEVEL_TITLES.get(value, value)),
        "enabled": enabled_title,
        "parent": blank,
        "quota": blank,
        "created_at": format_local,
        "updated_at": format_local,
    }
    list_title = show_title = _l("All channels")
