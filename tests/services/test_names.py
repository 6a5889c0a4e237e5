"""姓名拼音 (app/services/names.py): the suggestion from a Chinese name and the rule.
No database is involved; messages are read in the default zh locale."""

import pytest

from app import create_app
from app.errors import DomainError
from app.services.names import (
    check_pinyin,
    normalize_pinyin,
    pinyin_problem,
    suggest_pinyin,
)


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


# --- the suggestion ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("张三", "ZHANG SAN"),
        ("李四", "LI SI"),
        ("张三丰", "ZHANG SANFENG"),
        (" 张三丰 ", "ZHANG SANFENG"),
    ],
    ids=["two-characters", "li-si", "three-characters", "surrounding-spaces"],
)
def test_suggest_pinyin_joins_the_given_name(name, expected):
    assert suggest_pinyin(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("单田芳", "SHAN TIANFANG"),
        ("曾小贤", "ZENG XIAOXIAN"),
        ("区志明", "OU ZHIMING"),
        ("解缙", "XIE JIN"),
        ("仇英", "QIU YING"),
        ("查良镛", "ZHA LIANGYONG"),
        ("朴明", "PIAO MING"),
        ("覃文", "QIN WEN"),
        ("乐嘉", "YUE JIA"),
        ("繁漪", "PO YI"),
        ("盖聂", "GE NIE"),
        ("黑一", "HE YI"),
        ("任正", "REN ZHENG"),
        ("翟明", "ZHAI MING"),
        ("缪明", "MIAO MING"),
    ],
    ids=lambda value: value if value.isascii() else None,
)
def test_suggest_pinyin_reads_the_surname_as_a_surname(name, expected):
    assert suggest_pinyin(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("欧阳明远", "OUYANG MINGYUAN"),
        ("司马光", "SIMA GUANG"),
        ("诸葛亮", "ZHUGE LIANG"),
        ("上官婉儿", "SHANGGUAN WANER"),
        ("东方明", "DONGFANG MING"),
        ("皇甫嵩", "HUANGFU SONG"),
        ("令狐冲", "LINGHU CHONG"),
        ("慕容复", "MURONG FU"),
        ("夏侯明", "XIAHOU MING"),
        ("尉迟恭", "YUCHI GONG"),
        ("长孙无忌", "ZHANGSUN WUJI"),
        ("宇文明", "YUWEN MING"),
        ("司徒雷", "SITU LEI"),
        ("端木明", "DUANMU MING"),
        ("公孙明", "GONGSUN MING"),
        ("万俟明", "MOQI MING"),
    ],
    ids=lambda value: value if value.isascii() else None,
)
def test_suggest_pinyin_takes_a_compound_surname_whole(name, expected):
    assert suggest_pinyin(name) == expected


def test_suggest_pinyin_two_characters_of_a_compound_surname_are_surname_and_given_name():
    assert suggest_pinyin("欧阳") == "OU YANG"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("吕布", "LYU BU"),
        ("张女", "ZHANG NYU"),
        ("王略", "WANG LUE"),
        ("李虐", "LI NUE"),
        ("张绿", "ZHANG LYU"),
        ("徐菊", "XU JU"),
    ],
    ids=["lü-surname", "nü", "lüe", "nüe", "lü-given-name", "u-after-j-x"],
)
def test_suggest_pinyin_writes_u_umlaut_as_on_a_passport(name, expected):
    assert suggest_pinyin(name) == expected


@pytest.mark.parametrize(
    "name",
    ["𠀋一", "张John", "John", "买买提·艾力", "张", "", None, "张" * 36],
    ids=[
        "no-reading-outside-bmp",
        "latin-letters",
        "latin-only",
        "middle-dot",
        "one-character",
        "empty",
        "none",
        "too-long",
    ],
)
def test_suggest_pinyin_returns_nothing_when_the_name_cannot_be_read_whole(name):
    assert suggest_pinyin(name) == ""


@pytest.mark.parametrize("name", ["张三丰", "欧阳明远", "单田芳", "吕布", "王略"])
def test_suggest_pinyin_result_passes_the_rule(name):
    assert pinyin_problem(suggest_pinyin(name)) is None


# --- the rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("ZHANG SAN", "ZHANG SAN"),
        ("zhang san", "ZHANG SAN"),
        ("Ouyang Mingyuan", "OUYANG MINGYUAN"),
        ("  ZHANG SANFENG \n", "ZHANG SANFENG"),
        ("A" * 17 + " " + "B" * 17, "A" * 17 + " " + "B" * 17),
    ],
    ids=[
        "upper-case",
        "lower-case",
        "mixed-case",
        "surrounding-whitespace",
        "35-characters",
    ],
)
def test_check_pinyin_normalises_case_and_whitespace_silently(app, value, stored):
    assert pinyin_problem(value) is None
    assert normalize_pinyin(value) == stored
    assert check_pinyin(value) == stored


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "请填写姓名拼音。"),
        ("   ", "请填写姓名拼音。"),
        (None, "请填写姓名拼音。"),
        ("ＺＨＡＮＧ ＳＡＮ", "姓名拼音请使用半角字母和半角空格，不要使用全角字符。"),
        ("ZHANG　SAN", "姓名拼音请使用半角字母和半角空格，不要使用全角字符。"),
        ("LÜ BU", "ü 请按护照写法书写：吕 LYU、女 NYU、略 LUE、虐 NUE。"),
        ("lü bu", "ü 请按护照写法书写：吕 LYU、女 NYU、略 LUE、虐 NUE。"),
        ("ZHANG SAN123", "姓名拼音只能包含字母A-Z和一个空格。"),
        ("ZHANG-SAN", "姓名拼音只能包含字母A-Z和一个空格。"),
        ("ZHANG,SAN", "姓名拼音只能包含字母A-Z和一个空格。"),
        ("ZHANG\tSAN", "姓名拼音只能包含字母A-Z和一个空格。"),
        ("张 三", "姓名拼音只能包含字母A-Z和一个空格。"),
        ("ZHANG SAN FENG", "请写成姓和名两部分，中间用一个空格分隔，例如 ZHANG SAN。"),
        ("ZHANG  SAN", "请写成姓和名两部分，中间用一个空格分隔，例如 ZHANG SAN。"),
        ("ZHANGSAN", "请写成姓和名两部分，中间用一个空格分隔，例如 ZHANG SAN。"),
        ("A" * 18 + " " + "B" * 17, "姓名拼音最多35个字符（当前36个）。"),
    ],
    ids=[
        "empty",
        "whitespace",
        "none",
        "full-width-letters",
        "ideographic-space",
        "u-umlaut-upper",
        "u-umlaut-lower",
        "digits",
        "hyphen",
        "comma",
        "tab",
        "chinese",
        "three-parts",
        "two-spaces",
        "one-part",
        "36-characters",
    ],
)
def test_check_pinyin_refuses_with_the_specific_reason(app, value, message):
    with pytest.raises(DomainError) as refused:
        check_pinyin(value)

    assert refused.value.field == "name_pinyin"
    assert _text(refused.value.message) == message
    assert _text(pinyin_problem(value)) == message
