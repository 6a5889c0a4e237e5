"""The shared input rules of app/validation.py: mainland mobile numbers, masking, and
character counting as SPEC §3 defines it. No database is involved, so these run once."""

import pytest

from app import create_app
from app.errors import DomainError
from app.validation import (
    check_mobile,
    check_text,
    count_chars,
    mask_mobile,
    mobile_problem,
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


# --- mobile numbers ----------------------------------------------------------


@pytest.mark.parametrize("value", ["13900001111", "13000000000", "19999999999", "15012345678"], ids=["139", "130", "199", "150"])
def test_check_mobile_mainland_number_is_returned_unchanged(app, value):
    result = check_mobile(value)

    assert result == value
    assert mobile_problem(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("１３９００００１１１１", "手机号请使用半角数字（0-9）。"),
        ("139０００01111", "手机号请使用半角数字（0-9）。"),
        ("139 0000 1111", "手机号不能包含空格或换行。"),
        ("13900001111\n", "手机号不能包含空格或换行。"),
        (" 13900001111", "手机号不能包含空格或换行。"),
        ("\u00a013900001111", "手机号不能包含空格或换行。"),
        ("139-0000-1111", "手机号只能包含数字。"),
        ("1390000111a", "手机号只能包含数字。"),
        ("+8613900001111", "请输入11位手机号，无需加+86。"),
        ("8613900001111", "请输入11位手机号，无需加+86。"),
        ("12900001111", "这不是有效的中国大陆手机号（应以13至19开头）。"),
        ("23900001111", "这不是有效的中国大陆手机号（应以13至19开头）。"),
        ("1390000111", "手机号应为11位数字（当前10位）。"),
        ("139000011112", "手机号应为11位数字（当前12位）。"),
        ("", "请输入手机号。"),
        (None, "请输入手机号。"),
    ],
    ids=[
        "full-width", "partly-full-width", "spaces", "trailing-newline", "leading-space", "no-break-space",
        "hyphens", "letter", "plus-86", "86-prefix", "starts-12", "starts-2", "10-digits", "12-digits",
        "empty", "none",
    ],
)
def test_check_mobile_refuses_with_the_specific_reason(app, value, message):
    with pytest.raises(DomainError) as refused:
        check_mobile(value)

    assert refused.value.field == "mobile"
    assert _text(refused.value.message) == message
    assert _text(mobile_problem(value)) == message


def test_check_mobile_reports_the_field_it_was_given(app):
    with pytest.raises(DomainError) as refused:
        check_mobile("1390000111", field="share_mobile")

    assert refused.value.field == "share_mobile"


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13900001111", "139****1111"), ("18612345678", "186****5678"), ("1390000111", "1390000111"), ("", ""), (None, "")],
    ids=["139", "186", "ten-digits-unchanged", "empty", "none"],
)
def test_mask_mobile_hides_the_middle_four_digits(value, masked):
    result = mask_mobile(value)

    assert result == masked


# --- counting characters -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "count"),
    [
        ("𠀋", 1),
        ("𠀋𠀋企业", 4),
        ("a\r\nb", 3),
        ("a\rb", 3),
        ("a\nb", 3),
        ("第一行\r\n第二行\r\n第三行", 11),
        ("  甲乙 \r\n", 2),
        ("\u3000甲乙\u3000", 2),
        ("   ", 0),
        ("", 0),
        (None, 0),
    ],
    ids=[
        "outside-bmp", "outside-bmp-mixed", "crlf", "cr", "lf", "three-lines-crlf", "surrounding-whitespace",
        "ideographic-spaces", "blank", "empty", "none",
    ],
)
def test_count_chars_counts_code_points_of_the_trimmed_text(value, count):
    result = count_chars(value)

    assert result == count


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("字" * 100, "字" * 100),
        ("字" * 300, "字" * 300),
        ("𠀋" * 300, "𠀋" * 300),
        ("a" * 150 + "\r\n" + "a" * 149, "a" * 150 + "\n" + "a" * 149),
        ("  " + "字" * 300 + " \r\n", "字" * 300),
    ],
    ids=["100", "300", "300-outside-bmp", "300-with-crlf", "300-padded"],
)
def test_check_text_within_100_to_300_returns_normalised_text(app, value, stored):
    result = check_text(value, minimum=100, maximum=300, field="experience")

    assert result == stored


@pytest.mark.parametrize(
    ("value", "length"),
    [
        ("字" * 99, 99),
        ("  " + "字" * 99 + "\r\n", 99),
        ("字" * 301, 301),
        ("𠀋" * 301, 301),
        ("字" * 150 + "\r\n" + "字" * 150, 301),
    ],
    ids=["99", "99-padded", "301", "301-outside-bmp", "301-with-crlf"],
)
def test_check_text_outside_100_to_300_is_refused_with_the_range(app, value, length):
    with pytest.raises(DomainError) as refused:
        check_text(value, minimum=100, maximum=300, field="experience")

    assert refused.value.field == "experience"
    assert _text(refused.value.message) == f"请输入100至300个字（当前{length}个字）。"


@pytest.mark.parametrize("value", ["", "  \r\n ", None], ids=["empty", "blank", "none"])
def test_check_text_required_and_empty_says_required(app, value):
    with pytest.raises(DomainError) as refused:
        check_text(value, minimum=1, maximum=50, field="name")

    assert refused.value.field == "name"
    assert _text(refused.value.message) == "此项为必填项。"


def test_check_text_optional_and_empty_is_accepted(app):
    result = check_text("  ", minimum=0, maximum=50)

    assert result == ""


@pytest.mark.parametrize(
    "text",
    ["\u3164", "张\u115f三", "\uffa0", "\u2800", "张\u034f三", "张\ufe0f三", "张\U000e0100三"],
    ids=["hangul-filler", "choseong-filler", "halfwidth-filler", "braille-blank", "cgj", "vs16", "vs17"],
)
def test_blank_looking_characters_are_refused_as_hidden(text):
    """Letters and marks that show as nothing make a name look empty or other than it is."""
    from app.validation import hidden_characters_problem

    assert hidden_characters_problem(text) is not None
    assert hidden_characters_problem("张三") is None
