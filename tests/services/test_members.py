"""注册工程会员申请 (app/services/members.py, app/services/member_sections.py): opening,
领域及专业 and level, every section rule with its Chinese message, submit, the state
machine with its refusals and notices, two tabs at once, member numbers under racing
registrations, the society scope, the overview figures and the bulk import of results
(both databases)."""

import datetime as dt
import io
import re
import threading
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from app.db import write_transaction
from app.extensions import db
from app.models import (
    AuditEntry,
    MemberApplication,
    MemberEvent,
    MemberSection,
    Message,
    OutboxMessage,
    ProspectiveApplication,
)
from app.services import members, overviews
from app.times import LOCAL_ZONE
from tests.services.member_support import (
    BIRTH,
    basic,
    cached_world,
    filled,
    fresh,
    id_number_of,
    member_snapshot,
    opened,
    photo_key,
    resident_id,
    set_photo,
    rows,
    set_state,
    submitted,
    workbook,
)
from tests.services.review_support import identity, text_of

WITH_PHOTO = SimpleNamespace(photo_key="photo/ab/ab" + "0" * 30)
ALREADY = re.compile(
    r"该申请已由(.+)于(\d{4}-\d\d-\d\d \d\d:\d\d)处理（(.+)），本次操作未执行。"
)
STATE_TITLES = {
    "permitted": "已开通申请",
    "draft": "填写中",
    "submitted": "已提交",
    "accepted": "已受理",
    "returned": "退回",
    "passed": "通过评价",
    "failed": "未通过",
    "registered": "已注册",
}


@pytest.fixture
def w(app, world, tmp_path_factory):
    return cached_world(app, world, tmp_path_factory)


def _refusal(call, kind=members.MemberError) -> members.MemberError:
    with pytest.raises(kind) as caught:
        call()
    db.session.rollback()
    return caught.value


def _events(application_id: int) -> list[MemberEvent]:
    db.session.rollback()
    return db.session.scalars(
        select(MemberEvent)
        .where(MemberEvent.application_id == application_id)
        .order_by(MemberEvent.id)
    ).all()


def _year() -> int:
    return dt.datetime.now(LOCAL_ZONE).year


# --- section rules (no application needed) --------------------------------------------


def _basic_errors(**changes) -> dict:
    _values, errors = members.check_section(
        "basic", basic(**changes), application=WITH_PHOTO
    )
    return errors


def test_basic_valid_passes(app):
    values, errors = members.check_section("basic", basic(), application=WITH_PHOTO)

    assert errors == {}
    assert values["id_number"] == resident_id()
    assert values["name_pinyin"] == "ZHANG SAN"


BASIC_RULES = [
    ("name-empty", {"name": " "}, "name", "请输入姓名。"),
    ("name-26", {"name": "张" * 26}, "name", "请输入1至25个字（当前26个字）。"),
    ("name-newline", {"name": "张\n三"}, "name", "此处不能包含换行符或控制字符。"),
    ("pinyin-empty", {"name_pinyin": ""}, "name_pinyin", "请填写姓名拼音。"),
    (
        "pinyin-one-part",
        {"name_pinyin": "ZHANGSAN"},
        "name_pinyin",
        "请写成姓和名两部分，中间用一个空格分隔，例如 ZHANG SAN。",
    ),
    ("sex-empty", {"sex": ""}, "sex", "请选择性别。"),
    ("sex-unknown", {"sex": "9"}, "sex", "请从列表中选择。"),
    ("sex-not-id", {"sex": "2"}, "sex", "性别与证件号码中的性别不一致。"),
    ("birth-empty", {"birth_date": ""}, "birth_date", "请选择出生日期。"),
    (
        "birth-format",
        {"birth_date": "1985/06/15"},
        "birth_date",
        "请按YYYY-MM-DD格式填写日期。",
    ),
    (
        "birth-not-a-day",
        {"birth_date": "1985-02-30"},
        "birth_date",
        "请按YYYY-MM-DD格式填写日期。",
    ),
    (
        "birth-1899",
        {"birth_date": "1899-12-31"},
        "birth_date",
        "出生日期须为1900-01-01至今天之前的日期。",
    ),
    (
        "birth-future",
        {"birth_date": "2999-01-01"},
        "birth_date",
        "出生日期须为1900-01-01至今天之前的日期。",
    ),
    (
        "political-empty",
        {"political_status": ""},
        "political_status",
        "请选择政治面貌。",
    ),
    (
        "political-unknown",
        {"political_status": "99"},
        "political_status",
        "请从列表中选择。",
    ),
    ("ethnic-empty", {"ethnic_group": ""}, "ethnic_group", "请选择民族。"),
    ("ethnic-57", {"ethnic_group": "57"}, "ethnic_group", "请从列表中选择。"),
    (
        "native-empty",
        {"native_province": "", "native_city": ""},
        "native_province",
        "请选择籍贯所在省份。",
    ),
    (
        "native-unknown",
        {"native_province": "990000"},
        "native_province",
        "请从列表中选择。",
    ),
    ("native-no-city", {"native_city": ""}, "native_city", "请选择籍贯所在城市。"),
    (
        "native-other-province",
        {"native_city": "110101"},
        "native_city",
        "请选择所选省份下的城市。",
    ),
    ("id-type-empty", {"id_type": ""}, "id_type", "请选择证件类型。"),
    ("id-type-unknown", {"id_type": "driving_licence"}, "id_type", "请从列表中选择。"),
    (
        "id-check-digit",
        {"id_number": resident_id()[:17] + ("0" if resident_id()[17] != "0" else "1")},
        "id_number",
        "证件号码校验位不正确，请核对。",
    ),
    (
        "id-other-birth",
        {"id_number": resident_id(BIRTH + dt.timedelta(days=1))},
        "id_number",
        "证件号码中的出生日期（1985-06-16）与填写的出生日期（1985-06-15）不一致。",
    ),
    ("employer-empty", {"employer": ""}, "employer", "请输入工作单位。"),
    (
        "employer-51",
        {"employer": "院" * 51},
        "employer",
        "请输入1至50个字（当前51个字）。",
    ),
    ("position-empty", {"position": ""}, "position", "请输入职务。"),
    (
        "position-51",
        {"position": "长" * 51},
        "position",
        "请输入1至50个字（当前51个字）。",
    ),
    ("title-empty", {"title": ""}, "title", "请输入专业技术职称。"),
    ("title-51", {"title": "师" * 51}, "title", "请输入1至50个字（当前51个字）。"),
    ("address-empty", {"address": ""}, "address", "请输入通讯地址。"),
    (
        "address-101",
        {"address": "路" * 101},
        "address",
        "请输入1至100个字（当前101个字）。",
    ),
    ("mobile-empty", {"mobile": ""}, "mobile", "请输入手机号。"),
    (
        "mobile-full-width",
        {"mobile": "１３９００００１１１１"},
        "mobile",
        "手机号请使用半角数字（0-9）。",
    ),
    (
        "mobile-12",
        {"mobile": "12900001111"},
        "mobile",
        "这不是有效的中国大陆手机号（应以13至19开头）。",
    ),
    ("email-empty", {"email": ""}, "email", "请输入邮箱。"),
    (
        "email-invalid",
        {"email": "zhangsan@"},
        "email",
        "请输入有效的邮箱地址，例如name@example.com。",
    ),
    (
        "email-nul",
        {"email": "zhang\x00san@example.com"},
        "email",
        "请输入有效的邮箱地址，例如name@example.com。",
    ),
    (
        "email-zero-width",
        {"email": "zhang\u200bsan@example.com"},
        "email",
        "请输入有效的邮箱地址，例如name@example.com。",
    ),
    (
        "name-direction-override",
        {"name": "张\u202e三"},
        "name",
        "此处不能包含控制字符或不可见的格式字符。",
    ),
    (
        "employer-zero-width",
        {"employer": "华东\u200b院"},
        "employer",
        "此处不能包含控制字符或不可见的格式字符。",
    ),
    (
        "position-isolates",
        {"position": "\u2066总工\u2069程师"},
        "position",
        "此处不能包含控制字符或不可见的格式字符。",
    ),
    (
        "address-line-separator",
        {"address": "杭州市\u2028潮王路"},
        "address",
        "此处不能包含换行符或控制字符。",
    ),
    (
        "birth-iso-week",
        {"birth_date": "1985-W24-6"},
        "birth_date",
        "请按YYYY-MM-DD格式填写日期。",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [rule[1:] for rule in BASIC_RULES],
    ids=[rule[0] for rule in BASIC_RULES],
)
def test_basic_rule_refused_at_its_field(app, changes, field, message):
    errors = _basic_errors(**changes)

    assert errors == {field: message}


def test_basic_photo_required(app):
    for application in (None, SimpleNamespace(photo_key=None)):
        _values, errors = members.check_section(
            "basic", basic(), application=application
        )
        assert errors == {"photo": "请上传照片。"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name_pinyin": " zhang san "}, {"name_pinyin": "ZHANG SAN"}),
        ({"id_number": resident_id().lower()[:17] + "x"}, None),
        ({"native_province": "810000", "native_city": ""}, {"native_city": ""}),
        ({"name": "𠀋" * 25}, {"name": "𠀋" * 25}),
        (
            {"id_type": "passport", "id_number": "e12345678", "sex": "2"},
            {"id_number": "E12345678"},
        ),
    ],
    ids=[
        "pinyin-upper-cased",
        "id-lower-x",
        "hong-kong-no-city",
        "name-25-astral",
        "passport",
    ],
)
def test_basic_accepted_variants(app, changes, expected):
    if "id_number" in changes and changes["id_number"].endswith("x"):
        # A number whose check character is X, typed in lower case.
        birth = BIRTH
        serial = next(
            s for s in range(100) if resident_id(birth, "1", serial=s).endswith("X")
        )
        changes = {"id_number": resident_id(birth, "1", serial=serial).lower()}
        expected = {"id_number": resident_id(birth, "1", serial=serial)}

    values, errors = members.check_section(
        "basic", basic(**changes), application=WITH_PHOTO
    )

    assert errors == {}
    for name, value in expected.items():
        assert values[name] == value


ROW_RULES = [
    ("education-none", "education", {"rows": []}, {"rows": "请至少填写一条。"}),
    (
        "work-none",
        "work",
        {"rows": [{"employer": " ", "position": ""}]},
        {"rows": "请至少填写一条。"},
    ),
    ("practice-none", "practice", {}, {"rows": "请至少填写一条。"}),
    ("education-21", "education", rows("education", 21), {"rows": "最多填写20条。"}),
    (
        "end-before-start",
        "education",
        rows("education", start="2010-09", end="2010-07"),
        {"rows-0-end": "结束时间不能早于开始时间。"},
    ),
    (
        "month-format",
        "work",
        rows("work", start="2010/08"),
        {"rows-0-start": "请按YYYY-MM格式填写年月。"},
    ),
    (
        "month-13",
        "work",
        rows("work", start="2010-13"),
        {"rows-0-start": "请按YYYY-MM格式填写年月。"},
    ),
    (
        "month-future",
        "practice",
        rows("practice", end="2999-01"),
        {"rows-0-end": "该年月尚未到来。"},
    ),
    (
        "month-1899",
        "awards",
        rows("awards", date="1899-12"),
        {"rows-0-date": "年月不能早于1900-01。"},
    ),
    (
        "school-empty",
        "education",
        rows("education", school=""),
        {"rows-0-school": "此项为必填项。"},
    ),
    (
        "education-end-required",
        "education",
        rows("education", end=""),
        {"rows-0-end": "此项为必填项。"},
    ),
    (
        "contribution-501",
        "practice",
        rows("practice", contribution="𠀋" + "做" * 500),
        {"rows-0-contribution": "请输入1至500个字（当前501个字）。"},
    ),
    (
        "project-201",
        "practice",
        rows("practice", project="程" * 201),
        {"rows-0-project": "请输入1至200个字（当前201个字）。"},
    ),
    (
        "role-control",
        "practice",
        rows("practice", role="设计\x07负责人"),
        {"rows-0-role": "此处不能包含换行符或控制字符。"},
    ),
    (
        "hours-zero",
        "development",
        rows("development", hours="0"),
        {"rows-0-hours": "学时请填写1至2000的整数。"},
    ),
    (
        "hours-letters",
        "development",
        rows("development", hours="四十"),
        {"rows-0-hours": "学时请填写1至2000的整数。"},
    ),
    (
        "second-row",
        "work",
        {
            "rows": [
                rows("work")["rows"][0],
                {**rows("work")["rows"][0], "end": "2009-01"},
            ]
        },
        {"rows-1-end": "结束时间不能早于开始时间。"},
    ),
    (
        "practice-direction-override",
        "practice",
        rows("practice", contribution="负责\u202e设计"),
        {"rows-0-contribution": "此处不能包含控制字符或不可见的格式字符。"},
    ),
    (
        "education-line-separator",
        "education",
        rows("education", school="清华\u2029大学"),
        {"rows-0-school": "此处不能包含换行符或控制字符。"},
    ),
    (
        "declaration-unchecked",
        "declaration",
        {"accepted": ""},
        {"accepted": "请阅读并勾选诚信承诺。"},
    ),
]


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [rule[1:] for rule in ROW_RULES],
    ids=[rule[0] for rule in ROW_RULES],
)
def test_row_rule_refused_at_its_field(app, key, raw, expected):
    _values, errors = members.check_section(key, raw)

    assert errors == expected


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("awards", {"rows": []}),
        ("development", {"rows": []}),
        ("work", rows("work", end="")),  # 至今
        ("practice", rows("practice", end="", contribution="𠀋" + "做" * 499)),
        ("practice", rows("practice", contribution="第一行\r\n第二行")),
        ("education", rows("education", 20)),
        ("education", rows("education", start="2003-9")),
        ("declaration", {"accepted": "on"}),
    ],
    ids=[
        "awards-none",
        "development-none",
        "work-until-now",
        "contribution-500-astral",
        "contribution-crlf",
        "education-20",
        "month-one-digit",
        "declaration",
    ],
)
def test_section_accepted(app, key, raw):
    values, errors = members.check_section(key, raw)

    assert errors == {}
    if key == "education" and raw["rows"][0]["start"] == "2003-9":
        assert values["rows"][0]["start"] == "2003-09"


def test_blank_rows_are_dropped(app):
    raw = {"rows": [{"school": "", "major": " "}, *rows("education")["rows"], {}]}

    values, errors = members.check_section("education", raw)

    assert errors == {}
    assert len(values["rows"]) == 1


# --- opening, 领域及专业, level, 我已阅读 ---------------------------------------------


def test_open_for_without_permission_is_none(w):
    platform_account = w.rw.platform[0]

    assert members.open_for(platform_account) is None


def test_open_for_creates_once_prefilled(w):
    a = w.applicant("a1")

    first = members.open_for(a.account_id)
    again = members.open_for(a.account_id)

    assert first.id == again.id
    application = fresh(first.id)
    prospective = db.session.get(ProspectiveApplication, a.application_id)
    assert application.state == "permitted"
    assert application.society_id == w.rw.s1_id
    assert application.level == "professional"
    assert application.field_id == w.rw.elec_field_id
    assert application.specialty_id is None
    assert (application.name, application.mobile, application.email) == (
        a.name,
        a.mobile,
        a.email,
    )
    data = members.section_data(application, "basic")
    assert data["name"] == a.name
    assert data["mobile"] == a.mobile
    assert data["email"] == a.email
    assert data["employer"] == prospective.employer
    practice = members.section_data(application, "practice")
    assert practice["rows"][0]["contribution"] == prospective.practice
    # Nothing saved: only the two sections without a required row are complete.
    assert [item.complete for item in members.progress(application)] == [
        False,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(MemberApplication)
            .where(MemberApplication.applicant_id == a.account_id)
        )
        == 1
    )


def test_open_for_keeps_a_name_longer_than_25_for_the_applicant_to_correct(w):
    a = w.applicant("a1")
    long_name = "张" * 30  # the prospective application allows up to 50
    with write_transaction():
        db.session.get(ProspectiveApplication, a.application_id).name = long_name

    application = members.open_for(a.account_id)

    data = members.section_data(application, "basic")
    assert data["name"] == long_name  # nothing cut silently
    _values, errors = members.check_section("basic", data, application=application)
    assert "name" in errors


def test_open_for_prefills_pinyin_suggestion(w):
    a = w.applicant("a9")  # 欧阳明远SENIORNINE: no suggestion with Latin letters

    application = members.open_for(a.account_id)

    assert application.level == "senior"
    assert members.section_data(application, "basic")["name_pinyin"] == ""


def test_choose_specialty_only_the_societys(w):
    a = w.applicant("a1")
    members.open_for(a.account_id)

    other = _refusal(
        lambda: members.choose_specialty(
            a.account_id, w.rw.civil_field_id, w.structure_id
        )
    )
    wrong = _refusal(
        lambda: members.choose_specialty(
            a.account_id, w.rw.elec_field_id, w.structure_id
        )
    )
    empty = _refusal(lambda: members.choose_specialty(a.account_id, "", ""))
    members.choose_specialty(
        a.account_id, str(w.rw.elec_field_id), str(w.high_voltage_id)
    )

    assert other.errors == {"field_id": "请选择该学会的领域。"}
    assert wrong.errors == {"specialty_id": "请选择所选领域下的专业。"}
    assert empty.errors == {
        "field_id": "请选择所在领域。",
        "specialty_id": "请选择专业。",
    }
    application = members.application_of(a.account_id)
    assert (application.field_id, application.specialty_id) == (
        w.rw.elec_field_id,
        w.high_voltage_id,
    )
    offered = members.field_choices(application)
    assert [(f.name, [s.name for s in specs]) for f, specs in offered] == [
        ("电气工程", ["电力系统", "高电压"])
    ]


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (
            "associate",
            "见习工程会员为联合体和相应学会面向工科毕业生长期、广泛开展的评价级别，请勿申请此级别；"
            "请选择专业工程会员或资深工程会员。",
        ),
        ("expert", "请选择专业工程会员或资深工程会员。"),
        ("", "请选择拟申报级别。"),
    ],
    ids=["associate-forced", "unknown", "empty"],
)
def test_choose_level_refused(w, level, message):
    a = w.applicant("a1")
    members.open_for(a.account_id)

    error = _refusal(lambda: members.choose_level(a.account_id, level))

    assert error.errors == {"level": message}
    assert members.application_of(a.account_id).level == "professional"


def test_choose_level_senior(w):
    a = w.applicant("a1")
    members.open_for(a.account_id)

    members.choose_level(a.account_id, "senior")

    assert fresh(members.application_of(a.account_id).id).level == "senior"
    assert [code for code, _title in members.level_choices()] == [
        "professional",
        "senior",
    ]


def test_confirm_instructions_after_choosing(w):
    a = w.applicant("a1")
    members.open_for(a.account_id)

    early = _refusal(lambda: members.confirm_instructions(a.account_id))
    before_reading = _refusal(
        lambda: members.save_section(a.account_id, "basic", basic())
    )
    members.choose_specialty(a.account_id, w.rw.elec_field_id, w.power_id)
    application = members.confirm_instructions(a.account_id)
    members.confirm_instructions(a.account_id)  # a second click changes nothing

    assert text_of(early.message) == "请先选择领域及专业。"
    assert text_of(before_reading.message) == "请先阅读《填写说明》并点击“我已阅读”。"
    application = fresh(application.id)
    assert application.state == "draft"
    assert application.instructions_read_at is not None
    events = _events(application.id)
    assert [(e.action, e.from_state, e.to_state, e.actor_id) for e in events] == [
        ("start", "permitted", "draft", a.account_id)
    ]


# --- sections -----------------------------------------------------------------------


def test_section_saved_with_errors_keeps_data(w):
    a = w.applicant("a1")
    application = opened(w, "a1")
    typed = basic(name="", mobile="139-0000-1111", id_number="123")

    result = members.save_section(a.account_id, "basic", typed)

    assert result.complete is False
    assert result.errors == {
        "name": "请输入姓名。",
        "mobile": "手机号只能包含数字。",
        "id_number": "该证件号码应为18位（当前3位）。",
        "photo": "请上传照片。",
    }
    stored = fresh(application.id)
    section = db.session.scalar(
        select(MemberSection).where(
            MemberSection.application_id == application.id, MemberSection.key == "basic"
        )
    )
    assert section.complete is False
    assert section.data["mobile"] == "139-0000-1111"
    assert section.data["id_number"] == "123"
    assert section.data["position"] == "总工程师"
    # The application keeps its last valid values for the queue.
    assert stored.mobile == a.mobile
    assert stored.id_number is None


def test_section_valid_copies_to_the_application(w):
    a = w.applicant("a1")
    application = opened(w, "a1")
    set_photo(a.account_id, photo_key(), content_type="image/png", size=9)

    result = members.save_section(
        a.account_id, "basic", basic(name="张三丰", mobile="13900002222")
    )

    assert result.errors == {} and result.complete
    stored = fresh(application.id)
    assert (stored.name, stored.mobile, stored.id_type, stored.id_number) == (
        "张三丰",
        "13900002222",
        "resident_id",
        resident_id(),
    )


def test_photo_completes_basic(w):
    a = w.applicant("a1")
    application = opened(w, "a1")

    without = members.save_section(a.account_id, "basic", basic())
    key = photo_key()
    replaced = members.set_photo(
        a.account_id, key, content_type="image/jpeg", width=413, height=626, size=1000
    )
    with_photo = members.progress(fresh(application.id))[0].complete
    previous = members.clear_photo(a.account_id)
    after_clear = members.progress(fresh(application.id))[0].complete
    wrong_size = _refusal(
        lambda: members.set_photo(
            a.account_id, key, content_type="image/jpeg", width=400, height=626, size=1
        )
    )
    wrong_key = _refusal(
        lambda: members.set_photo(
            a.account_id,
            "../x",
            content_type="image/jpeg",
            width=413,
            height=626,
            size=1,
        )
    )

    assert without.errors == {"photo": "请上传照片。"}
    assert replaced is None and previous == key
    assert with_photo is True and after_clear is False
    assert wrong_size.errors == {"photo": "照片尺寸必须为413×626像素。"}
    assert wrong_key.errors == {"photo": "请重新上传照片。"}


def test_photo_file_name_is_kept_without_control_or_invisible_characters(w):
    """The file name is metadata only; a NUL (which PostgreSQL refuses in text) or a
    direction override never reaches the row."""
    a = w.applicant("a1")
    application = opened(w, "a1")

    set_photo(a.account_id, photo_key(), name="证件\x00照\u202e.jpg")

    assert fresh(application.id).photo_name == "证件照.jpg"


def test_progress_in_order_with_titles(w):
    application = filled(w, "a1")

    progress = members.progress(application)

    assert [(p.key, p.title, p.complete) for p in progress] == [
        ("basic", "基本情况", True),
        ("education", "教育经历", True),
        ("work", "工作经历", True),
        ("practice", "工程实践经历", True),
        ("awards", "获奖与成果", True),
        ("development", "继续职业发展", True),
        ("declaration", "诚信承诺", True),
    ]


def test_submit_names_the_incomplete_sections(w):
    a = w.applicant("a1")
    application = opened(w, "a1")
    members.save_section(a.account_id, "education", rows("education"))
    members.save_section(a.account_id, "declaration", {"accepted": "1"})

    error = _refusal(lambda: members.submit(a.account_id))

    assert text_of(error.message) == (
        "请先完成以下部分再提交：基本情况、工作经历和工程实践经历。"
    )
    assert error.incomplete == ["basic", "work", "practice"]
    assert fresh(application.id).state == "draft"
    assert _events(application.id)[-1].action == "start"


def test_optional_sections_are_complete_until_a_save_is_refused(w):
    """获奖与成果 and 继续职业发展 need no row: never saved they are complete (empty
    validates) and marked optional; a save with a wrong row makes them incomplete."""
    a = w.applicant("a1")
    application = opened(w, "a1")

    before = {p.key: (p.complete, p.optional) for p in members.progress(application)}
    members.save_section(a.account_id, "awards", rows("awards", date="2099-01"))
    after = {p.key: p.complete for p in members.progress(fresh(application.id))}

    assert before["awards"] == before["development"] == (True, True)
    assert before["education"] == (False, False)
    assert after["awards"] is False and after["development"] is True


def test_submit_rechecks_stored_sections(w):
    a = w.applicant("a1")
    application = filled(w, "a1")
    members.clear_photo(a.account_id)

    error = _refusal(lambda: members.submit(a.account_id))

    assert text_of(error.message) == "请先完成以下部分再提交：基本情况。"
    assert fresh(application.id).state == "draft"


def test_submit_sends_to_the_society(w):
    a = w.applicant("a1")
    application = filled(w, "a1")

    members.submit(a.account_id)

    application = fresh(application.id)
    assert application.state == "submitted"
    assert application.submitted_at is not None
    event = _events(application.id)[-1]
    assert (event.action, event.from_state, event.to_state, event.actor_id) == (
        "submit",
        "draft",
        "submitted",
        a.account_id,
    )
    titles = db.session.scalars(
        select(Message.title).where(Message.account_id == a.account_id)
    ).all()
    assert "您的注册工程会员申请已提交" in titles
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.body.contains("申请已提交"))
    ).all()
    edit = _refusal(lambda: members.save_section(a.account_id, "awards", {"rows": []}))
    assert text_of(edit.message) == "您的注册工程会员申请当前为“已提交”状态，不能修改。"


# --- the state machine --------------------------------------------------------------

STATES = list(STATE_TITLES)
# How far along each state is (退回 goes back to where 提交 was).
REACHED = {
    "permitted": 0,
    "draft": 1,
    "submitted": 2,
    "returned": 2,
    "accepted": 3,
    "passed": 4,
    "failed": 4,
    "registered": 5,
}
ACTION_NAMES = {
    "accept": "受理",
    "return": "退回",
    "pass": "通过评价",
    "fail": "未通过",
    "register": "注册",
}


@pytest.mark.parametrize("action", members.BACKEND_ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_backend_action_by_state(w, state, action):
    application = opened(w, "a1")
    hidden = state in ("permitted", "draft")
    if state == "permitted":
        set_state(application.id, state, instructions_read_at=None, submitted_at=None)
    elif state == "draft":
        set_state(application.id, state, submitted_at=None)
    else:
        set_state(application.id, state)
    before = _events(application.id)
    admin = w.admin()

    def act():
        return members.decide(admin, application.id, action, reason="材料不全")

    if hidden:
        _refusal(act, members.NotInMemberQueue)
        assert fresh(application.id).state == state
    elif state in {s.value for s in members.TRANSITIONS[action][0]}:
        act()
        expected = members.TRANSITIONS[action][1].value
        assert fresh(application.id).state == expected
        assert len(_events(application.id)) == len(before) + 1
    elif REACHED[state] >= REACHED[members.TRANSITIONS[action][1].value]:
        # As far as the action leads, or further: handled already (by hand here, so
        # no one is named).
        error = _refusal(act)
        assert text_of(error.message) == (
            f"该申请已是“{STATE_TITLES[state]}”状态，操作未执行。"
        )
        assert fresh(application.id).state == state
        assert _events(application.id) == before
    else:
        error = _refusal(act)
        assert text_of(error.message) == (
            f"该申请当前为“{STATE_TITLES[state]}”，不能执行“{ACTION_NAMES[action]}”，"
            "本次操作未执行。"
        )
        assert fresh(application.id).state == state
        assert _events(application.id) == before


def _outbox(recipient: str) -> list[OutboxMessage]:
    db.session.rollback()
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id)
    ).all()


def test_accept_pass_register_notify_and_audit(w):
    a = w.applicant("a1")
    application = submitted(w, "a1")
    admin = w.admin()
    mobile = fresh(application.id).mobile

    members.decide(admin, application.id, "accept")
    members.decide(admin, application.id, "pass")
    members.decide(admin, application.id, "register")

    application = fresh(application.id)
    assert application.state == "registered"
    assert (
        application.accepted_at and application.decided_at and application.registered_at
    )
    number = f"{w.rw.s1_id:03d}-P-{_year()}-00001"
    assert application.member_number == number
    events = _events(application.id)[-3:]
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("accept", "submitted", "accepted"),
        ("pass", "accepted", "passed"),
        ("register", "passed", "registered"),
    ]
    assert {(e.actor_id, e.identity_id) for e in events} == {
        (admin.account_id, admin.id)
    }
    entries = db.session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "member_applications",
            AuditEntry.target_id == application.id,
        )
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.before, e.after["state"]) for e in entries] == [
        ("member.accept", {"state": "submitted"}, "accepted"),
        ("member.pass", {"state": "accepted"}, "passed"),
        ("member.register", {"state": "passed"}, "registered"),
    ]
    assert entries[-1].after["member_number"] == number
    assert {e.identity_id for e in entries} == {admin.id}
    titles = db.session.scalars(
        select(Message.title)
        .where(Message.account_id == a.account_id)
        .order_by(Message.id)
    ).all()[-3:]
    assert titles == [
        "您的注册工程会员申请已受理",
        "您的注册工程会员申请已通过评价",
        "您已注册为工程会员",
    ]
    sms = [m.body for m in _outbox(mobile)]
    assert sms[-1] == f"【工程能力评价】您已注册为工程会员。会员编号：{number}。"
    mails = _outbox(application.email)
    assert mails[-1].subject == "【工程能力评价】您已注册为工程会员"


def test_return_needs_a_reason_then_resubmit(w):
    a = w.applicant("a1")
    application = submitted(w, "a1")
    admin = w.admin()
    members.decide(admin, application.id, "accept")

    missing = _refusal(lambda: members.decide(admin, application.id, "return", "  "))
    hidden = _refusal(lambda: members.decide(admin, application.id, "return", "\x00\x1b\u200b"))
    assert hidden.field == "reason"
    assert text_of(hidden.message) == "此处不能包含控制字符或不可见的格式字符。"
    assert fresh(application.id).state == "accepted"
    members.decide(admin, application.id, "return", "请补充工程实践经历")

    returned = fresh(application.id)
    assert missing.field == "reason" and text_of(missing.message) == "请填写原因。"
    assert returned.state == "returned"
    assert returned.accepted_at is None
    assert returned.return_reason == "请补充工程实践经历"
    body = db.session.scalar(
        select(Message.body)
        .where(Message.account_id == a.account_id)
        .order_by(Message.id.desc())
        .limit(1)
    )
    assert body == "您的注册工程会员申请被退回。原因：请补充工程实践经历"
    assert members.status_for([a.application_id])[a.application_id].accepted is False

    result = members.save_section(a.account_id, "practice", rows("practice", 2))
    members.submit(a.account_id)

    assert result.complete
    again = fresh(application.id)
    assert again.state == "submitted" and again.return_reason is None
    assert _events(application.id)[-1].action == "resubmit"


def test_fail_ends_the_application(w):
    a = w.applicant("a1")
    application = submitted(w, "a1")
    admin = w.admin()
    members.decide(admin, application.id, "accept")

    members.decide(admin, application.id, "fail")
    refused = _refusal(lambda: members.decide(admin, application.id, "register"))

    assert fresh(application.id).state == "failed"
    assert (
        text_of(refused.message)
        == "该申请当前为“未通过”，不能执行“注册”，本次操作未执行。"
    )
    status = members.status_for([a.application_id])[a.application_id]
    assert status.accepted and not status.passed and not status.registered


def test_an_action_not_reached_yet_says_so_and_one_passed_says_who(w):
    """注册 on an application 已受理 but not 通过评价 is not possible yet (no colleague
    was first); 受理 on one a colleague accepted names the colleague."""
    application = _accepted(w, "a1")
    admin = w.admin()
    before = [event.id for event in _events(application.id)]

    early = _refusal(lambda: members.decide(admin, application.id, "register"))
    again = _refusal(lambda: members.decide(admin, application.id, "accept"))

    assert (
        text_of(early.message)
        == "该申请当前为“已受理”，不能执行“注册”，本次操作未执行。"
    )
    match = ALREADY.fullmatch(text_of(again.message))
    assert match and match.group(3) == "已受理"
    assert [event.id for event in _events(application.id)] == before
    assert fresh(application.id).state == "accepted"


def test_a_super_admin_never_decides_their_own_member_application(w):
    """An account that is both an applicant and a super-admin of the society: its own
    application shows no buttons and every decision on it is refused."""
    application = submitted(w, "a1")
    admin = w.admin()
    with write_transaction():
        db.session.execute(
            update(MemberApplication)
            .where(MemberApplication.id == application.id)
            .values(applicant_id=admin.account_id)
        )
    before = [event.id for event in _events(application.id)]

    refused = _refusal(lambda: members.decide(admin, application.id, "accept"))

    assert (
        text_of(refused.message)
        == "不能办理本人的申请，请由本学会的其他超级管理员办理。"
    )
    assert members.actions_for(admin, fresh(application.id)) == []
    assert members.actions_for(identity(w.rw.admin1b[1]), fresh(application.id)) == [
        "accept",
        "return",
    ]
    assert [event.id for event in _events(application.id)] == before
    assert fresh(application.id).state == "submitted"


def test_decide_refused_when_the_shown_state_is_gone(w):
    """A page that showed 已提交 posts 退回 after a colleague accepted: 退回 is allowed
    from 已受理 too, but not what the decider saw, so it is refused."""
    application = submitted(w, "a1")
    members.decide(identity(w.rw.admin1b[1]), application.id, "accept")
    before = _events(application.id)

    refused = _refusal(
        lambda: members.decide(
            w.admin(), application.id, "return", "补充", expected_state="submitted"
        )
    )
    members.decide(
        w.admin(), application.id, "return", "补充", expected_state="accepted"
    )

    match = ALREADY.fullmatch(text_of(refused.message))
    assert match and match.group(3) == "已受理"
    assert "审核员乙REVIEWERTWO" in match.group(1)
    assert [e.action for e in _events(application.id)] == [
        *[e.action for e in before],
        "return",
    ]
    assert fresh(application.id).state == "returned"


def test_move_from_the_expected_state_only(w):
    """The state shown is part of the conditional UPDATE itself: a transition told to
    expect another state than the row's does not move it (no check-then-act gap)."""
    application = _accepted(w, "a1")
    admin = w.admin()

    refused = _refusal(
        lambda: members.transition(
            application,
            "return",
            actor_id=admin.account_id,
            identity_id=admin.id,
            reason="补充",
            expected_state="submitted",
        )
    )

    match = ALREADY.fullmatch(text_of(refused.message))
    assert match and match.group(3) == "已受理"
    assert fresh(application.id).state == "accepted"
    assert _events(application.id)[-1].action == "accept"


def test_two_tabs_deciding_at_once_one_wins(app, w):
    """Two super-admins of S1 press 通过评价 and 未通过 on the same accepted application
    at the same moment: one is taken, the other is told who decided and when."""
    targets = [_accepted(w, key).id for key in ("a1", "a2", "a3")]
    barrier = threading.Barrier(2)
    outcomes: dict[int, list] = {pk: [] for pk in targets}
    lock = threading.Lock()

    def tab(identity_id: int, action: str):
        with app.app_context():
            try:
                for pk in targets:
                    admin = identity(identity_id)
                    members.application_for(admin, pk)
                    barrier.wait(timeout=30)
                    try:
                        members.decide(admin, pk, action, "同时操作")
                        outcome = ("done", action)
                    except members.MemberError as error:
                        db.session.rollback()
                        outcome = ("refused", text_of(error.message))
                    with lock:
                        outcomes[pk].append(outcome)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=tab, args=(w.rw.admin1[1], "pass"), daemon=True),
        threading.Thread(target=tab, args=(w.rw.admin1b[1], "fail"), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    for pk in targets:
        kinds = sorted(kind for kind, _detail in outcomes[pk])
        assert kinds == ["done", "refused"], outcomes[pk]
        winner = next(detail for kind, detail in outcomes[pk] if kind == "done")
        refused = next(detail for kind, detail in outcomes[pk] if kind == "refused")
        match = ALREADY.fullmatch(refused)
        assert match, refused
        assert match.group(3) == {"pass": "通过评价", "fail": "未通过"}[winner]
        assert "学会-超级管理员" in match.group(1)
        decisions = [e for e in _events(pk) if e.action in ("pass", "fail")]
        assert len(decisions) == 1
        assert fresh(pk).state == decisions[0].to_state


def test_member_numbers_unique_under_racing_registrations(app, w):
    """Eight registrations of one society and level at the same moment get eight
    different numbers, 00001 to 00008, and the counter says 8."""
    keys = [f"a{index}" for index in range(1, 9)]
    ids = []
    for key in keys:
        application = opened(w, key)
        set_state(application.id, "passed", decided_at=dt.datetime(2026, 1, 1))
        ids.append(application.id)
    admins = [w.rw.admin1[1], w.rw.admin1b[1]]
    barrier = threading.Barrier(len(ids))
    errors = []

    def register(index: int, pk: int):
        with app.app_context():
            try:
                admin = identity(admins[index % 2])
                barrier.wait(timeout=30)
                members.decide(admin, pk, "register")
            except Exception as error:  # collected and asserted below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=register, args=(index, pk), daemon=True)
        for index, pk in enumerate(ids)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    numbers = sorted(fresh(pk).member_number for pk in ids)
    prefix = f"{w.rw.s1_id:03d}-P-{_year()}-"
    assert numbers == [f"{prefix}{n:05d}" for n in range(1, 9)]
    assert all(fresh(pk).state == "registered" for pk in ids)


def test_member_numbers_per_level_and_given_numbers(w):
    admin = w.admin()
    senior = opened(w, "a9")
    professional = opened(w, "a1")
    second = opened(w, "a2")
    taken = opened(w, "a3")
    for application in (senior, professional, second, taken):
        set_state(application.id, "passed")
    prefix = f"{w.rw.s1_id:03d}"
    # A number the society gave by hand that the sequence would reach.
    members.decide(
        admin, taken.id, "register", member_number=f"{prefix}-p-{_year()}-00001"
    )

    members.decide(admin, senior.id, "register")
    members.decide(admin, professional.id, "register")
    duplicate = _refusal(
        lambda: members.decide(
            admin, second.id, "register", member_number=f"{prefix}-P-{_year()}-00001"
        )
    )
    malformed = _refusal(
        lambda: members.decide(admin, second.id, "register", member_number="会员 1")
    )

    assert fresh(taken.id).member_number == f"{prefix}-P-{_year()}-00001"
    assert fresh(senior.id).member_number == f"{prefix}-S-{_year()}-00001"
    assert fresh(professional.id).member_number == f"{prefix}-P-{_year()}-00002"
    assert duplicate.errors == {"member_number": "该会员编号已被使用。"}
    assert malformed.errors == {
        "member_number": "会员编号最多32个字符，只能包含字母（A-Z）、数字和连字符。"
    }
    assert fresh(second.id).state == "passed"


# --- the society scope --------------------------------------------------------------


def test_other_society_is_refused(w):
    mine = submitted(w, "a1")
    theirs = submitted(w, "b1")
    admin2 = w.admin("admin2")

    with pytest.raises(members.NotInMemberQueue):
        members.application_for(admin2, mine.id)
    with pytest.raises(members.NotInMemberQueue):
        members.decide(admin2, mine.id, "accept")
    listed = db.session.scalars(members.queue_query(admin2)).all()
    assert [item.id for item in listed] == [theirs.id]
    assert fresh(mine.id).state == "submitted"

    contact = identity(w.rw.contact1[1])
    platform = identity(w.rw.platform[1])
    assert db.session.scalars(members.queue_query(contact)).all() == []
    with pytest.raises(members.MemberForbidden):
        members.decide(contact, mine.id, "accept")
    assert {item.id for item in db.session.scalars(members.queue_query(platform))} == {
        mine.id,
        theirs.id,
    }
    with pytest.raises(members.MemberForbidden):
        members.decide(platform, mine.id, "accept")
    assert members.application_for(w.admin(), mine.id).id == mine.id
    for value in ("abc", "-1", "0", str(2**40)):
        with pytest.raises(members.NotInMemberQueue):
            members.application_for(w.admin(), value)


def test_queue_filters(w):
    first = submitted(w, "a1")
    second = submitted(w, "a9")
    members.decide(w.admin(), second.id, "accept")
    opened(w, "a2")  # not submitted: never in the queue
    admin = w.admin()

    def ids(**args):
        filters = members.read_queue_filters(args)
        assert filters.errors == {}
        return [
            item.id for item in db.session.scalars(members.queue_query(admin, filters))
        ]

    assert ids() == [first.id, second.id]
    assert ids(state="accepted") == [second.id]
    assert ids(level="senior") == [second.id]
    assert ids(id_number=id_number_of("a1").lower()) == [first.id]
    assert ids(name="申请人甲") == [first.id]
    assert ids(specialty=str(w.power_id)) == [first.id, second.id]
    refused = members.read_queue_filters({"state": "draft", "level": "associate"})
    assert refused.errors == {
        "state": "请从列表中选择状态。",
        "level": "请从列表中选择级别。",
    }


# --- the overviews ------------------------------------------------------------------


def test_status_for_and_the_overview_columns(w):
    keys = {
        key: w.applicant(key).application_id for key in ("a1", "a2", "a3", "a4", "a5")
    }
    registered = submitted(w, "a1")
    for action in ("accept", "pass", "register"):
        members.decide(w.admin(), registered.id, action)
    accepted = submitted(w, "a2")
    members.decide(w.admin(), accepted.id, "accept")
    returned = submitted(w, "a3")
    members.decide(w.admin(), returned.id, "accept")
    members.decide(w.admin(), returned.id, "return", "补充材料")
    failed = submitted(w, "a4")
    members.decide(w.admin(), failed.id, "accept")
    members.decide(w.admin(), failed.id, "fail")
    opened(w, "a5")  # draft: not applied

    status = members.status_for(keys.values())

    flags = {
        key: (s.applied, s.accepted, s.passed, s.registered)
        for key, s in ((k, status[pk]) for k, pk in keys.items())
    }
    assert flags == {
        "a1": (True, True, True, True),
        "a2": (True, True, False, False),
        "a3": (True, False, False, False),
        "a4": (True, True, False, False),
        "a5": (False, False, False, False),
    }
    assert status[keys["a1"]].member_number == fresh(registered.id).member_number
    assert status[keys["a1"]].registered_at == fresh(registered.id).registered_at
    assert members.status_for([999999])[999999] == members.MemberStatus()

    columns = overviews.member_stage_columns()
    A = ProspectiveApplication
    rows_ = db.session.execute(
        select(
            A.id, *[columns[stage].label(stage) for stage in overviews.MEMBER_STAGES]
        ).where(A.id.in_(keys.values()))
    ).all()
    for row in rows_:
        s = status[row.id]
        assert (row.applied, row.accepted, row.passed, row.registered) == (
            s.applied_at,
            s.accepted_at,
            s.passed_at,
            s.registered_at,
        )
    counted = db.session.execute(
        select(
            *[func.count(columns[stage]) for stage in overviews.MEMBER_STAGES]
        ).where(A.id.in_(keys.values()))
    ).one()
    assert tuple(counted) == (4, 3, 1, 1)


# --- bulk import of results ---------------------------------------------------------


def _accepted(w, key: str) -> MemberApplication:
    application = submitted(w, key)
    members.decide(w.admin(), application.id, "accept")
    return fresh(application.id)


def test_bulk_import_dry_run_then_apply(app, w):
    a1 = _accepted(w, "a1")
    a2 = _accepted(w, "a2")
    a3 = _accepted(w, "a3")
    members.decide(w.admin(), a3.id, "pass")
    a4 = submitted(w, "a4")
    a6 = _accepted(w, "a6")
    b1 = submitted(w, "b1")
    data = workbook(
        [
            ["申请编号", "证件号码", "结果", "会员编号"],
            [a1.id, None, "通过", None],
            [None, id_number_of("a2"), "未通过", None],
            [str(a3.id), id_number_of("a3").lower(), "注册", "zj-2026-777"],
            [a4.id, None, "通过", None],
            [b1.id, None, "通过", None],
            [a6.id, None, "优秀", None],
            [a1.id, None, "未通过", None],
            [None, None, "通过", None],
            [a6.id, None, "通过", "ZJ-1"],
            [a6.id, id_number_of("a1"), "通过", None],
            [None, "110105198506150000", "通过", None],
        ]
    )
    admin = w.admin()

    before = member_snapshot(app)
    parsed = members.parse_results(admin, members.read_workbook(data))
    after_dry_run = member_snapshot(app)

    assert after_dry_run == before
    problems = [(row.row_no, row.problem) for row in parsed]
    assert problems == [
        (2, None),
        (3, None),
        (4, None),
        (5, "该申请当前为“已提交”状态，不能记录“通过评价”。"),
        (6, "您的列表中没有该申请编号的申请。"),
        (7, "结果须为以下之一：通过, 未通过, 注册。"),
        (8, "该申请在前面的行中已出现。"),
        (9, "请填写申请编号或证件号码。"),
        (10, "只有注册时才能填写会员编号。"),
        (11, "申请编号与证件号码不属于同一申请。"),
        (12, "您的列表中没有该证件号码的申请。"),
    ]
    assert [row.action for row in parsed[:3]] == ["pass", "fail", "register"]
    assert parsed[1].application.id == a2.id
    assert parsed[2].member_number == "ZJ-2026-777"

    audits_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    lines = members.apply_results(admin, parsed)

    assert [(line.row_no, line.done) for line in lines] == [
        (2, True),
        (3, True),
        (4, True),
        *[(n, False) for n in range(5, 13)],
    ]
    states = {pk: fresh(pk).state for pk in (a1.id, a2.id, a3.id, a4.id, a6.id, b1.id)}
    assert states == {
        a1.id: "passed",
        a2.id: "failed",
        a3.id: "registered",
        a4.id: "submitted",
        a6.id: "accepted",
        b1.id: "submitted",
    }
    assert fresh(a3.id).member_number == "ZJ-2026-777"
    new_audits = db.session.scalars(
        select(AuditEntry).where(AuditEntry.id > audits_before).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.target_id, e.identity_id) for e in new_audits] == [
        ("member.pass", a1.id, admin.id),
        ("member.fail", a2.id, admin.id),
        ("member.register", a3.id, admin.id),
    ]


def test_bulk_import_row_decided_meanwhile(w):
    a1 = _accepted(w, "a1")
    admin = w.admin()
    parsed = members.parse_results(
        admin, [{"application": str(a1.id), "result": "通过"}]
    )
    members.decide(identity(w.rw.admin1b[1]), a1.id, "fail")

    lines = members.apply_results(admin, parsed)

    assert not lines[0].done
    match = ALREADY.fullmatch(lines[0].message)
    assert match and match.group(3) == "未通过"
    assert fresh(a1.id).state == "failed"


def test_bulk_import_refuses_other_identities_and_bad_files(w):
    contact = identity(w.rw.contact1[1])

    with pytest.raises(members.MemberForbidden):
        members.parse_results(contact, [])
    not_a_workbook = _refusal(lambda: members.read_workbook(b"PK not really"))
    no_columns = _refusal(
        lambda: members.read_workbook(workbook([["姓名", "结论"], ["张三", "通过"]]))
    )
    empty = _refusal(lambda: members.read_workbook(workbook([])))

    assert not_a_workbook.errors == {"file": "该文件不是Excel工作簿（.xlsx）。"}
    assert no_columns.errors == {
        "file": "第一行须为列名：申请编号或证件号码，以及结果。"
    }
    assert empty.errors == {"file": "工作簿为空。"}


def _with_dimension(data: bytes, dimension: str, extra: str = "") -> bytes:
    """``data`` (an .xlsx) whose sheet declares ``dimension``, with ``extra`` rows."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(
                    r'<dimension ref="[^"]*"',
                    f'<dimension ref="{dimension}"',
                    content.decode(),
                )
                content = text.replace("</sheetData>", extra + "</sheetData>").encode()
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("dimension", ["A1:E3", "A1"])
def test_bulk_import_reads_every_row_whatever_size_the_sheet_declares(w, dimension):
    """A stale declared size (another program's) never hides rows."""
    data = _with_dimension(
        workbook([["申请编号", "结果"], *[[pk, "通过"] for pk in range(1, 11)]]),
        dimension,
    )

    read = members.read_workbook(data)

    assert [row["application"] for row in read] == [str(pk) for pk in range(1, 11)]


def _declaring_a_million_rows(data: bytes) -> bytes:
    """``data`` (an .xlsx) with its sheet declaring A1:XFD1048576 and one cell in the
    last row and column: a few bytes more that a reader would pad into 16 billion
    cells."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                text = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', text)
                text = text.replace(
                    "</sheetData>",
                    '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                    "</c></row></sheetData>",
                )
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_bulk_import_reads_a_bounded_part_of_the_sheet(w):
    """A workbook declaring a million rows is refused once reading passes the rows an
    import may hold, not read to its end."""
    data = _declaring_a_million_rows(
        workbook([["申请编号", "结果"], [1, "通过"]])
    )
    assert len(data) < 10_000

    refused = _refusal(lambda: members.read_workbook(data))

    assert refused.errors == {"file": "每次最多导入2000行。"}


def test_open_for_twice_at_once_creates_one(app, w):
    a = w.applicant("a1")
    barrier = threading.Barrier(2)
    opened_ids, errors = [], []

    def tab():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                opened_ids.append(members.open_for(a.account_id).id)
            except Exception as error:  # collected and asserted below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tab, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    assert len(opened_ids) == 2 and len(set(opened_ids)) == 1
    db.session.rollback()
    count = db.session.scalar(
        select(func.count())
        .select_from(MemberApplication)
        .where(MemberApplication.applicant_id == a.account_id)
    )
    assert count == 1


@pytest.mark.parametrize("action", ["submit", "resubmit", "start", "withdraw"])
def test_decide_only_backend_actions(w, action):
    application = submitted(w, "a1")

    error = _refusal(lambda: members.decide(w.admin(), application.id, action))

    assert text_of(error.message) == "该操作不存在。"
    assert fresh(application.id).state == "submitted"
