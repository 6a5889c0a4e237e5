"""Platform administrator: the message outbox (SMS and e-mail), with retry."""

from flask import flash, redirect
from flask_appbuilder import ModelView
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.models import OutboxMessage, OutboxState
from app.services import outbox
from app.times import format_local_seconds
from views.admin.base import HardenedModelView, blank


class OutboxView(HardenedModelView, ModelView):
    """Queued, sent and failed messages with their attempts and errors."""

    route_base = "/outbox"
    datamodel = SQLAInterface(OutboxMessage)
    base_permissions = ["can_list", "can_show", "can_retry"]
    method_permission_name = {"retry": "retry"}  # checked as "can_retry", which the role grants
    base_order = ("id", "desc")
    list_columns = ["created_at", "channel", "recipient", "subject", "state_title", "attempts", "error"]
    show_columns = ["created_at", "channel", "recipient", "subject", "body", "state_title", "attempts", "error", "sent_at"]
    search_columns = ["channel", "state", "recipient"]
    formatters_columns = {
        "channel": lambda value: _("SMS") if value == "sms" else _("E-mail"),
        "created_at": format_local_seconds,
        "sent_at": format_local_seconds,
        "error": blank,
        "subject": blank,
    }
    label_columns = {
        "created_at": _l("Queued at"),
        "channel": _l("Channel"),
        "recipient": _l("Recipient"),
        "subject": _l("Subject"),
        "body": _l("Text"),
        "state": _l("State"),
        "state_title": _l("State"),
        "attempts": _l("Attempts"),
        "error": _l("Error"),
        "sent_at": _l("Sent at"),
    }
    list_title = show_title = _l("Outbox")

    @action("retry", _l("Send again"), confirmation=None, icon="fa-repeat")
    def retry(self, items):
        items = items if isinstance(items, list) else [items]
        ids = [item.id for item in items if item.state != OutboxState.SENT]
        outbox.deliver(ids)
        flash(_("%(count)d messages handed to the sender again.", count=len(ids)), "info")
        return redirect(self.get_redirect())
