"""证件号码 (app/services/id_numbers.py). Every number here is built from a made-up
region, birth date and sequence with its computed check character; none is a real
person's number."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import create_app
from app.divisions import provinces
from app.errors import DomainError
from app.services.id_numbers import (
    CHECKED_KINDS,
    ID_KINDS,
    PATTERNS,
    IdKind,
    birth_date_from_id,
    check_character,
    check_id_number,
    gender_from_id,
    id_number_problem,
    mask_id_number,
    normalize_id_number,
)
from app.times import LOCAL_ZONE

CHECK_WRONG = "证件号码校验位不正确，请核对。"
DATE_WRONG = "证件号码中的出生日期（第7至14位）不是有效日期。"
PROVINCE_WRONG = "证件号码前两位不是有效的省级行政区划代码。"
PERMIT_PREFIX_WRONG = "港澳台居民居住证号码应以810000、820000或830000开头。"
MAINLAND_PROVINCES = [
    code for code, _ in provinces() if code not in {"710000", "810000", "820000"}
]


@pytest.fixture(scope="module")
def app():
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        yield app


def _text(message) -> str:
    """A lazy message as the user reads it, in the default zh locale."""
    from flask import current_app

    with current_app.test_request_context():
        return str(message)


def make_number(
    region: str = "110105", born: str = "19900307", sequence: str = "123"
) -> str:
    """A made-up 18-character number with its correct check character."""
    first17 = f"{region}{born}{sequence}"
    return first17 + check_character(first17)


def with_check(number: str, character: str) -> str:
    return number[:17] + character


def number_ending_in_x() -> str:
    sequence = next(
        f"{n:03d}"
        for n in range(1000)
        if check_character(f"11010519900307{n:03d}") == "X"
    )
    return make_number(sequence=sequence)


# --- the check character ------------------------------------------------------


def test_check_character_follows_iso_7064_mod_11_2():
    # Weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; the remainder r of Σ digit × weight
    # by 11 maps to "10X98765432"[r].
    # 44030019900101001: 28+36+15+2+9+54+9+5+2 = 160, r = 6 → 6.
    assert check_character("44030019900101001") == "6"
    # 11010519800101002: 7+9+5+20+2+9+48+9+5+4 = 118, r = 8 → 4.
    assert check_character("11010519800101002") == "4"
    # 11010519800102002: the day's last digit (weight 5) one more, 123, r = 2 → X.
    assert check_character("11010519800102002") == "X"


def test_id_number_problem_accepts_a_built_resident_id(app):
    assert id_number_problem(IdKind.RESIDENT_ID, make_number()) is None
    assert id_number_problem("resident_id", make_number()) is None


def test_check_id_number_upper_cases_a_final_x(app):
    number = number_ending_in_x()

    result = check_id_number(IdKind.RESIDENT_ID, number.lower())

    assert number.endswith("X")
    assert result == number
    assert normalize_id_number(f"  {number.lower()} ") == number


# --- refusals of a resident ID -------------------------------------------------


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("", "请填写证件号码。"),
        (None, "请填写证件号码。"),
        ("110105 19900307 1234", "证件号码不能包含空格。"),
        ("１１０１０５１９９００３０７１２３４", "证件号码请使用半角数字和字母。"),
        (make_number()[:17], "该证件号码应为18位（当前17位）。"),
        (make_number() + "1", "该证件号码应为18位（当前19位）。"),
        ("11010519900307123A", "该证件号码应为17位数字加最后1位数字或X。"),
        ("1101051990030X1234", "该证件号码应为17位数字加最后1位数字或X。"),
        (make_number(region="000000"), PROVINCE_WRONG),
        (make_number(region="990101"), PROVINCE_WRONG),
        (make_number(region="710000"), PROVINCE_WRONG),
        (make_number(region="810000"), PROVINCE_WRONG),
        (make_number(region="830000"), PROVINCE_WRONG),
        (make_number(born="19900230"), DATE_WRONG),
        (make_number(born="19901301"), DATE_WRONG),
        (make_number(born="19900000"), DATE_WRONG),
        (make_number(born="18991231"), DATE_WRONG),
        (make_number(born="29990101"), DATE_WRONG),
        (
            with_check(make_number(), "0" if make_number()[-1] != "0" else "1"),
            CHECK_WRONG,
        ),
    ],
    ids=[
        "empty",
        "none",
        "inner-spaces",
        "full-width",
        "17-characters",
        "19-characters",
        "letter-at-end",
        "x-inside",
        "region-00",
        "region-99",
        "taiwan-region",
        "hong-kong-region",
        "permit-region",
        "february-30",
        "month-13",
        "day-00",
        "before-1900",
        "far-future",
        "check-digit",
    ],
)
def test_check_id_number_refuses_a_resident_id_with_the_specific_reason(
    app, number, message
):
    with pytest.raises(DomainError) as refused:
        check_id_number(IdKind.RESIDENT_ID, number)

    assert refused.value.field == "id_number"
    assert _text(refused.value.message) == message


def test_id_number_problem_refuses_a_birth_date_after_today(app):
    tomorrow = dt.datetime.now(LOCAL_ZONE).date() + dt.timedelta(days=1)

    problem = id_number_problem(
        IdKind.RESIDENT_ID, make_number(born=tomorrow.strftime("%Y%m%d"))
    )

    assert _text(problem) == DATE_WRONG


def test_id_number_problem_accepts_a_birth_date_of_today_and_of_1900(app):
    today = dt.date(2026, 5, 1)

    assert (
        id_number_problem(IdKind.RESIDENT_ID, make_number(born="20260501"), today=today)
        is None
    )
    assert (
        id_number_problem(IdKind.RESIDENT_ID, make_number(born="19000101"), today=today)
        is None
    )
    assert (
        _text(
            id_number_problem(
                IdKind.RESIDENT_ID, make_number(born="20260502"), today=today
            )
        )
        == DATE_WRONG
    )


def test_id_number_problem_compares_the_date_of_birth_when_given(app):
    number = make_number(born="19900307")

    assert id_number_problem(IdKind.RESIDENT_ID, number, dt.date(1990, 3, 7)) is None
    assert _text(
        id_number_problem(IdKind.RESIDENT_ID, number, dt.date(1990, 3, 8))
    ) == ("证件号码中的出生日期（1990-03-07）与填写的出生日期（1990-03-08）不一致。")


def test_id_number_problem_reports_a_wrong_check_digit_before_a_different_birth_date(
    app,
):
    number = with_check(make_number(), "0" if make_number()[-1] != "0" else "1")

    assert (
        _text(id_number_problem(IdKind.RESIDENT_ID, number, dt.date(2000, 1, 1)))
        == CHECK_WRONG
    )


@pytest.mark.parametrize(
    "kind",
    ["", None, "driving_licence", "RESIDENT_ID"],
    ids=["empty", "none", "unknown", "upper-case"],
)
def test_id_number_problem_needs_a_known_kind(app, kind):
    assert _text(id_number_problem(kind, make_number())) == "请选择证件类型。"


# --- derived values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sequence", "gender"),
    [("123", "1"), ("001", "1"), ("124", "2"), ("000", "2")],
    ids=["3-male", "1-male", "4-female", "0-female"],
)
def test_gender_from_id_reads_the_17th_digit(sequence, gender):
    assert gender_from_id(make_number(sequence=sequence)) == gender


@pytest.mark.parametrize(
    "number",
    ["", None, "E12345678", "1101051990030712"],
    ids=["empty", "none", "passport", "16-digits"],
)
def test_gender_from_id_is_none_without_an_18_character_number(number):
    assert gender_from_id(number) is None


def test_birth_date_from_id_reads_digits_7_to_14():
    assert birth_date_from_id(make_number(born="19851231")) == dt.date(1985, 12, 31)
    assert birth_date_from_id(make_number(born="19850231")) is None


# --- 港澳台居民居住证 ------------------------------------------------------------


@pytest.mark.parametrize(
    "region", ["810000", "820000", "830000"], ids=["hong-kong", "macao", "taiwan"]
)
def test_id_number_problem_accepts_a_residence_permit_of_each_region(app, region):
    assert (
        id_number_problem(IdKind.HMT_RESIDENCE_PERMIT, make_number(region=region))
        is None
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (make_number(region="110105"), PERMIT_PREFIX_WRONG),
        (make_number(region="810101"), PERMIT_PREFIX_WRONG),
        (make_number(region="840000"), PERMIT_PREFIX_WRONG),
        (make_number(region="810000", born="19900230"), DATE_WRONG),
        (
            with_check(
                make_number(region="820000"),
                "0" if make_number(region="820000")[-1] != "0" else "1",
            ),
            CHECK_WRONG,
        ),
    ],
    ids=[
        "mainland-region",
        "not-810000",
        "region-84",
        "impossible-date",
        "check-digit",
    ],
)
def test_id_number_problem_refuses_a_residence_permit_with_the_specific_reason(
    app, number, message
):
    assert _text(id_number_problem(IdKind.HMT_RESIDENCE_PERMIT, number)) == message


# --- the other kinds: plausible patterns ----------------------------------------


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (IdKind.PASSPORT, "E12345678"),
        (IdKind.PASSPORT, "ea1234567"),
        (IdKind.PASSPORT, "X1234"),
        (IdKind.HK_MACAO_PERMIT, "H12345678"),
        (IdKind.HK_MACAO_PERMIT, "m1234567890"),
        (IdKind.TAIWAN_PERMIT, "12345678"),
        (IdKind.FOREIGN_PERMANENT_RESIDENT, "USA123456789012"),
        (IdKind.FOREIGN_PERMANENT_RESIDENT, "931840199001010012"),
    ],
    ids=[
        "passport",
        "passport-lower-case",
        "passport-5",
        "hk",
        "macao-10-digits",
        "taiwan",
        "foreign-2017",
        "foreign-2023",
    ],
)
def test_id_number_problem_accepts_a_plausible_number_of_the_other_kinds(
    app, kind, number
):
    assert id_number_problem(kind, number) is None


@pytest.mark.parametrize(
    ("kind", "number", "message"),
    [
        (IdKind.PASSPORT, "E123", "护照号码应为5至17位字母（A-Z）或数字。"),
        (IdKind.PASSPORT, "E-1234567", "护照号码应为5至17位字母（A-Z）或数字。"),
        (IdKind.PASSPORT, "E" * 18, "护照号码应为5至17位字母（A-Z）或数字。"),
        (IdKind.PASSPORT, "E1234 5678", "证件号码不能包含空格。"),
        (IdKind.PASSPORT, "Ｅ12345678", "证件号码请使用半角数字和字母。"),
        (
            IdKind.HK_MACAO_PERMIT,
            "H1234567",
            "港澳居民来往内地通行证号码应为H或M加8位或10位数字。",
        ),
        (
            IdKind.HK_MACAO_PERMIT,
            "A12345678",
            "港澳居民来往内地通行证号码应为H或M加8位或10位数字。",
        ),
        (
            IdKind.HK_MACAO_PERMIT,
            "H123456789",
            "港澳居民来往内地通行证号码应为H或M加8位或10位数字。",
        ),
        (IdKind.TAIWAN_PERMIT, "1234567", "台湾居民来往大陆通行证号码应为8位数字。"),
        (IdKind.TAIWAN_PERMIT, "T1234567", "台湾居民来往大陆通行证号码应为8位数字。"),
        (
            IdKind.FOREIGN_PERMANENT_RESIDENT,
            "US1234567890123",
            "外国人永久居留身份证号码应为3位字母加12位数字（2017年版），或以9开头的18位数字（2023年版）。",
        ),
        (
            IdKind.FOREIGN_PERMANENT_RESIDENT,
            make_number(),
            "外国人永久居留身份证号码应为3位字母加12位数字（2017年版），或以9开头的18位数字（2023年版）。",
        ),
        (IdKind.TAIWAN_PERMIT, "", "请填写证件号码。"),
    ],
    ids=[
        "passport-4",
        "passport-hyphen",
        "passport-18",
        "passport-space",
        "passport-full-width",
        "hk-7-digits",
        "hk-wrong-letter",
        "hk-9-digits",
        "taiwan-7-digits",
        "taiwan-letter",
        "foreign-2-letters",
        "foreign-resident-id",
        "empty",
    ],
)
def test_id_number_problem_refuses_the_other_kinds_with_their_pattern(
    app, kind, number, message
):
    assert _text(id_number_problem(kind, number)) == message


def test_id_kinds_list_every_kind_once_with_a_pattern_or_the_full_check():
    assert [code for code, _ in ID_KINDS] == list(IdKind)
    assert set(PATTERNS) | CHECKED_KINDS == set(IdKind)
    assert not set(PATTERNS) & CHECKED_KINDS


# --- masking --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519900307123X", "110*************3X"),
        ("E12345678", "E12****78"),
        ("123456", "123*56"),
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
    ids=["resident-id", "passport", "six", "five", "empty", "none"],
)
def test_mask_id_number_keeps_the_first_3_and_last_2(number, masked):
    assert mask_id_number(number) == masked


# --- properties -----------------------------------------------------------------


@st.composite
def resident_ids(draw):
    """(number, birth date): a valid made-up resident ID from a mainland province."""
    province = draw(st.sampled_from(MAINLAND_PROVINCES))
    rest = draw(st.text("0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()))
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    return make_number(province[:2] + rest, born.strftime("%Y%m%d"), sequence), born


@settings(max_examples=200, deadline=None)
@given(resident_ids())
def test_every_built_resident_id_passes(app, built):
    number, born = built

    assert id_number_problem(IdKind.RESIDENT_ID, number, born) is None
    assert id_number_problem(IdKind.RESIDENT_ID, number.lower()) is None
    assert birth_date_from_id(number) == born


@settings(max_examples=100, deadline=None)
@given(resident_ids())
def test_every_other_check_character_fails(app, built):
    number, _ = built

    for character in "0123456789X":
        if character != number[-1]:
            assert (
                _text(
                    id_number_problem(IdKind.RESIDENT_ID, with_check(number, character))
                )
                == CHECK_WRONG
            )
