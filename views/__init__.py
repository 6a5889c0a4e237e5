"""Registration of every backend view and menu, and the plain blueprints."""

from flask_babel import lazy_gettext as _l

from app.times import format_local
from app.validation import mask_mobile


def register_views(app, appbuilder) -> None:
    """Menus are named by ASCII keys (they are permission names) and labelled in Chinese
    through the catalogs."""
    from views import account_setup
    from views.admin.accounts import AccountsView, IdentitiesView
    from views.admin.audit import AuditLogView
    from views.admin.channels import SocietyChannelsView, SubChannelsView
    from views.admin.codes import CodesView
    from views.admin.consultations import ConsultationsView
    from views.admin.identities import IdentityView
    from views.admin.members import MemberImportView, MemberReviewView
    from views.admin.organisations import ChannelsReadView, FieldsView, SocietiesView, SpecialtiesView
    from views.admin.outbox import OutboxView
    from views.admin.overviews import AssessmentOverviewView, ProspectOverviewView
    from views.admin.projects import DispatchProjectsView, KeyProjectsView
    from views.admin.reviews import ReviewReasonsView, ReviewView
    from views.admin.site_content import SiteContentView

    channel_menu = {"category": "ChannelManagement", "category_label": _l("Channel application management"), "category_icon": "fa-sitemap"}
    appbuilder.add_view(SocietyChannelsView, "EnterpriseChannels", label=_l("Enterprise channel settings"), icon="fa-building", **channel_menu)
    appbuilder.add_view(SubChannelsView, "SubEnterpriseChannels", label=_l("Level-2 enterprise channel settings"), icon="fa-building-o", **channel_menu)
    appbuilder.add_view(ProspectOverviewView, "ProspectOverview", label=_l("Overview of prospective assessment applicants"), icon="fa-users")
    appbuilder.add_view(AssessmentOverviewView, "AssessmentOverview", label=_l("Overview of assessment applicants"), icon="fa-id-card")
    project_menu = {"category": "ProjectManagement", "category_label": _l("Project management"), "category_icon": "fa-globe"}
    appbuilder.add_view(KeyProjectsView, "KeyProjects", label=_l("Enterprise overseas key projects"), **project_menu)
    appbuilder.add_view(DispatchProjectsView, "DispatchProjects", label=_l("Planned overseas dispatch key projects"), **project_menu)
    review_menu = {"category": "SocietyReview", "category_label": _l("Society review"), "category_icon": "fa-check-square-o"}
    appbuilder.add_view(ReviewView, "ProspectReview", label=_l("Review of prospective assessment applications"), icon="fa-inbox", **review_menu)
    appbuilder.add_view(ReviewReasonsView, "ReviewReasons", label=_l("Common reasons"), icon="fa-comment-o", **review_menu)
    appbuilder.add_view(MemberReviewView, "MemberReview", label=_l("Review of registered engineering member applications"), icon="fa-id-badge", **review_menu)
    appbuilder.add_view(MemberImportView, "MemberImport", label=_l("Import of assessment results"), icon="fa-upload", **review_menu)
    appbuilder.add_view(ConsultationsView, "Consultations", label=_l("Consultation guidance"), icon="fa-comments")
    appbuilder.add_view_no_menu(CodesView)
    appbuilder.add_view_no_menu(IdentityView)

    platform = {"category": "Platform", "category_label": _l("Platform management"), "category_icon": "fa-cogs"}
    appbuilder.add_view(SocietiesView, "Societies", label=_l("Societies"), **platform)
    appbuilder.add_view(FieldsView, "Fields", label=_l("Fields"), **platform)
    appbuilder.add_view(SpecialtiesView, "Specialties", label=_l("Specialties"), **platform)
    appbuilder.add_view(ChannelsReadView, "AllChannels", label=_l("All channels"), **platform)
    appbuilder.add_view(AccountsView, "Accounts", label=_l("Accounts"), **platform)
    appbuilder.add_view(IdentitiesView, "Identities", label=_l("Identities"), **platform)
    appbuilder.add_view(AuditLogView, "AuditLog", label=_l("Audit log"), **platform)
    appbuilder.add_view(OutboxView, "Outbox", label=_l("Outbox"), **platform)
    appbuilder.add_view(SiteContentView, "SiteContent", label=_l("Site content"), **platform)

    app.register_blueprint(account_setup.blueprint)

    from views import site
    from views.site import accounts, applications, center, home, members  # noqa: F401  (routes)

    app.register_blueprint(site.blueprint, url_prefix="/apply")
    app.jinja_env.filters["mask_mobile"] = mask_mobile
    app.jinja_env.filters["local_datetime"] = _local_datetime
    app.jinja_env.filters["state_title"] = _state_title
    app.jinja_env.globals["consultations_of"] = _consultations_of


def _local_datetime(value) -> str:
    """A stored UTC time shown in Asia/Shanghai (app/times.py)."""
    return format_local(value)


def _state_title(value: str | None) -> str:
    """The translated title of a prospective application state."""
    from app.models import ProspectiveState

    return ProspectiveState(value).title if value else ""


def _consultations_of(rows) -> dict:
    """个人中心: the consultation (or None: requested) of each of the logged-in
    applicant's applications that has or wants one, by application id."""
    from flask_login import current_user

    from app.services import consultations

    if not current_user.is_authenticated:
        return {}
    return consultations.for_applicant(current_user.id, rows)
