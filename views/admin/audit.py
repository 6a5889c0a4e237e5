"""Platform administrator: the audit log, read-only."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import AuditEntry
from app.services.audit import action_title
from app.times import format_local_seconds
from views.admin.base import HardenedModelView, blank

# The audited tables as the log names them to a person.
TARGET_TITLES = {
    "ab_user": _l("Account"),
    "identities": _l("Identity"),
    "societies": _l("Society"),
    "fields": _l("Field"),
    "specialties": _l("Specialty"),
    "channels": _l("Channel"),
    "referral_codes": _l("Referral code"),
    "projects": _l("Project"),
    "prospective_applications": _l("Prospective application"),
    "member_applications": _l("Member application"),
    "review_reasons": _l("Common reason"),
    "consultations": _l("Consultation"),
    "site_contents": _l("Site content"),
}


class AuditLogView(HardenedModelView, ModelView):
    """Every recorded change with who, identity, when, before and after."""

    route_base = "/audit-log"
    datamodel = SQLAInterface(AuditEntry)
    base_permissions = ["can_list", "can_show"]
    base_order = ("id", "desc")
    list_columns = ["at", "actor", "identity", "action", "target_type", "target_id"]
    show_columns = ["at", "actor", "identity", "action", "target_type", "target_id", "before", "after"]
    search_columns = ["action", "target_type", "target_id"]  # FAB's date filter works in UTC: left out
    formatters_columns = {
        "action": action_title,
        "at": format_local_seconds,
        "identity": blank,
        "actor": blank,
        "target_id": blank,
        "target_type": lambda value: str(TARGET_TITLES.get(value, value)),
    }
    label_columns = {
        "at": _l("Time"),
        "actor": _l("Account"),
        "identity": _l("Identity"),
        "action": _l("Action"),
        "target_type": _l("Object"),
        "target_id": _l("Object id"),
        "before": _l("Before"),
        "after": _l("After"),
    }
    list_title = show_title = _l("Audit log")
