"""Platform administrator: accounts and their identities."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import Account, Identity
from app.times import format_local
from views.admin.base import HardenedModelView, blank, yes_no


class AccountsView(HardenedModelView, ModelView):
    """Accounts (智慧科协 platform accounts); passwords are never shown or set here."""

    route_base = "/accounts"
    datamodel = SQLAInterface(Account)
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_columns = ["display_name", "username", "mobile_masked", "email", "active", "last_login"]
    show_columns = ["display_name", "username", "mobile_masked", "email", "active", "identities", "last_login", "login_count"]
    edit_columns = ["first_name", "email", "active"]
    search_columns = ["username", "email", "mobile"]
    label_columns = {
        "display_name": _l("Name"),
        "first_name": _l("Name"),
        "username": _l("Login name"),
        "mobile_masked": _l("Mobile number"),
        "mobile": _l("Mobile number"),
        "email": _l("E-mail"),
        "active": _l("Active"),
        "identities": _l("Identities"),
        "last_login": _l("Last login"),
        "login_count": _l("Logins"),
    }
    formatters_columns = {"active": yes_no, "last_login": format_local, "email": blank, "login_count": blank}
    list_title = show_title = edit_title = _l("Accounts")


class IdentitiesView(HardenedModelView, ModelView):
    """Identities: which account acts for which society or channel."""

    route_base = "/identities"
    datamodel = SQLAInterface(Identity)
    # Identities are made by 设置联系人 and the `flask accounts create` command, where
    # their rules live; here the admin reads them and switches them on or off.
    base_permissions = ["can_list", "can_show", "can_edit"]
    list_columns = ["account", "kind_title", "society", "channel", "active", "created_at"]
    show_columns = list_columns
    edit_columns = ["active"]
    search_columns = ["kind", "active"]
    label_columns = {
        "account": _l("Account"),
        "kind": _l("Identity"),
        "kind_title": _l("Identity"),
        "society": _l("Society"),
        "channel": _l("Channel"),
        "active": _l("Active"),
        "created_at": _l("Created at"),
    }
    formatters_columns = {"active": yes_no, "created_at": format_local, "society": blank, "channel": blank}
    list_title = show_title = edit_title = _l("Identities")
