"""Demo data for the development default: real national societies and a local one,
fields with specialties, enterprises at both levels with codes and projects, and one
account per identity (one account holding two). Passwords are random and returned
once so that the caller can print them."""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.db import write_transaction
from app.extensions import db
from app.models import (
    Account,
    ApplicationEvent,
    Channel,
    IdentityKind,
    Project,
    ProspectiveApplication,
    Society,
)
from app.models.base import utcnow
from app.services import accounts, applications, channels
from app.services.organisations import create_society, ensure_field

logger = logging.getLogger(__name__)

FIELDS = {
    "机械": ["机械设计制造", "机械电子", "过程装备", "车辆工程"],
    "电气": ["电力系统", "高电压", "电机与电器", "电力电子"],
    "土木": ["结构工程", "岩土工程", "桥梁与隧道", "市政工程"],
    "计算机": ["软件工程", "计算机系统", "网络与信息安全", "人工智能"],
    "交通运输": ["道路工程", "铁道工程", "交通规划与管理"],
}
NATIONAL = {"中国机械工程学会": ["机械"], "中国电机工程学会": ["电气"], "中国土木工程学会": ["土木"], "中国计算机学会": ["计算机"]}
LOCAL = {"广东省工程师学会": "广东"}


@dataclass
class DemoAccount:
    username: str
    password: str
    name: str
    identities: list[str]


DEMO_USERS = [
    # username, name, [(kind, society name or None, channel name or None)]
    ("admin@demo.cn", "平台管理员", [(IdentityKind.PLATFORM_ADMIN, None, None)]),
    ("13800000001", "王学会", [(IdentityKind.SOCIETY_CONTACT, "中国土木工程学会", None)]),
    ("13800000002", "李企业", [(IdentityKind.ENTERPRISE_CONTACT, None, "中国建筑第八工程局有限公司")]),
    ("13800000003", "赵二级", [(IdentityKind.ENTERPRISE_CONTACT, None, "中建八局海外工程有限公司")]),
    (
        "13800000004",
        "陈双身份",
        [
            (IdentityKind.ENTERPRISE_CONTACT, None, "中国电建集团华东勘测设计研究院有限公司"),
            (IdentityKind.SOCIETY_ADMIN, "中国电机工程学会", None),
        ],
    ),
    ("13800000005", "周学会", [(IdentityKind.SOCIETY_CONTACT, "中国电机工程学会", None)]),
]


# Applicants whose prospective applications wait in 中国电机工程学会's review queue (its
# super-admin is 13800000004): name, mobile, e-mail, level, days since submission.
REVIEW_SOCIETY = "中国电机工程学会"
DEMO_APPLICANTS = [
    ("孙电气", "13800000011", "applicant1@demo.cn", "professional", 1),
    ("钱电网", "13800000012", "applicant2@demo.cn", "senior", 3),
    ("冯输变", "13800000013", "applicant3@demo.cn", "professional", 10),  # overdue
]
DEMO_PRACTICE = (
    "本人从事电力系统规划设计与调试工作十余年，主持多项输变电工程的方案设计、设备选型和现场调试，"
    "负责与业主及监理单位的技术沟通协调，熟悉国际电工委员会标准，"
    "组织解决了高海拔地区绝缘配合和长距离输电稳定控制等技术难题。"
)


def has_demo_data() -> bool:
    return db.session.scalar(select(Society.id).limit(1)) is not None


def load_demo_data() -> list[DemoAccount]:
    """Create the demo organisations (once) and the demo accounts with fresh passwords."""
    if not has_demo_data():
        _create_organisations()
    ensure_review_demo()
    return reset_demo_accounts()


def _create_organisations() -> None:
    with write_transaction():
        fields = {name: ensure_field(name, specialties, position) for position, (name, specialties) in enumerate(FIELDS.items())}
    societies = {}
    for name, field_names in NATIONAL.items():
        societies[name] = create_society(name, "national", fields=[fields[f] for f in field_names])
    for name, province in LOCAL.items():
        societies[name] = create_society(name, "local", province=province)

    civil = channels.get_society_root(societies["中国土木工程学会"])
    cscec = channels.create_enterprise(civil, "中国建筑第八工程局有限公司", 20, actor=None)
    overseas = channels.create_enterprise(cscec, "中建八局海外工程有限公司", 5, actor=None)
    channels.create_enterprise(civil, "中国交通建设股份有限公司", 12, actor=None)
    power = channels.get_society_root(societies["中国电机工程学会"])
    channels.create_enterprise(power, "中国电建集团华东勘测设计研究院有限公司", 8, actor=None)
    with write_transaction():
        db.session.add_all(
            [
                Project(channel_id=cscec.id, kind="key", name="巴基斯坦卡拉奇至拉合尔高速公路项目", country="PK"),
                Project(channel_id=cscec.id, kind="dispatch", name="埃及新行政首都中央商务区项目", country="EG"),
                Project(channel_id=overseas.id, kind="key", name="马来西亚吉隆坡标志塔项目", country="MY"),
            ]
        )
    logger.info("demo organisations created")


def ensure_review_demo() -> None:
    """Submitted applications addressed to 中国电机工程学会, so that its super-admin can
    try the review queue; adds only the applicants and applications that are missing."""
    society = db.session.scalar(select(Society).where(Society.name == REVIEW_SOCIETY))
    if society is None or not society.fields:
        return
    society_id, field_id = society.id, society.fields[0].id
    for name, mobile, email, level, days in DEMO_APPLICANTS:
        account = accounts.find_account(mobile=mobile)
        if account is None:
            with write_transaction():
                account = accounts.create_account(
                    name=name, mobile=mobile, email=email, password=secrets.token_urlsafe(12)
                )
        account_id = account.id
        if db.session.scalar(
            select(ProspectiveApplication.id).where(
                ProspectiveApplication.applicant_id == account_id,
                ProspectiveApplication.state != "draft",
            )
        ):
            continue
        application = applications.submit(
            account_id,
            {
                "route": "society",
                "society_kind": "national",
                "recommending_society_id": str(society_id),
                "name": name,
                "overseas": "0",
                "mobile": mobile,
                "email": email,
                "field_id": str(field_id),
                "employer": "中国电力建设集团有限公司",
                "country": "CN",
                "assessing_society_id": str(society_id),
                "level": level,
                "practice": DEMO_PRACTICE,
                "wants_consultation": "0",
            },
        )
        # Back-date the submission so that the queue shows ages (one is overdue).
        submitted_at = utcnow() - dt.timedelta(days=days)
        with write_transaction():
            db.session.execute(
                update(ProspectiveApplication)
                .where(ProspectiveApplication.id == application.id)
                .values(submitted_at=submitted_at)
            )
            db.session.execute(
                update(ApplicationEvent)
                .where(ApplicationEvent.application_id == application.id)
                .values(at=submitted_at)
            )
    logger.info("demo applications for society %s checked", society_id)


def reset_demo_accounts() -> list[DemoAccount]:
    """(Re-)create the demo accounts with new random passwords."""
    result = []
    with write_transaction():
        for username, name, identity_specs in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            account = db.session.scalar(select(Account).where(Account.username == username))
            if account is None:
                mobile = username if username.isdigit() else None
                email = None if mobile else username
                account = accounts.create_account(name=name, mobile=mobile, email=email, password=password)
            else:
                accounts.set_password(account, password)
                account.active = True
            titles = []
            for kind, society_name, channel_name in identity_specs:
                society = db.session.scalar(select(Society).where(Society.name == society_name)) if society_name else None
                channel = db.session.scalar(select(Channel).where(Channel.name == channel_name)) if channel_name else None
                identity = accounts.add_identity(account, kind, society=society, channel=channel)
                titles.append(f"{kind.title} · {identity.organisation_name}" if (society or channel) else kind.title)
            result.append(DemoAccount(username=username, password=password, name=name, identities=titles))
        for name, mobile, _email, _level, _days in DEMO_APPLICANTS:
            account = accounts.find_account(mobile=mobile)
            if account is None:
                continue
            password = secrets.token_urlsafe(9)
            accounts.set_password(account, password)
            title = str(_l("Applicant: log in on the applicant site /apply/"))
            result.append(DemoAccount(username=account.username, password=password, name=name, identities=[title]))
    return result
