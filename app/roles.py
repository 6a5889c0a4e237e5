"""Backend roles: which screens each identity may open (rows are scoped in app/scoping.py).

Flask-AppBuilder checks a permission name against a view or menu name; the roles are
built in (config FAB_ROLES) so they need no permission rows in the database.
"""

from app.models import Channel, Identity, IdentityKind

PLATFORM_ADMIN = "platform_admin"
SOCIETY_ADMIN = "society_admin"
SOCIETY_CONTACT = "society_contact"
ENTERPRISE_L1 = "enterprise_contact_l1"
ENTERPRISE_L2 = "enterprise_contact_l2"

_ACCOUNT_SELF = [
    ["^UserDBModelView$", "^can_userinfo$"],
    # FAB's ResetMyPasswordView asks for no current password: /account/password instead.
    ["^UserInfoEditView$", "^can_this_form_(get|post)$"],
    ["^HomeIndexView$", "^can_.*$"],
]


def _views(*names: str) -> list[list[str]]:
    return [[f"^({'|'.join(names)})$", "^can_.*$"]]


def _menus(*names: str) -> list[list[str]]:
    return [[f"^({'|'.join(names)})$", "^menu_access$"]]


_ENTERPRISE_COMMON = ["ProspectOverviewView", "AssessmentOverviewView", "CodesView", "KeyProjectsView", "DispatchProjectsView"]
_ENTERPRISE_MENUS = ["ProspectOverview", "AssessmentOverview", "ProjectManagement", "KeyProjects", "DispatchProjects"]

FAB_ROLES = {
    PLATFORM_ADMIN: _ACCOUNT_SELF
    + _views("SocietiesView", "FieldsView", "SpecialtiesView", "AccountsView", "IdentitiesView", "AuditLogView", "OutboxView", "ChannelsReadView", "SiteContentView")
    + _menus("Platform", "Societies", "Fields", "Specialties", "Accounts", "Identities", "AuditLog", "Outbox", "AllChannels", "SiteContent"),
    SOCIETY_ADMIN: _ACCOUNT_SELF,
    SOCIETY_CONTACT: _ACCOUNT_SELF
    + _views("SocietyChannelsView", "ProspectOverviewView", "AssessmentOverviewView")
    + _menus("ChannelManagement", "EnterpriseChannels", "ProspectOverview", "AssessmentOverview"),
    ENTERPRISE_L1: _ACCOUNT_SELF
    + _views(*_ENTERPRISE_COMMON, "SubChannelsView")
    + _menus(*_ENTERPRISE_MENUS, "ChannelManagement", "SubEnterpriseChannels"),
    ENTERPRISE_L2: _ACCOUNT_SELF + _views(*_ENTERPRISE_COMMON) + _menus(*_ENTERPRISE_MENUS),
    "public": [],
}


def role_name_for(identity: Identity, channel: Channel | None) -> str:
    """The backend role an identity acts with."""
    kind = IdentityKind(identity.kind)
    if kind == IdentityKind.ENTERPRISE_CONTACT:
        return ENTERPRISE_L1 if channel is not None and channel.level == 1 else ENTERPRISE_L2
    return {
        IdentityKind.PLATFORM_ADMIN: PLATFORM_ADMIN,
        IdentityKind.SOCIETY_ADMIN: SOCIETY_ADMIN,
        IdentityKind.SOCIETY_CONTACT: SOCIETY_CONTACT,
    }[kind]
