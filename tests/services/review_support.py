"""A world for the society review tests (学会审核): two national societies, each with a
super-admin, a platform admin, and applications submitted through the applicant
site's own service, addressed to one society or the other, through a society or an
enterprise of either society."""

from dataclasses import dataclass, field

from flask import current_app, has_app_context
from flask_appbuilder import Model
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import Identity, IdentityKind, ProspectiveApplication

PASSWORD = "review-pass-1"
PRACTICE = (
    "我负责海外输变电工程的设计与调试工作，主持完成多项电网改造项目。" * 4
)  # 128 characters

SNAPSHOT_TABLES = (
    "prospective_applications",
    "application_events",
    "messages",
    "outbox_messages",
    "audit_entries",
    "review_reasons",
    "referral_codes",
)

_built_for: dict = {}


def text_of(message) -> str:
    """A (lazy) message as the user reads it, in the default locale (Chinese)."""
    app = current_app._get_current_object() if has_app_context() else _built_for["app"]
    with app.test_request_context():
        return str(message)


@dataclass
class Applicant:
    """One submitted application and its applicant, as ids and visible strings."""

    key: str
    account_id: int
    application_id: int
    name: str
    mobile: str
    email: str
    society: str  # "s1" or "s2": the 意向评价学会
    level: str


@dataclass
class ReviewWorld:
    s1_id: int
    s1_name: str
    s2_id: int
    s2_name: str
    elec_field_id: int
    civil_field_id: int
    ent2_id: int
    ent2_name: str
    admin1: tuple[int, int]  # (account id, identity id): super-admin of S1
    admin1b: tuple[int, int]  # a second super-admin of S1
    admin2: tuple[int, int]  # super-admin of S2
    platform: tuple[int, int]
    contact1: tuple[int, int]  # channel contact of S1 (no review)
    applicants: dict[str, Applicant] = field(default_factory=dict)

    def of(self, society: str) -> list[Applicant]:
        return [item for item in self.applicants.values() if item.society == society]

    def ids(self, society: str) -> list[int]:
        return [item.application_id for item in self.of(society)]


def identity(identity_id: int) -> Identity:
    return db.session.get(Identity, identity_id)


def application(application_id: int) -> ProspectiveApplication:
    """The application read fresh (no identity map, no scope)."""
    db.session.rollback()
    return db.session.scalar(
        select(ProspectiveApplication)
        .where(ProspectiveApplication.id == application_id)
        .execution_options(populate_existing=True)
    )


def snapshot(app) -> dict:
    """Every row of the tables a decision writes, read on a connection of its own."""
    with app.app_context():
        with db.engine.connect() as connection:
            result = {}
            for name in SNAPSHOT_TABLES:
                table = Model.metadata.tables[name]
                rows = connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).all()
                result[name] = [tuple(row) for row in rows]
            return result


def _form(
    w: ReviewWorld, *, name, mobile, email, society, level, route, code=None
) -> dict:
    data = {
        "route": route,
        "name": name,
        "overseas": "0",
        "mobile": mobile,
        "email": email,
        "field_id": str(w.elec_field_id if society == "s1" else w.civil_field_id),
        "employer": "华东勘测设计研究院",
        "country": "CN",
        "assessing_society_id": str(w.s1_id if society == "s1" else w.s2_id),
        "level": level,
        "practice": PRACTICE,
        "wants_consultation": "0",
    }
    if route == "enterprise":
        data["referral_code"] = code
    else:
        data.update(
            society_kind="national",
            recommending_society_id=str(w.s1_id if society == "s1" else w.s2_id),
        )
    return data


# key, name, society, level, route
APPLICATIONS = (
    ("a1", "甲申请人ALPHAONE", "s1", "professional", "society"),
    ("a2", "乙申请人BRAVOTWO", "s1", "senior", "enterprise"),  # through S2's enterprise
    ("a3", "丙申请人CHARLIETHREE", "s1", "professional", "society"),
    ("b1", "丁申请人DELTAFOUR", "s2", "professional", "society"),
    ("b2", "戊申请人ECHOFIVE", "s2", "senior", "enterprise"),
)


def build(world, applications=APPLICATIONS) -> ReviewWorld:
    """Organisations, identities and submitted applications, through the services."""
    from app.models import ReferralCode
    from app.services import accounts, organisations
    from app.services import applications as applications_service

    _built_for["app"] = current_app._get_current_object()
    with write_transaction():
        elec = organisations.ensure_field("电气工程", ["电力系统"], 1)
        civil = organisations.ensure_field("土木工程", ["结构工程"], 2)
        elec_id, civil_id = elec.id, civil.id
    s1 = organisations.create_society(
        "电机学会REVONE", "national", fields=[db.session.get(type(elec), elec_id)]
    )
    s2 = organisations.create_society(
        "土木学会REVTWO", "national", fields=[db.session.get(type(civil), civil_id)]
    )
    ent2 = world.enterprise(world.root(s2), "中建八局REVENT", 5)
    w = ReviewWorld(
        s1_id=s1.id,
        s1_name=s1.name,
        s2_id=s2.id,
        s2_name=s2.name,
        elec_field_id=elec_id,
        civil_field_id=civil_id,
        ent2_id=ent2.id,
        ent2_name=ent2.name,
        admin1=world.account(
            "审核员甲REVIEWERONE",
            "13600000001",
            IdentityKind.SOCIETY_ADMIN,
            society=s1,
            password=PASSWORD,
        ),
        admin1b=world.account(
            "审核员乙REVIEWERTWO",
            "13600000002",
            IdentityKind.SOCIETY_ADMIN,
            society=s1,
            password=PASSWORD,
        ),
        admin2=world.account(
            "审核员丙REVIEWERTHREE",
            "13600000003",
            IdentityKind.SOCIETY_ADMIN,
            society=s2,
            password=PASSWORD,
        ),
        platform=world.account(
            "平台管理员", "13600000009", IdentityKind.PLATFORM_ADMIN, password=PASSWORD
        ),
        contact1=world.account(
            "学会联系人",
            "13600000008",
            IdentityKind.SOCIETY_CONTACT,
            society=s1,
            password=PASSWORD,
        ),
    )
    codes = iter(
        db.session.scalars(
            select(ReferralCode.code)
            .where(ReferralCode.channel_id == ent2.id)
            .order_by(ReferralCode.id)
        ).all()
    )
    for index, (key, name, society, level, route) in enumerate(applications):
        mobile, email = f"1391111{index:04d}", f"applicant{index}@example.com"
        with write_transaction():
            account_id = accounts.create_account(
                name=name[:25], email=email, mobile=mobile, password=PASSWORD
            ).id
        form = _form(
            w,
            name=name,
            mobile=mobile,
            email=email,
            society=society,
            level=level,
            route=route,
            code=next(codes) if route == "enterprise" else None,
        )
        row = applications_service.submit(account_id, form)
        w.applicants[key] = Applicant(
            key, account_id, row.id, name, mobile, email, society, level
        )
    db.session.commit()
    return w
