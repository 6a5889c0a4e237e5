"""A small world for the consultation and home-figure tests, built through the services
where they exist and as plain rows for submitted applications (their submit is tested
in tests/site/).

Society S1 (national, assesses 土木工程) with its root channel, enterprise E1 (quota 6)
and its level-2 child E2 (quota 2); society S2 (national, assesses 土木工程 too) with
enterprise F1 (quota 3). A super-admin and a channel contact per society, a contact of
E1 and of E2, a platform admin. Applications (all submitted unless said):

    a  S1 route, addressed to S1, wants consultation
    b  code of E1, addressed to S1, wants consultation
    c  code of E1, addressed to S1, no consultation, approved
    d  code of F1, addressed to S2, wants consultation
    e  code of E2, addressed to S2, no consultation, returned  (E2 is S1's: channel ≠ assessor)
    f  S1 route, addressed to S1, wants consultation, draft
    g  code of E1, addressed to S1, withdrawn (its code given back)
"""

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import (
    CodeState,
    IdentityKind,
    ProspectiveApplication,
    ReferralCode,
)
from app.models.base import utcnow
from app.times import to_local

_built_for: dict = {}


def text_of(message) -> str:
    """A (lazy) message as a Chinese user reads it (default locale)."""
    app = current_app._get_current_object() if has_app_context() else _built_for["app"]
    with app.test_request_context():
        return str(message)


def local_input(moment_utc: dt.datetime) -> str:
    """A naive UTC time as the datetime-local text typed in Asia/Shanghai."""
    return to_local(moment_utc).strftime("%Y-%m-%dT%H:%M")


def future(**delta) -> dt.datetime:
    """Now plus ``delta``, naive UTC, to the minute (as a form carries it)."""
    return (utcnow() + dt.timedelta(**delta)).replace(second=0, microsecond=0)


@dataclass
class ConsultWorld:
    """Ids only; every test reads rows again in its own session."""

    s1_id: int
    s2_id: int
    s1_root_id: int
    e1_id: int
    e2_id: int
    f1_id: int
    admin1: tuple[int, int]  # account id, identity id
    admin2: tuple[int, int]
    contact1: tuple[int, int]
    contact2: tuple[int, int]
    e1_contact: tuple[int, int]
    e2_contact: tuple[int, int]
    platform: tuple[int, int]
    apps: dict[str, int] = field(default_factory=dict)
    applicants: dict[str, int] = field(default_factory=dict)
    mobiles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)


def _take_code(channel_id: int, *, shared: bool = False) -> int:
    """Mark the channel's first available code used (a submit claimed it)."""
    code = db.session.scalar(
        select(ReferralCode)
        .where(
            ReferralCode.channel_id == channel_id,
            ReferralCode.state == CodeState.AVAILABLE.value,
        )
        .order_by(ReferralCode.id)
    )
    code.state = CodeState.USED.value
    code.used_at = utcnow()
    if shared:
        code.shared_to = "13911110000"
        code.shared_at = utcnow()
    return code.id


def _share(channel_id: int, count: int) -> None:
    """Mark ``count`` available codes of the channel as sent by SMS."""
    rows = db.session.scalars(
        select(ReferralCode)
        .where(
            ReferralCode.channel_id == channel_id,
            ReferralCode.state == CodeState.AVAILABLE.value,
            ReferralCode.shared_at.is_(None),
        )
        .order_by(ReferralCode.id.desc())
        .limit(count)
    ).all()
    for row in rows:
        row.shared_to = "13922220000"
        row.shared_at = utcnow()


def build_consult_world(world) -> ConsultWorld:
    from app.services import accounts, organisations

    _built_for["app"] = current_app._get_current_object()
    with write_transaction():
        civil_id = organisations.ensure_field("土木工程", ["结构工程"], 1).id
    civil = db.session.get(
        type(organisations.ensure_field("土木工程", ["结构工程"], 1)), civil_id
    )
    s1 = organisations.create_society("中国土木工程学会", "national", fields=[civil])
    s2 = organisations.create_society("中国公路学会", "national", fields=[civil])
    root1, root2 = world.root(s1), world.root(s2)
    e1 = world.enterprise(root1, "中建八局", 6)
    e2 = world.enterprise(e1, "中建八局南方公司", 2)
    f1 = world.enterprise(root2, "中交一公局", 3)

    result = ConsultWorld(
        s1_id=s1.id,
        s2_id=s2.id,
        s1_root_id=root1.id,
        e1_id=e1.id,
        e2_id=e2.id,
        f1_id=f1.id,
        admin1=world.account(
            "学会一管理员", "13800001001", IdentityKind.SOCIETY_ADMIN, society=s1
        ),
        admin2=world.account(
            "学会二管理员", "13800001002", IdentityKind.SOCIETY_ADMIN, society=s2
        ),
        contact1=world.account(
            "学会一联系人", "13800001003", IdentityKind.SOCIETY_CONTACT, society=s1
        ),
        contact2=world.account(
            "学会二联系人", "13800001004", IdentityKind.SOCIETY_CONTACT, society=s2
        ),
        e1_contact=world.account(
            "中建联系人", "13800001005", IdentityKind.ENTERPRISE_CONTACT, channel=e1
        ),
        e2_contact=world.account(
            "南方联系人", "13800001006", IdentityKind.ENTERPRISE_CONTACT, channel=e2
        ),
        platform=world.account(
            "平台管理员", "13800001007", IdentityKind.PLATFORM_ADMIN
        ),
    )

    plan = {
        # key: (channel, code?, assessing society, wants, state, shared code?)
        "a": (root1.id, False, s1.id, True, "submitted", False),
        "b": (e1.id, True, s1.id, True, "submitted", True),
        "c": (e1.id, True, s1.id, False, "approved", False),
        "d": (f1.id, True, s2.id, True, "submitted", False),
        "e": (e2.id, True, s2.id, False, "returned", True),
        "f": (root1.id, False, s1.id, True, "draft", False),
        "g": (e1.id, False, s1.id, True, "withdrawn", False),
    }
    with write_transaction():
        for index, (
            key,
            (channel_id, with_code, society_id, wants, state, shared),
        ) in enumerate(plan.items()):
            mobile = f"1370000{index:04d}"
            name = f"申请人{key.upper()}"
            account = accounts.create_account(
                name=name,
                mobile=mobile,
                email=f"{key}@example.com",
                password="right-pass-1",
            )
            row = ProspectiveApplication(
                applicant_id=account.id,
                route="enterprise" if channel_id != root1.id else "society",
                channel_id=channel_id,
                referral_code_id=_take_code(channel_id, shared=shared)
                if with_code
                else None,
                name=name,
                mobile=mobile,
                email=f"{key}@example.com",
                field_id=civil_id,
                assessing_society_id=society_id,
                level="professional",
                practice="实践" * 60,
                wants_consultation=wants,
                state=state,
                submitted_at=None
                if state == "draft"
                else utcnow() - dt.timedelta(days=index + 1),
            )
            db.session.add(row)
            db.session.flush()
            result.apps[key] = row.id
            result.applicants[key] = account.id
            result.mobiles[key] = mobile
            result.names[key] = name
        # Two more of E1's codes and one of F1's were sent by SMS and are still unused.
        _share(e1.id, 2)
        _share(f1.id, 1)
    return result
