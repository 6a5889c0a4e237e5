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

# The two overviews of SPEC §5 (their rows follow the identity: app/services/overviews.py).
_OVERVIEWS = _views("ProspectOverviewView", "AssessmentOverviewView") + _menus("ProspectOverview", "AssessmentOverview")

# 学会审核 (app/services/reviews.py): the super-admin decides and keeps its 常用理由; the
# platform admin reads every society's queue and applications (list and show only).
_REVIEW = _views("ReviewView", "ReviewReasonsView") + _menus("SocietyReview", "ProspectReview", "ReviewReasons")
_REVIEW_READ = [["^ReviewView$", "^can_(list|show)$"]] + _menus("SocietyReview", "ProspectReview")

# 注册工程会员申请审核 and 评价结果导入 (app/services/members.py): the super-admin decides
# and imports; the platform admin reads every society's applications and their photos.
_MEMBER_REVIEW = _views("MemberReviewView", "MemberImportView") + _menus("SocietyReview", "MemberReview", "MemberImport")
_MEMBER_REVIEW_READ = [["^MemberReviewView$", "^can_(list|show|photo)$"]] + _menus("SocietyReview", "MemberReview")

# 咨询指导 (app/services/consultations.py): arranged by the society super-admin only.
_CONSULTATIONS = _views("ConsultationsView") + _menus("Consultations")

FAB_ROLES = {
    PLATFORM_ADMIN: _ACCOUNT_SELF
    + _OVERVIEWS
    + _views("SocietiesView", "FieldsView", "SpecialtiesView", "AccountsView", "IdentitiesView", "AuditLogView", "OutboxView", "ChannelsReadView", "SiteContentView")
    + _menus("Platform", "Societies", "Fields", "Specialties", "Accounts", "Identities", "AuditLog", "Outbox", "AllChannels", "SiteContent")
    + _REVIEW_READ
    + _MEMBER_REVIEW_READ,
    SOCIETY_ADMIN: _ACCOUNT_SELF + _OVERVIEWS + _REVIEW + _CONSULTATIONS + _MEMBER_REVIEW,
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
