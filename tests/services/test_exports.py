"""The Excel exports: opened back with openpyxl, they hold exactly the filtered rows, with
Chinese headers, Asia/Shanghai times, the exporter's stamp, masked mobile numbers,
formula-like texts as text and no control characters; each export is audited."""

import datetime as dt
import io

import openpyxl
import pytest
from flask import current_app
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import (
    AuditEntry,
    Channel,
    Identity,
    ProspectiveApplication,
    ReferralCode,
)
from app.models.base import utcnow
from app.services import accounts, exports, overviews
from app.services.exports import clean_cell
from app.services.overviews import OverviewKind
from tests.services.overview_support import (
    EXPECTED,
    FULL_MOBILES,
    SHANGHAI,
    build_world,
    masked,
)

PROSPECT_HEADERS = [
    "姓名",
    "手机号",
    "领域",
    "推荐渠道",
    "意向评价学会",
    "拟申报级别",
    "是否需要咨询指导",
    "咨询指导安排",
    "状态",
    "提交时间",
]
ASSESSMENT_HEADERS = PROSPECT_HEADERS[:8] + [
    "拟参加申请提交时间",
    "是否提交申请",
    "提交申请时间",
    "是否被受理",
    "受理时间",
    "是否通过评价",
    "通过评价时间",
    "是否注册",
    "注册时间",
]
HEADER_ROW = 6  # 1-based: four stamp rows, a blank row, then the headers


@pytest.fixture
def w(app):
    return build_world(app)


def identity_of(w, key) -> Identity:
    return db.session.get(Identity, w.identities[key][1])


def filters_for(w, key, kind=OverviewKind.PROSPECT, **raw):
    identity = identity_of(w, key)
    filters = overviews.read_filters(identity, kind, raw)
    assert filters.ok
    return identity, filters


def opened(export) -> openpyxl.worksheet.worksheet.Worksheet:
    """The file as a spreadsheet program reads it."""
    book = openpyxl.load_workbook(io.BytesIO(export.file.read()))
    export.file.close()
    assert len(book.worksheets) == 1
    return book.worksheets[0]


def table(sheet) -> tuple[list, list[list]]:
    rows = [list(row) for row in sheet.iter_rows(min_row=HEADER_ROW, values_only=True)]
    return rows[0], rows[1:]


def export_entries(action: str) -> list[AuditEntry]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    )


# --------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text", "quoted"),
    [
        ("张三", "张三", False),
        ("=1+1", "=1+1", True),
        ("+8613900001111", "+8613900001111", True),
        ("-2+3", "-2+3", True),
        ("@SUM(A1:A2)", "@SUM(A1:A2)", True),
        ('\t=HYPERLINK("http://x")', '=HYPERLINK("http://x")', True),
        ("\r=cmd|' /C calc'!A0", "=cmd|' /C calc'!A0", True),
        ("\r\n@x", "@x", True),
        (" =1", " =1", True),
        ("a=b", "a=b", False),
        ("第一行\n第二行", "第一行第二行", False),
        ("x\x00y\x07z\x1b\x7f\x85", "xyz", False),
        ("\ufffe\uffffok", "ok", False),
        (None, "", False),
        (12, "12", False),
    ],
)
def test_clean_cell(value, text, quoted):
    assert clean_cell(value) == (text, quoted)


# --------------------------------------------------------------------------------------
# The overviews
# --------------------------------------------------------------------------------------


def test_prospect_export_holds_the_filtered_rows_as_the_page_shows_them(app, w):
    identity, filters = filters_for(w, "a", level="professional")
    page = overviews.page_of(identity, filters, 1, 100)

    sheet = opened(exports.export_overview(identity, filters))
    headers, rows = table(sheet)

    assert sheet.title == "拟参加工程能力评价人员总览"
    assert headers == PROSPECT_HEADERS
    assert len(rows) == page.total == 2
    assert [row[0] for row in rows] == [row.name for row in page.rows]  # same order
    by_name = {row[0]: row for row in rows}
    x2, a2 = by_name[w.names["x2"]], by_name[w.names["a2"]]
    assert (
        x2[1] == masked(w.mobiles["x2"]) and a2[1] == w.mobiles["a2"]
    )  # A2's applicant masked for A
    assert x2[2:10] == [
        "电气工程",
        w.channel_names["a2"],
        w.society_names["s1"],
        "专业工程会员",
        "否",
        None,
        "退回修改",
        dt.datetime(2026, 2, 28, 23, 59),
    ]
    assert a2[6] == "是" and a2[9] == dt.datetime(
        2026, 3, 2, 9, 0
    )  # Asia/Shanghai, as entered


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_identity_exports_its_rows_only_with_its_mobile_rule(app, w, key):
    identity, filters = filters_for(w, key)

    _headers, rows = table(opened(exports.export_overview(identity, filters)))

    keys = {name: k for k, name in w.names.items()}
    assert len(rows) == len(EXPECTED[key])  # no row twice
    assert {keys[row[0]] for row in rows} == EXPECTED[key]
    for row in rows:
        k = keys[row[0]]
        assert row[1] == (
            w.mobiles[k] if k in FULL_MOBILES[key] else masked(w.mobiles[k])
        )


def test_the_stamp_names_the_exporter_the_time_and_the_filters(app, w):
    identity, filters = filters_for(
        w,
        "s1_contact",
        name="申请人",
        mobile="13622223333",
        state="submitted",
        submitted_from="2026-03-01",
    )
    before = dt.datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)

    export = exports.export_overview(identity, filters)
    name = export.download_name
    book = openpyxl.load_workbook(io.BytesIO(export.file.read()))
    export.file.seek(0)
    sheet = opened(export)

    assert name.startswith("拟参加工程能力评价人员总览-") and name.endswith(".xlsx")
    assert sheet["A1"].value == "拟参加工程能力评价人员总览"
    assert (sheet["A2"].value, sheet["B2"].value) == (
        "导出人",
        "学会一联系人（学会-渠道联系人 · 学会一甲SOCONE）",
    )
    assert sheet["A3"].value == "导出时间（北京时间）"
    assert (
        before - dt.timedelta(seconds=1)
        <= sheet["B3"].value
        <= before + dt.timedelta(minutes=1)
    )
    assert sheet["A4"].value == "筛选条件"
    assert (
        sheet["B4"].value
        == "姓名：申请人；手机号：136****3333；状态：已提交；提交日期起：2026-03-01"
    )
    assert sheet["A5"].value is None
    properties = book.properties
    assert (properties.title, properties.creator, properties.subject) == (
        "拟参加工程能力评价人员总览",
        "学会一联系人",
        "学会-渠道联系人 · 学会一甲SOCONE",
    )
    assert properties.description.startswith("姓名：申请人；手机号：136****3333")
    assert (
        book.custom_doc_props["rows"].value == len(table(sheet)[1]) == 1
    )  # a1, by its full number


def test_without_filters_the_stamp_says_so(app, w):
    identity, filters = filters_for(w, "a2")

    sheet = opened(exports.export_overview(identity, filters))

    assert sheet["B4"].value == "无（全部记录）"


def test_formula_like_texts_are_text_and_control_characters_are_gone(app, w):
    with write_transaction():
        applicant = accounts.create_account(
            name="公式", mobile="13600009999", password="secret-pass-1"
        )
        db.session.add(
            ProspectiveApplication(
                applicant_id=applicant.id,
                route="enterprise",
                channel_id=w.channel_ids["a"],
                name='=HYPERLINK("http://evil")\x07',
                mobile="13600009999",
                level="senior",
                state="submitted",
                submitted_at=utcnow(),
            )
        )
        channel = db.session.get(Channel, w.channel_ids["a2"])
        channel.name = "\t@企业\x1f二级"
    identity, filters = filters_for(w, "a")

    sheet = opened(exports.export_overview(identity, filters))

    cells = {
        cell.value: cell
        for row in sheet.iter_rows(min_row=HEADER_ROW + 1)
        for cell in row
        if isinstance(cell.value, str)
    }
    formula = cells['=HYPERLINK("http://evil")']
    assert formula.data_type == "s" and formula.quotePrefix
    channel_cell = cells["@企业二级"]
    assert channel_cell.data_type == "s" and channel_cell.quotePrefix
    assert not cells[w.names["a1"]].quotePrefix
    everything = [
        cell.value
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert not [
        text
        for text in everything
        if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)
    ]
    assert not [
        cell for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]


def test_assessment_export_has_the_member_stage_columns(app, w):
    identity, filters = filters_for(
        w, "admin", OverviewKind.ASSESSMENT, sort="name", dir="asc"
    )

    headers, rows = table(opened(exports.export_overview(identity, filters)))

    assert headers == ASSESSMENT_HEADERS
    assert len(rows) == overviews.count_rows(identity, filters) == 3
    page = overviews.page_of(identity, filters, 1, 100)
    assert [row[0] for row in rows] == [row.name for row in page.rows]  # same order
    for row in rows:
        assert row[9:] == ["否", None, "否", None, "否", None, "否", None]


def test_headers_are_chinese_whatever_the_interface_language(app, w):
    identity, filters = filters_for(w, "a")

    with current_app.test_request_context("/?_l_=en"):
        from flask import session

        session["locale"] = "en"
        headers, _rows = table(opened(exports.export_overview(identity, filters)))

    assert headers == PROSPECT_HEADERS


def test_every_export_is_in_the_audit_log(app, w):
    identity, filters = filters_for(
        w, "s1_contact", mobile="13511112222", consultation="yes"
    )
    account_id, identity_id = w.identities["s1_contact"]

    exports.export_overview(identity, filters).file.close()
    identity, filters = filters_for(w, "s1_contact", OverviewKind.ASSESSMENT)
    exports.export_overview(identity, filters).file.close()

    [prospects] = export_entries("export.prospects")
    [assessments] = export_entries("export.assessments")
    assert (
        prospects.actor_id,
        prospects.identity_id,
        prospects.target_type,
        prospects.target_id,
    ) == (account_id, identity_id, "prospective_applications", None)
    assert prospects.after == {
        "overview": "prospect",
        "filters": {"手机号": "135****2222", "是否需要咨询指导": "是"},
        "rows": 1,
    }
    assert assessments.after == {"overview": "assessment", "filters": {}, "rows": 2}


def test_filters_with_errors_are_never_exported(app, w):
    identity = identity_of(w, "a")
    filters = overviews.read_filters(
        identity, OverviewKind.PROSPECT, {"channel": str(w.channel_ids["c"])}
    )

    with pytest.raises(ValueError):
        exports.export_overview(identity, filters)
    assert export_entries("export.prospects") == []


# --------------------------------------------------------------------------------------
# The code list
# --------------------------------------------------------------------------------------


def test_code_export_is_the_code_list(app, w):
    with write_transaction():
        # A's own codes: 4 allocated, 1 passed to A2 (one of A's rows revoked for it).
        rows = db.session.scalars(
            select(ReferralCode)
            .where(
                ReferralCode.channel_id == w.channel_ids["a"],
                ReferralCode.state != "revoked",
            )
            .order_by(ReferralCode.id)
        ).all()
        strings = [row.code for row in rows]
        rows[0].state, rows[0].used_at = "used", utcnow()
        db.session.get(
            ProspectiveApplication, w.application_ids["a1"]
        ).referral_code_id = rows[0].id
        rows[1].shared_to, rows[1].shared_at = (
            "13900001111",
            dt.datetime(2026, 3, 1, 16, 30),
        )
    identity = identity_of(w, "a")
    channel = identity.channel

    sheet = opened(exports.export_codes(identity, channel, ""))
    headers, table_rows = table(sheet)
    used_sheet = opened(exports.export_codes(identity, channel, "used"))

    assert headers == ["推荐码", "状态", "分享手机号", "分享时间", "使用人", "使用时间"]
    assert sorted(row[0] for row in table_rows) == sorted(strings)  # A's own 3 codes
    by_code = {row[0]: row for row in table_rows}
    assert (
        by_code[strings[0]][1] == "已使用" and by_code[strings[0]][4] == w.names["a1"]
    )
    assert by_code[strings[1]][1:4] == [
        "可用",
        "139****1111",
        dt.datetime(2026, 3, 2, 0, 30),
    ]
    assert [row[0] for row in table(used_sheet)[1]] == [strings[0]]
    assert used_sheet["B4"].value == "状态：已使用"
    entries = export_entries("export.codes")
    assert [
        (entry.target_type, entry.target_id, entry.after["rows"]) for entry in entries
    ] == [("channels", w.channel_ids["a"], 3), ("channels", w.channel_ids["a"], 1)]
