"""A world for the application tests: fields, national and local societies, a level-1
enterprise with a level-2 child and a foreign enterprise, their codes and projects,
and applicants; plus a valid form to start each test from."""

from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import CodeState, Project, ProspectiveApplication, ReferralCode

PRACTICE_100 = (
    "我负责海外公路项目的结构设计与施工管理工作。" * 4 + "参与" * 6
)  # 100 characters
PASSWORD = "right-pass-1"


_built_for: dict = {}


def text_of(message) -> str:
    """A (lazy) message as the user reads it: in a request with the default locale
    (of the current app, or of the app the world was built for when the test popped
    its context)."""
    app = current_app._get_current_object() if has_app_context() else _built_for["app"]
    with app.test_request_context():
        return str(message)


@dataclass
class ApplyWorld:
    """Ids and strings only: every test reads rows again in its own session."""

    field_id: int
    other_field_id: int
    national_id: int  # assesses ``field_id``
    national_other_id: int  # assesses ``other_field_id`` only
    local_id: int
    local_root_id: int
    national_root_id: int
    ent_id: int
    ent_name: str
    sub_id: int
    sub_name: str
    foreign_id: int
    codes: list[str] = field(default_factory=list)  # of ``ent``
    sub_codes: list[str] = field(default_factory=list)
    foreign_codes: list[str] = field(default_factory=list)
    ent_project_id: int = 0
    sub_project_id: int = 0
    foreign_project_id: int = 0
    inactive_project_id: int = 0
    applicants: list[int] = field(default_factory=list)

    def form(self, route: str = "enterprise", **overrides) -> dict[str, str]:
        """A form that submits as it is."""
        data = {
            "route": route,
            "name": "张三",
            "overseas": "0",
            "mobile": "13900001111",
            "email": "zhang@example.com",
            "field_id": str(self.field_id),
            "employer": "中国建筑第八工程局有限公司",
            "country": "CN",
            "assessing_society_id": str(self.national_id),
            "level": "professional",
            "practice": PRACTICE_100,
            "wants_consultation": "1",
        }
        if route == "enterprise":
            data.update(
                referral_code=self.codes[0],
                project_id=str(self.ent_project_id),
                project_name="",
            )
        else:
            data.update(
                society_kind="local", recommending_society_id=str(self.local_id)
            )
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}


def _codes(channel_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(ReferralCode.code)
            .where(
                ReferralCode.channel_id == channel_id,
                ReferralCode.state == CodeState.AVAILABLE.value,
            )
            .order_by(ReferralCode.id)
        )
    )


def _project(channel_id: int, name: str, *, active: bool = True) -> int:
    with write_transaction():
        row = Project(
            channel_id=channel_id, kind="key", name=name, country="SG", active=active
        )
        db.session.add(row)
        db.session.flush()
        return row.id


def build_world(world, applicants: int = 3) -> ApplyWorld:
    """The organisations of the tests, built through the services."""
    from app.services import accounts, organisations

    _built_for["app"] = current_app._get_current_object()
    with write_transaction():
        civil = organisations.ensure_field("土木工程", ["结构工程"], 1)
        mining = organisations.ensure_field("矿业工程", ["采矿工程"], 2)
        civil_id, mining_id = civil.id, mining.id
    national = organisations.create_society(
        "中国土木工程学会", "national", fields=[db.session.get(type(civil), civil_id)]
    )
    national_other = organisations.create_society(
        "中国煤炭学会", "national", fields=[db.session.get(type(civil), mining_id)]
    )
    local = organisations.create_society("广东省工程师学会", "local", province="广东")
    root = world.root(national)
    ent = world.enterprise(root, "中建八局", 6)
    sub = world.enterprise(ent, "中建八局南方公司", 3)
    foreign = world.enterprise(world.root(national_other), "中煤国际", 3)

    result = ApplyWorld(
        field_id=civil_id,
        other_field_id=mining_id,
        national_id=national.id,
        national_other_id=national_other.id,
        local_id=local.id,
        local_root_id=world.root(local).id,
        national_root_id=root.id,
        ent_id=ent.id,
        ent_name=ent.name,
        sub_id=sub.id,
        sub_name=sub.name,
        foreign_id=foreign.id,
    )
    result.codes = _codes(ent.id)
    result.sub_codes = _codes(sub.id)
    result.foreign_codes = _codes(foreign.id)
    result.ent_project_id = _project(ent.id, "雅万高铁Jakarta项目")
    result.sub_project_id = _project(sub.id, "南方公司马来西亚东海岸铁路")
    result.foreign_project_id = _project(foreign.id, "中煤印尼矿区项目")
    result.inactive_project_id = _project(ent.id, "已结束的老挝项目", active=False)
    with write_transaction():
        for index in range(applicants):
            account = accounts.create_account(
                name=f"申请人{index}",
                email=f"applicant{index}@example.com",
                mobile=f"1370000{index:04d}",
                password=PASSWORD,
            )
            result.applicants.append(account.id)
    return result


def application_of(account_id: int) -> ProspectiveApplication | None:
    """The newest application of an account, read fresh."""
    db.session.rollback()
    return db.session.scalar(
        select(ProspectiveApplication)
        .where(ProspectiveApplication.applicant_id == account_id)
        .order_by(ProspectiveApplication.id.desc())
    )


def code_row(code: str) -> ReferralCode:
    db.session.rollback()
    return db.session.scalar(select(ReferralCode).where(ReferralCode.code == code))
