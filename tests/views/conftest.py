"""Fixtures of the view tests: a two-society world for the scoping tests, and requests
that each run in their own application context, as they do behind a real server.

The ``app`` fixture keeps one application context pushed for the whole test, and the
test client reuses a pushed context: every request would then share one database
session (its identity map and the row scope the request switched on) with the test
code and with the other requests. ``own_contexts`` pops that context for the test so
that each request gets a fresh context and session; test code opens its own with
``with app.app_context():``.
"""

import datetime as dt
from dataclasses import dataclass, field

import pytest
from flask import globals as flask_globals
from sqlalchemy import select

from app.extensions import db

PASSWORD = "secret-pass-1"


@pytest.fixture
def own_contexts(app):
    ctx = flask_globals._cv_app.get(None)
    assert ctx is not None and ctx.app is app
    db.session.remove()
    ctx.pop()
    yield app
    ctx.push()


@dataclass
class Org:
    """Ids and visible strings of one enterprise channel and what hangs on it."""

    channel_id: int
    name: str
    code_ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    project_ids: dict[str, list[int]] = field(default_factory=dict)  # kind -> ids
    project_names: list[str] = field(default_factory=list)
    applicant_names: list[str] = field(default_factory=list)
    application_ids: list[int] = field(default_factory=list)
    contact_account_id: int | None = None
    contact_identity_id: int | None = None
    contact_name: str = ""
    contact_mobile: str = ""

    @property
    def all_project_ids(self) -> list[int]:
        return [pk for ids in self.project_ids.values() for pk in ids]

    def secrets(self) -> list[str]:
        """Strings that must never reach another organisation's pages."""
        return [self.name, *self.codes, *self.project_names, *self.applicant_names, self.contact_name]


@dataclass
class ScopingWorld:
    """S1 with level-1 A and B (each with a level-2 child), S2 with level-1 C."""

    s1_id: int
    s1_name: str
    s1_root_id: int
    s2_id: int
    s2_name: str
    s2_root_id: int
    a: Org
    a2: Org
    b: Org
    b2: Org
    c: Org
    c2: Org
    s1_contact: tuple[int, int]  # account id, identity id
    s2_contact: tuple[int, int]
    s1_admin: tuple[int, int]
    outbox_ids: list[int]
    audit_ids_b: list[int]
    audit_ids_c: list[int]

    def foreign_orgs(self) -> list[Org]:
        """What A's contact must never see: its sibling B's subtree and the other society."""
        return [self.b, self.b2, self.c, self.c2]


def _projects(org: Org, tag: str) -> None:
    from app.db import write_transaction
    from app.models import Project, ProjectKind

    with write_transaction():
        for kind in ProjectKind:
            rows = [
                Project(channel_id=org.channel_id, kind=kind.value, name=f"{tag}{kind.value}项目{n}", country="SG", active=True)
                for n in (1, 2)
            ]
            db.session.add_all(rows)
            db.session.flush()
            org.project_ids[kind.value] = [row.id for row in rows]
            org.project_names += [row.name for row in rows]


def _codes(org: Org) -> None:
    from app.models import ReferralCode

    rows = db.session.scalars(select(ReferralCode).where(ReferralCode.channel_id == org.channel_id).order_by(ReferralCode.id)).all()
    org.code_ids = [row.id for row in rows]
    org.codes = [row.code for row in rows]


def _application(org: Org, name: str, mobile: str) -> None:
    """A submitted prospective application through one of the org's codes, by an
    applicant of its own (an applicant has one active application)."""
    from app.db import write_transaction
    from app.models import CodeState, ProspectiveApplication, ReferralCode
    from app.models.base import utcnow
    from app.services import accounts

    with write_transaction():
        applicant_id = accounts.create_account(name=name[:25], mobile=mobile, password=PASSWORD).id
        code = db.session.get(ReferralCode, org.code_ids[0])
        code.state = CodeState.USED.value
        code.used_at = utcnow()
        row = ProspectiveApplication(
            applicant_id=applicant_id,
            referral_code_id=code.id,
            channel_id=org.channel_id,
            name=name,
            mobile=mobile,
            level="professional",
            state="submitted",
            submitted_at=utcnow() - dt.timedelta(days=1),
            wants_consultation=False,
        )
        if hasattr(ProspectiveApplication, "route"):
            row.route = "enterprise"
        db.session.add(row)
        db.session.flush()
        org.application_ids.append(row.id)
        org.applicant_names.append(name)


@pytest.fixture
def scoping_world(app, world) -> ScopingWorld:
    """Build the world in its own context and hand back ids and strings only."""
    from app.db import write_transaction
    from app.models import AuditEntry, IdentityKind, OutboxMessage
    from app.services import outbox

    with app.app_context():
        s1 = world.society("学会一甲SOCONE", "national")
        s2 = world.society("学会二乙SOCTWO", "national")
        root1, root2 = world.root(s1), world.root(s2)
        channels = {
            "a": world.enterprise(root1, "甲企业ALPHAENT", 6),
            "b": world.enterprise(root1, "乙企业BRAVOENT", 6),
        }
        channels["a2"] = world.enterprise(channels["a"], "甲二级ALPHASUB", 2)
        channels["b2"] = world.enterprise(channels["b"], "乙二级BRAVOSUB", 2)
        channels["c"] = world.enterprise(root2, "丙企业CHARLIEENT", 6)
        channels["c2"] = world.enterprise(channels["c"], "丙二级CHARLIESUB", 2)
        orgs = {key: Org(channel_id=channel.id, name=channel.name) for key, channel in channels.items()}

        mobiles = iter(f"1390000{n:04d}" for n in range(1, 100))
        for key, org in orgs.items():
            _codes(org)
            _projects(org, f"{org.name}的")
            org.contact_name = f"联系人{key.upper()}CONTACTPERSON"
            org.contact_mobile = next(mobiles)
            org.contact_account_id, org.contact_identity_id = world.account(
                org.contact_name, org.contact_mobile, IdentityKind.ENTERPRISE_CONTACT, channel=channels[key]
            )
        for key, org in orgs.items():
            _application(org, f"申请人{key.upper()}APPLICANTNAME", next(mobiles))
        s1_contact = world.account("学会一联系人", next(mobiles), IdentityKind.SOCIETY_CONTACT, society=s1)
        s2_contact = world.account("学会二联系人", next(mobiles), IdentityKind.SOCIETY_CONTACT, society=s2)
        s1_admin = world.account("学会一管理员", next(mobiles), IdentityKind.SOCIETY_ADMIN, society=s1)
        # A message in the outbox (the SMS of a share), so that its pages have a row.
        with write_transaction():
            outbox.queue_sms(orgs["b"].contact_mobile, f"{orgs['b'].name} {orgs['b'].codes[1]}")
        outbox_ids = list(db.session.scalars(select(OutboxMessage.id)))
        audit = {
            key: list(db.session.scalars(select(AuditEntry.id).where(AuditEntry.target_type == "channels", AuditEntry.target_id == orgs[key].channel_id)))
            for key in ("b", "c")
        }
        result = ScopingWorld(
            s1_id=s1.id,
            s1_name=s1.name,
            s1_root_id=root1.id,
            s2_id=s2.id,
            s2_name=s2.name,
            s2_root_id=root2.id,
            s1_contact=s1_contact,
            s2_contact=s2_contact,
            s1_admin=s1_admin,
            outbox_ids=outbox_ids,
            audit_ids_b=audit["b"],
            audit_ids_c=audit["c"],
            **orgs,
        )
    return result
