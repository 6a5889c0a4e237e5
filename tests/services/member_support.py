"""A world for the member application tests (注册工程会员申请): the review world of
tests/services/review_support.py (two national societies, their super-admins, a
platform admin), every prospective application approved through the society review,
and helpers that fill and move member applications through the services."""

import copy
import datetime as dt
import io
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask_appbuilder import Model
from PIL import Image
from sqlalchemy import select, text, update

from app.db import write_transaction
from app.extensions import db
from app.models import MemberApplication, Specialty
from app.models.base import utcnow
from app.services import members, organisations, reviews, uploads
from app.services.id_numbers import check_character
from tests.services import review_support
from tests.services.review_support import ReviewWorld, build, identity

SNAPSHOT_TABLES = (
    "member_applications",
    "member_sections",
    "member_events",
    "member_number_sequences",
    "messages",
    "outbox_messages",
    "audit_entries",
)

# key, name, society, level, route: eight applicants of S1 at the professional level
# (the registration race), one senior of S1 through S2's enterprise, one of S2.
APPLICATIONS = tuple(
    (
        f"a{index}",
        f"申请人{'甲乙丙丁戊己庚辛'[index - 1]}MEMBER{index}",
        "s1",
        "professional",
        "society",
    )
    for index in range(1, 9)
) + (
    ("a9", "欧阳明远SENIORNINE", "s1", "senior", "enterprise"),
    ("b1", "单田芳CIVILONE", "s2", "professional", "society"),
)

BIRTH = dt.date(1985, 6, 15)


def resident_id(
    birth: dt.date = BIRTH, sex: str = "1", region: str = "110105", serial: int = 1
) -> str:
    """An invented resident ID number with a correct check character (the 17th digit
    odd for men, even for women)."""
    first17 = f"{region}{birth:%Y%m%d}{serial:02d}{'1' if sex == '1' else '2'}"
    return first17 + check_character(first17)


def photo_key() -> str:
    """A well-formed upload key (no file behind it: the member service keeps keys)."""
    token = secrets.token_hex(16)
    return f"photo/{token[:2]}/{token}"


_PHOTO: list[bytes] = []


def photo_jpeg() -> bytes:
    """A 413×626 JPEG on a blue background (made once)."""
    if not _PHOTO:
        buffer = io.BytesIO()
        Image.new("RGB", (413, 626), (40, 90, 200)).save(buffer, "JPEG", quality=85)
        _PHOTO.append(buffer.getvalue())
    return _PHOTO[0]


def stored_photo_key() -> str:
    """The key of a real 413×626 photo file in the test's UPLOAD_DIR."""
    return uploads.store(photo_jpeg(), "photo")


def set_photo(account_id: int, key: str | None = None, **changes) -> str | None:
    """``members.set_photo`` of a 413×626 JPEG (a real file unless ``key`` is given);
    ``changes`` override the metadata."""
    metadata = {
        "content_type": "image/jpeg",
        "width": 413,
        "height": 626,
        "size": len(photo_jpeg()),
        "name": "证件照.jpg",
        **changes,
    }
    return members.set_photo(account_id, key or stored_photo_key(), **metadata)


def basic(name: str = "张三", **changes) -> dict:
    """基本情况 as a form posts it, every field valid."""
    data = {
        "name": name,
        "name_pinyin": "ZHANG SAN",
        "sex": "1",
        "birth_date": BIRTH.isoformat(),
        "political_status": "13",
        "ethnic_group": "01",
        "native_province": "420000",
        "native_city": "429004",  # 湖北 仙桃市 (a county-level unit under the province)
        "id_type": "resident_id",
        "id_number": resident_id(),
        "employer": "华东勘测设计研究院",
        "position": "总工程师",
        "title": "正高级工程师",
        "address": "浙江省杭州市潮王路22号",
        "mobile": "13900001111",
        "email": "zhangsan@example.com",
    }
    data.update(changes)
    return data


def rows(key: str, count: int = 1, **changes) -> dict:
    """``count`` valid rows of a repeatable section."""
    row = {
        "education": {
            "school": "清华大学",
            "major": "电气工程",
            "degree": "硕士研究生",
            "start": "2003-09",
            "end": "2010-07",
        },
        "work": {
            "employer": "华东勘测设计研究院",
            "position": "工程师",
            "start": "2010-08",
            "end": "",
        },
        "practice": {
            "project": "白鹤滩水电站送出工程",
            "start": "2015-03",
            "end": "2020-12",
            "role": "设计负责人",
            "contribution": "负责换流站总体设计与调试。",
        },
        "awards": {
            "title": "国家科学技术进步奖二等奖",
            "date": "2019-12",
            "issuer": "国务院",
            "description": "",
        },
        "development": {
            "activity": "高压直流输电技术研修班",
            "organiser": "中国电机工程学会",
            "start": "2021-05",
            "end": "2021-06",
            "hours": "40",
        },
    }[key]
    return {"rows": [{**row, **changes} for _ in range(count)]}


def valid_sections(name: str = "张三") -> dict:
    return {
        "basic": basic(name),
        "education": rows("education"),
        "work": rows("work"),
        "practice": rows("practice"),
        "awards": rows("awards"),
        "development": rows("development"),
        "declaration": {"accepted": "1"},
    }


@dataclass
class MemberWorld:
    rw: ReviewWorld
    power_id: int  # 电力系统 (S1's field 电气工程)
    high_voltage_id: int  # 高电压 (S1's field 电气工程)
    structure_id: int  # 结构工程 (S2's field 土木工程)

    def applicant(self, key: str):
        return self.rw.applicants[key]

    def admin(self, which: str = "admin1"):
        return identity(getattr(self.rw, which)[1])


def build_world(world) -> MemberWorld:
    """Organisations, identities, and every prospective application approved."""
    rw = build(world, APPLICATIONS)
    with write_transaction():
        elec = organisations.ensure_field("电气工程", ["电力系统", "高电压"], 1)
    specialties = {
        row.name: row.id for row in db.session.scalars(select(Specialty)).all()
    }
    for item in rw.applicants.values():
        admin = rw.admin1 if item.society == "s1" else rw.admin2
        reviews.decide(identity(admin[1]), item.application_id, "approve")
    db.session.commit()
    assert elec.id == rw.elec_field_id
    return MemberWorld(
        rw, specialties["电力系统"], specialties["高电压"], specialties["结构工程"]
    )


# build_world's world, built once per database kind and restored for every later test
# (building it, 10 applicants submitted and approved, took most of a test's time).
# Database kind → (saved state, MemberWorld).
_BUILT: dict[str, tuple[object, MemberWorld]] = {}


def cached_world(app, world, tmp_path_factory) -> MemberWorld:
    """``build_world(world)``, built on the first call per database kind and restored
    from a saved copy on the later ones (the same rows, ids and sequences)."""
    kind = db.engine.dialect.name
    if kind in _BUILT:
        saved, built = _BUILT[kind]
        _restore(saved)
        review_support._built_for["app"] = app  # as build_world leaves it
        return copy.deepcopy(built)
    built = build_world(world)
    _BUILT[kind] = (_save(tmp_path_factory), copy.deepcopy(built))
    return built


def _save(tmp_path_factory):
    """The database as build_world left it: a copy of the SQLite file, or every row and
    sequence of PostgreSQL (whose tables the ``app`` fixture empties for each test)."""
    db.session.remove()
    db.engine.dispose()  # SQLite: the last connection checkpoints the WAL into the file
    if db.engine.dialect.name == "sqlite":
        saved = tmp_path_factory.mktemp("member_world") / "world.db"
        shutil.copy(db.engine.url.database, saved)
        return saved
    with db.engine.connect() as connection:
        rows_ = {
            table: connection.execute(select(table)).all()
            for table in Model.metadata.sorted_tables
        }
        names = connection.scalars(
            text(
                "SELECT sequencename FROM pg_sequences"
                " WHERE schemaname = current_schema()"
            )
        ).all()
        sequences = {
            name: connection.execute(
                text(f'SELECT last_value, is_called FROM "{name}"')
            ).one()
            for name in names
        }
    return rows_, sequences


def _restore(saved) -> None:
    db.session.remove()
    db.engine.dispose()
    if db.engine.dialect.name == "sqlite":
        target = Path(db.engine.url.database)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(saved, target)
        return
    rows_, sequences = saved
    with db.engine.begin() as connection:
        # Rows are put back as they were, so foreign keys are not checked one by one.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table, table_rows in rows_.items():
            if table_rows:
                keys = [column.key for column in table.columns]
                connection.execute(
                    table.insert(),
                    [dict(zip(keys, row, strict=True)) for row in table_rows],
                )
        for name, (last_value, is_called) in sequences.items():
            connection.execute(
                text("SELECT setval(:name, :value, :called)"),
                {"name": f'"{name}"', "value": last_value, "called": is_called},
            )


def opened(w: MemberWorld, key: str) -> MemberApplication:
    """The member application opened, 领域及专业 chosen and 《填写说明》 read."""
    a = w.applicant(key)
    application = members.open_for(a.account_id)
    field_id = w.rw.elec_field_id if a.society == "s1" else w.rw.civil_field_id
    specialty = w.power_id if a.society == "s1" else w.structure_id
    members.choose_specialty(a.account_id, str(field_id), str(specialty))
    members.confirm_instructions(a.account_id)
    return fresh(application.id)


def filled(w: MemberWorld, key: str) -> MemberApplication:
    """Opened, with the photo and every section saved valid."""
    a = w.applicant(key)
    application = opened(w, key)
    set_photo(a.account_id)
    sections = valid_sections(a.name[:4])
    sections["basic"]["id_number"] = id_number_of(key)
    for section, raw in sections.items():
        result = members.save_section(a.account_id, section, raw)
        assert result.errors == {}, (section, result.errors)
    return fresh(application.id)


def id_number_of(key: str) -> str:
    """The (distinct) resident ID number ``filled`` gives an applicant."""
    keys = [item[0] for item in APPLICATIONS]
    return resident_id(serial=keys.index(key) + 10)


def submitted(w: MemberWorld, key: str) -> MemberApplication:
    application = filled(w, key)
    members.submit(w.applicant(key).account_id)
    return fresh(application.id)


def fresh(application_id: int) -> MemberApplication:
    """The application read again (no identity map)."""
    db.session.rollback()
    return db.session.scalar(
        select(MemberApplication)
        .where(MemberApplication.id == application_id)
        .execution_options(populate_existing=True)
    )


def set_state(application_id: int, state: str, **values) -> None:
    """Arrange: put an application in a state by hand (with the stamps it needs)."""
    now = utcnow()
    stamps = {"instructions_read_at": now, "submitted_at": now}
    if state == "registered":
        stamps.update(registered_at=now, member_number=f"HAND-{application_id}")
    stamps.update(values)
    with write_transaction():
        db.session.execute(
            update(MemberApplication)
            .where(MemberApplication.id == application_id)
            .values(state=state, **stamps)
            .execution_options(synchronize_session=False)
        )


def member_snapshot(app) -> dict:
    """Every row of the tables a member decision writes, read on a connection of its
    own."""
    with app.app_context():
        with db.engine.connect() as connection:
            result = {}
            for name in SNAPSHOT_TABLES:
                table = Model.metadata.tables[name]
                rows_ = connection.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).all()
                result[name] = [tuple(row) for row in rows_]
            return result


def workbook(rows_: list[list]) -> bytes:
    """An .xlsx file whose first sheet holds ``rows_`` (the first one the header)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows_:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
