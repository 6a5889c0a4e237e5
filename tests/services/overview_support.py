"""A world for the overview and export tests (SPEC §5): two societies, enterprises at
both levels, applications in every state, and one identity of each kind.

    S1 root ─ A ─ A2          S2 root ─ C
            └ B ─ B2

Applications (key: channel, 意向评价学会, state):
    r1  S1 root  S1  submitted      a1  A   S1  submitted     a2  A   S2  approved
    x2  A2       S1  returned       b1  B   S1  rejected      y2  B2  S2  approved
    c1  C        S1  approved       c2  C   S2  submitted     r2  S2 root S2 withdrawn
    d1  A        S1  draft (never shown)
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from app.db import write_transaction
from app.extensions import db
from app.models import Field, IdentityKind, ProspectiveApplication
from app.services import accounts
from app.services.channels import create_enterprise, get_society_root
from app.services.organisations import create_society

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "secret-pass-1"


def utc(local: str) -> dt.datetime:
    """'2026-03-01 00:30' in Asia/Shanghai as the naive UTC time the database stores."""
    moment = dt.datetime.fromisoformat(local).replace(tzinfo=SHANGHAI)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


# key: (channel key, assessing society key, state, field key, level, consultation, local submitted time, name)
APPLICATIONS = {
    "r1": (
        "s1",
        "s1",
        "submitted",
        "civil",
        "professional",
        True,
        "2026-03-01 00:30",
        "甲申请人RONE",
    ),
    "a1": (
        "a",
        "s1",
        "submitted",
        "civil",
        "senior",
        False,
        "2026-03-01 23:50",
        "乙申请人AONE",
    ),
    "a2": (
        "a",
        "s2",
        "approved",
        "power",
        "professional",
        True,
        "2026-03-02 09:00",
        "丙申请人ATWO",
    ),
    "x2": (
        "a2",
        "s1",
        "returned",
        "power",
        "professional",
        False,
        "2026-02-28 23:59",
        "丁申请人XTWO",
    ),
    "b1": (
        "b",
        "s1",
        "rejected",
        "civil",
        "senior",
        False,
        "2026-03-03 12:00",
        "戊申请人BONE",
    ),
    "y2": (
        "b2",
        "s2",
        "approved",
        "civil",
        "senior",
        True,
        "2026-03-04 12:00",
        "己申请人YTWO",
    ),
    "c1": (
        "c",
        "s1",
        "approved",
        "power",
        "professional",
        False,
        "2026-03-05 12:00",
        "庚申请人CONE",
    ),
    "c2": (
        "c",
        "s2",
        "submitted",
        "civil",
        "professional",
        True,
        "2026-03-06 12:00",
        "辛申请人CTWO",
    ),
    "r2": (
        "s2",
        "s2",
        "withdrawn",
        "civil",
        "senior",
        False,
        "2026-03-07 12:00",
        "壬申请人RTWO",
    ),
    "d1": ("a", "s1", "draft", "civil", "senior", False, None, "癸申请人DRAFT"),
}

# Applicants' numbers, no two sharing a run of digits that a test searches for.
APPLICANT_MOBILES = {
    "r1": "13511112222",
    "a1": "13622223333",
    "a2": "13733334444",
    "x2": "13844445555",
    "b1": "13955556666",
    "y2": "15066667777",
    "c1": "15177778888",
    "c2": "15288889999",
    "r2": "15399990000",
    "d1": "15500001111",
}

# Which applications each identity's 拟参加 overview shows (SPEC §5 and the module
# docstring of app/services/overviews.py).
EXPECTED = {
    "admin": {"r1", "a1", "a2", "x2", "b1", "y2", "c1", "c2", "r2"},
    "s1_contact": {"r1", "a1", "a2", "x2", "b1", "y2"},
    "s2_contact": {"c1", "c2", "r2"},
    "s1_admin": {"r1", "a1", "a2", "x2", "b1", "y2", "c1"},
    "s2_admin": {"c1", "c2", "r2", "a2", "y2"},
    "a": {"a1", "a2", "x2"},
    "a2": {"x2"},
    "b": {"b1", "y2"},
    "c": {"c1", "c2"},
}
# Whose full mobile number each identity sees (others masked).
FULL_MOBILES = {
    "admin": EXPECTED["admin"],
    "s1_contact": {"r1"},
    "s2_contact": {"r2"},
    "s1_admin": {"r1", "a1", "x2", "b1", "c1"},
    "s2_admin": {"a2", "y2", "c2", "r2"},
    "a": {"a1", "a2"},
    "a2": {"x2"},
    "b": {"b1"},
    "c": {"c1", "c2"},
}


@dataclass
class OverviewWorld:
    """Ids and strings of the world (no ORM objects: tests open their own sessions)."""

    society_ids: dict[str, int] = field(default_factory=dict)
    society_names: dict[str, str] = field(default_factory=dict)
    channel_ids: dict[str, int] = field(default_factory=dict)
    channel_names: dict[str, str] = field(default_factory=dict)
    field_ids: dict[str, int] = field(default_factory=dict)
    application_ids: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    mobiles: dict[str, str] = field(default_factory=dict)
    identities: dict[str, tuple[int, int]] = field(
        default_factory=dict
    )  # key -> (account, identity)

    def key_of(self, application_id: int) -> str:
        return {pk: key for key, pk in self.application_ids.items()}[application_id]

    def keys(self, ids) -> set[str]:
        return {self.key_of(pk) for pk in ids}


def masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[7:]}"


def build_world(app) -> OverviewWorld:
    """Create the world in a context of its own and hand back ids and strings."""
    w = OverviewWorld()
    with app.app_context():
        with write_transaction():
            fields = {
                "civil": Field(name="土木工程", position=1),
                "power": Field(name="电气工程", position=2),
            }
            db.session.add_all(fields.values())
            db.session.flush()
            w.field_ids = {key: row.id for key, row in fields.items()}
        s1 = create_society("学会一甲SOCONE", "national")
        s2 = create_society("学会二乙SOCTWO", "national")
        w.society_ids = {"s1": s1.id, "s2": s2.id}
        w.society_names = {"s1": s1.name, "s2": s2.name}
        root1, root2 = get_society_root(s1), get_society_root(s2)
        channels = {"s1": root1, "s2": root2}
        channels["a"] = create_enterprise(root1, "甲企业ALPHAENT", 4, actor=None)
        channels["b"] = create_enterprise(root1, "乙企业BRAVOENT", 4, actor=None)
        channels["a2"] = create_enterprise(
            channels["a"], "甲二级ALPHASUB", 1, actor=None
        )
        channels["b2"] = create_enterprise(
            channels["b"], "乙二级BRAVOSUB", 1, actor=None
        )
        channels["c"] = create_enterprise(root2, "丙企业CHARLIEENT", 4, actor=None)
        w.channel_ids = {key: row.id for key, row in channels.items()}
        w.channel_names = {key: row.name for key, row in channels.items()}

        mobiles = iter(f"186{n:08d}" for n in range(10_000_001, 10_000_100))
        with write_transaction():
            for key, (
                channel,
                society,
                state,
                field_key,
                level,
                consult,
                local,
                name,
            ) in APPLICATIONS.items():
                mobile = APPLICANT_MOBILES[key]
                applicant = accounts.create_account(
                    name=name[:25], mobile=mobile, password=PASSWORD
                )
                row = ProspectiveApplication(
                    applicant_id=applicant.id,
                    route="society" if channel in ("s1", "s2") else "enterprise",
                    channel_id=w.channel_ids[channel],
                    name=name,
                    mobile=mobile,
                    field_id=w.field_ids[field_key],
                    employer="某单位",
                    country="CN",
                    assessing_society_id=w.society_ids[society],
                    level=level,
                    practice="工程实践经历" * 20,
                    wants_consultation=consult,
                    state=state,
                    submitted_at=utc(local) if local else None,
                )
                db.session.add(row)
                db.session.flush()
                w.application_ids[key] = row.id
                w.names[key] = name
                w.mobiles[key] = mobile

        def identity(key, name, kind, **where):
            with write_transaction():
                account = accounts.create_account(
                    name=name, mobile=next(mobiles), password=PASSWORD
                )
                made = accounts.add_identity(account, kind, **where)
                w.identities[key] = (account.id, made.id)

        identity("admin", "平台管理员", IdentityKind.PLATFORM_ADMIN)
        identity("s1_contact", "学会一联系人", IdentityKind.SOCIETY_CONTACT, society=s1)
        identity("s2_contact", "学会二联系人", IdentityKind.SOCIETY_CONTACT, society=s2)
        identity("s1_admin", "学会一管理员", IdentityKind.SOCIETY_ADMIN, society=s1)
        identity("s2_admin", "学会二管理员", IdentityKind.SOCIETY_ADMIN, society=s2)
        for key in ("a", "a2", "b", "c"):
            identity(
                key,
                f"联系人{key.upper()}",
                IdentityKind.ENTERPRISE_CONTACT,
                channel=channels[key],
            )
        db.session.remove()
    return w
