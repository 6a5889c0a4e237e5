"""Flask-AppBuilder's security manager, made to follow the active identity."""

import logging

from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager

from app.identities import clear_identity
from app.models import Account

logger = logging.getLogger(__name__)


class AssessSecurityManager(SecurityManager):
    """Roles come from the active identity only; the account's stored roles are unused."""

    user_model = Account
    userstatschartview = None

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
