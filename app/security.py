"""Flask-AppBuilder's security manager, made to follow the active identity."""

import logging

from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    ViewMenuModelView,
)

from app.identities import clear_identity
from app.models import Account
from views.admin.base import HardenedModelView

logger = logging.getLogger(__name__)


def _hardened(view_class):
    """FAB's own ModelView with the product's hardening, under the same name (the
    permission names follow the class name)."""
    return type(view_class.__name__, (HardenedModelView, view_class), {"__module__": __name__})


class AssessSecurityManager(SecurityManager):
    """Roles come from the active identity only; the account's stored roles are unused."""

    user_model = Account
    userstatschartview = None
    # FAB's security screens (no role but the account's own profile pages reaches them)
    # get the same action, pre-fill and list-argument checks as the product's views.
    userdbmodelview = _hardened(UserDBModelView)
    rolemodelview = _hardened(RoleModelView)
    groupmodelview = _hardened(UserGroupModelView)
    permissionmodelview = _hardened(PermissionModelView)
    viewmenumodelview = _hardened(ViewMenuModelView)
    permissionviewmodelview = _hardened(PermissionViewModelView)

    def get_user_roles(self, user):
        if not user.is_authenticated:
            return [self.get_public_role()]
        role_name = g.get("identity_role")
        if not role_name:
            return []
        return [self.role_model(name=role_name)]

    def get_public_role(self):
        return self.role_model(name=self.auth_role_public)

    def on_user_login(self, user) -> None:
        clear_identity()
        logger.info("account %s logged in", user.id)

    def on_user_logout(self, user) -> None:
        clear_identity()
