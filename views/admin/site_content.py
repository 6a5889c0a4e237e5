"""Platform administrator: the applicant site's content (agreement, privacy policy,
contact page, introduction videos, the guide and its video)."""

import logging

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.db import write_transaction
from app.models import SiteContent
from app.services import site_content
from app.services.audit import record_change
from app.times import format_local
from forms.admin.site_content import SiteContentAddForm, SiteContentEditForm
from views.admin.base import HardenedModelView, active_identity, blank

logger = logging.getLogger(__name__)


def _summary(item: SiteContent) -> dict:
    return {
        "key": item.key,
        "title": item.title,
        "url": item.url,
        "file_name": item.file_name,
    }


class SiteContentView(HardenedModelView, ModelView):
    """One row per fixed item of app/services/site_content.KEYS."""

    route_base = "/site-content"
    datamodel = SQLAInterface(SiteContent)
    # no delete: an item is emptied by editing it, and then shows its default title
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    add_form = SiteContentAddForm
    edit_form = SiteContentEditForm
    add_columns = ["key", "title", "body", "url", "upload"]
    edit_columns = ["title", "body", "url", "upload", "remove_file"]
    list_columns = ["key", "title", "file_name", "url", "updated_at"]
    show_columns = [
        "key",
        "title",
        "body",
        "url",
        "file_name",
        "content_type",
        "updated_at",
    ]
    order_columns = ["key", "updated_at"]
    search_columns = ["key", "title"]
    base_order = ("id", "asc")
    formatters_columns = {
        "key": lambda value: str(site_content.KEYS.get(value, value)),
        "updated_at": format_local,
        "file_name": blank,
        "url": blank,
        "content_type": blank,
    }
    label_columns = {
        "key": _l("Item"),
        "title": _l("Title"),
        "body": _l("Text"),
        "url": _l("Address"),
        "upload": _l("File"),
        "remove_file": _l("Remove the current file"),
        "file_name": _l("File"),
        "content_type": _l("File type"),
        "updated_at": _l("Updated at"),
    }
    list_title = show_title = add_title = edit_title = _l("Site content")

    def post_add(self, item: SiteContent) -> None:
        self._audit(item)

    def post_update(self, item: SiteContent) -> None:
        self._audit(item)

    def _audit(self, item: SiteContent) -> None:
        with write_transaction():
            record_change(
                "site_content.update",
                item,
                actor=active_identity(),
                after=_summary(item),
            )
        logger.info("site content %s saved", item.key)
