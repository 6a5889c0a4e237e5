"""Excel (.xlsx) exports of the two overviews and of an enterprise's code list.

Every file:
- has Chinese headers and texts (written under the zh locale, whatever the UI
  language), times in Asia/Shanghai, and a first block naming the export, who
  exported it (name and identity), when, and the filters applied; the document
  properties say the same;
- holds exactly the rows of the list page's filters, read through the same query;
- is written in XlsxWriter's constant-memory mode into an anonymous temporary file,
  reading the database a chunk at a time: memory does not grow with the row count
  (bench/overview_export.py measures it);
- is cleaned cell by cell (``clean_cell``): control characters are removed, and a
  text that a spreadsheet would take for a formula is stored as text with Excel's
  quote prefix;
- is recorded in the audit log (who, which list, filters, row count) and logged.
"""

import datetime as dt
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO

import xlsxwriter
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import (
    Channel,
    CodeState,
    Identity,
    ProspectiveApplication,
    ProspectiveState,
    ReferralCode,
)
from app.models.applications import MEMBER_LEVEL_TITLES
from app.models.base import utcnow
from app.services import overviews
from app.services.audit import record_change
from app.services.overviews import (
    MEMBER_STAGES,
    STAGE_DATE_TITLES,
    STAGE_TITLES,
    OverviewKind,
    OverviewRow,
)
from app.times import to_local
from app.validation import mask_mobile

logger = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LOCALE = "zh"
CHUNK = 1000
CELL_MAX = 32_767  # Excel's limit of characters in one cell
# A cell whose text starts with one of these is a formula to Excel, LibreOffice and
# most CSV importers (after leading whitespace and control characters, removed first).
FORMULA_STARTS = ("=", "+", "-", "@")
HEADER_ROW = 5  # rows 0-3: the export's stamp; row 4 blank; then the table
EXCEL_ROWS = 1_048_576


# --------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------


# Control characters (category Cc: C0 with tab, CR and LF, DEL, C1), lone surrogates
# and the two non-characters that XML cannot hold.
_DROPPED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_cell(value) -> tuple[str, bool]:
    """The text written for ``value``, and whether it needs the quote prefix (it would
    otherwise read as a formula)."""
    text = "" if value is None else str(value)
    text = _DROPPED.sub("", text)[:CELL_MAX]
    return text, text.lstrip().startswith(FORMULA_STARTS)


def _described(filters) -> str:
    """The filters applied, as a line in the export's language (姓名：张三；状态：已提交)."""
    return str(_l("; ")).join(
        str(_l("%(label)s: %(value)s", label=label, value=value))
        for label, value in filters
    )


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored (naive UTC) time as the naive Asia/Shanghai time written to the file."""
    return to_local(value).replace(tzinfo=None)


@dataclass(frozen=True)
class Column:
    """One column of an export: its header and how to read a row's value."""

    title: object  # a lazy string, rendered under the export locale
    value: Callable[[object], object]
    width: int = 16
    kind: str = "text"  # or "datetime" (a stored UTC time, or None)


class SheetWriter:
    """One worksheet: the stamp block, the header row, then rows as they come."""

    def __init__(
        self,
        target: IO[bytes],
        *,
        title: str,
        exporter: str,
        identity: str,
        filters: list[tuple[str, str]],
        columns: Sequence[Column],
    ) -> None:
        self.columns = columns
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "tmpdir": tempfile.gettempdir(),
            },
        )
        self.text_format = self.book.add_format({})
        self.quoted_format = self.book.add_format({"quote_prefix": True})
        self.time_format = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.bold = self.book.add_format({"bold": True})
        self.header_format = self.book.add_format(
            {"bold": True, "bg_color": "#F2F2F2", "border": 1}
        )
        now = utcnow()
        self.book.set_properties(
            {
                "title": clean_cell(title)[0],
                "author": clean_cell(exporter)[0],
                "subject": clean_cell(identity)[0],
                "comments": clean_cell(_described(filters))[0],
                "created": now,
            }
        )
        self.sheet = self.book.add_worksheet(_safe_name(title)[:31])
        for index, column in enumerate(columns):
            self.sheet.set_column(index, index, column.width)
        self.sheet.freeze_panes(HEADER_ROW + 1, 0)

        self._text(0, 0, title, self.bold)
        self._text(1, 0, str(_l("Exported by")), self.bold)
        self._text(
            1, 1, str(_l("%(name)s (%(identity)s)", name=exporter, identity=identity))
        )
        self._text(2, 0, str(_l("Exported at (Beijing time)")), self.bold)
        self.sheet.write_datetime(2, 1, local_time(now), self.time_format)
        self._text(3, 0, str(_l("Filters")), self.bold)
        self._text(3, 1, _described(filters) or str(_l("None (all rows)")))
        for index, column in enumerate(columns):
            self._text(HEADER_ROW, index, str(column.title), self.header_format)
        self.rows = 0

    def _text(self, row: int, col: int, value, cell_format=None) -> None:
        text, quoted = clean_cell(value)
        if quoted:
            cell_format = self.quoted_format
        if text:
            self.sheet.write_string(row, col, text, cell_format or self.text_format)

    def write(self, item) -> None:
        row = HEADER_ROW + 1 + self.rows
        if row >= EXCEL_ROWS:
            raise ValueError("more rows than one Excel sheet holds")
        for index, column in enumerate(self.columns):
            value = column.value(item)
            if column.kind == "datetime":
                if value is not None:
                    self.sheet.write_datetime(
                        row, index, local_time(value), self.time_format
                    )
            else:
                self._text(row, index, value)
        self.rows += 1

    def close(self) -> int:
        if self.rows:
            self.sheet.autofilter(
                HEADER_ROW, 0, HEADER_ROW + self.rows, len(self.columns) - 1
            )
        self.book.set_custom_property("rows", self.rows)
        self.book.close()
        return self.rows


@dataclass
class ExportFile:
    """A finished export: an open temporary file at its start, its name, its rows."""

    file: IO[bytes]
    download_name: str
    rows: int


class _Subject:
    """What an export is recorded against in the audit log when it is a whole list."""

    def __init__(self, table: str, pk: int | None = None) -> None:
        self.__tablename__ = table
        self.id = pk


def _safe_name(text: str) -> str:
    """``text`` without the characters sheet and file names cannot hold."""
    return re.sub(r'[\[\]:*?/\\"<>|]', "_", clean_cell(text)[0]).strip("' ") or "export"


def _write(
    *,
    title: str,
    identity: Identity,
    filters: list[tuple[str, str]],
    columns: Sequence[Column],
    rows: Iterable,
) -> ExportFile:
    target = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        writer = SheetWriter(
            target,
            title=title,
            exporter=identity.account.display_name,
            identity=str(identity),
            filters=filters,
            columns=columns,
        )
        for row in rows:
            writer.write(row)
        count = writer.close()
    except BaseException:
        target.close()
        raise
    target.seek(0)
    stamp = local_time(utcnow()).strftime("%Y%m%d-%H%M%S")
    return ExportFile(
        file=target, download_name=f"{_safe_name(title)}-{stamp}.xlsx", rows=count
    )


# --------------------------------------------------------------------------------------
# The overviews
# --------------------------------------------------------------------------------------


def overview_columns(kind: OverviewKind) -> list[Column]:
    """The columns of an overview's file, in the page's order. (Titles of levels,
    states and yes/no are translated once here, not once per row.)"""
    yes_no = {True: str(_l("Yes")), False: str(_l("No"))}
    levels = {key: str(title) for key, title in MEMBER_LEVEL_TITLES.items()}
    states = {state.value: state.title for state in ProspectiveState}
    columns = [
        Column(_l("Name"), lambda row: row.name, 14),
        Column(_l("Mobile number"), lambda row: row.mobile, 14),
        Column(_l("Field"), lambda row: row.field, 16),
        Column(_l("Recommending channel"), lambda row: row.channel, 28),
        Column(_l("Intended assessing society"), lambda row: row.society, 24),
        Column(_l("Level applied for"), lambda row: levels.get(row.level or ""), 16),
        Column(_l("Consultation"), lambda row: yes_no[row.wants_consultation], 12),
        Column(_l("Consultation arrangement"), lambda row: row.consultation, 20),
    ]
    if kind == OverviewKind.PROSPECT:
        return columns + [
            Column(_l("State"), lambda row: states[row.state], 12),
            Column(_l("Submitted at"), lambda row: row.submitted_at, 18, "datetime"),
        ]
    columns.append(
        Column(
            _l("Prospective application submitted at"),
            lambda row: row.submitted_at,
            18,
            "datetime",
        )
    )
    for stage in MEMBER_STAGES:
        columns.append(Column(STAGE_TITLES[stage], _stage_flag(stage, yes_no), 12))
        columns.append(
            Column(STAGE_DATE_TITLES[stage], _stage_time(stage), 18, "datetime")
        )
    return columns


def _stage_flag(stage: str, yes_no: dict[bool, str]) -> Callable[[OverviewRow], str]:
    return lambda row: yes_no[row.stages.get(stage) is not None]


def _stage_time(stage: str) -> Callable[[OverviewRow], dt.datetime | None]:
    return lambda row: row.stages.get(stage)


EXPORT_ACTIONS = {
    OverviewKind.PROSPECT: "export.prospects",
    OverviewKind.ASSESSMENT: "export.assessments",
}


def export_overview(identity: Identity, filters: overviews.Filters) -> ExportFile:
    """The file of exactly the rows the overview shows for ``filters`` (checked: the
    caller refuses filters with errors), recorded in the audit log."""
    if not filters.ok:
        raise ValueError("export_overview needs filters without errors")
    with force_locale(EXPORT_LOCALE):
        described = filters.described()
        export = _write(
            title=filters.kind.title,
            identity=identity,
            filters=described,
            columns=overview_columns(filters.kind),
            rows=overviews.iter_rows(identity, filters, CHUNK),
        )
    _record(
        EXPORT_ACTIONS[filters.kind],
        _Subject(ProspectiveApplication.__tablename__),
        identity,
        overview=filters.kind.value,
        filters=dict(described),
        rows=export.rows,
    )
    return export


# --------------------------------------------------------------------------------------
# The code list (推荐码)
# --------------------------------------------------------------------------------------

CODE_STATES = ("", *[state.value for state in CodeState])


def code_list_conditions(channel_id: int, state: str) -> list:
    """Which codes the code list shows: the channel's codes in one state, or all but
    the revoked ones (the list page and its export alike)."""
    if state:
        return [ReferralCode.channel_id == channel_id, ReferralCode.state == state]
    return [
        ReferralCode.channel_id == channel_id,
        ReferralCode.state != CodeState.REVOKED.value,
    ]


def code_list_query(channel_id: int, state: str):
    """The code list's rows, with the name of the application that used each code."""
    return (
        select(
            ReferralCode.id,
            ReferralCode.code,
            ReferralCode.state,
            ReferralCode.shared_to,
            ReferralCode.shared_at,
            ReferralCode.used_at,
            ProspectiveApplication.name.label("used_by"),
        )
        .outerjoin(
            ProspectiveApplication,
            ProspectiveApplication.referral_code_id == ReferralCode.id,
        )
        .where(*code_list_conditions(channel_id, state))
        .order_by(ReferralCode.state, ReferralCode.id)
    )


def code_columns() -> list[Column]:
    # The number a code was shared to is masked, as on the code list page.
    states = {state.value: state.title for state in CodeState}
    return [
        Column(_l("Referral code"), lambda row: row.code, 16),
        Column(_l("State"), lambda row: states[row.state], 10),
        Column(_l("Shared to"), lambda row: mask_mobile(row.shared_to), 14),
        Column(_l("Shared at"), lambda row: row.shared_at, 18, "datetime"),
        Column(_l("Used by"), lambda row: row.used_by, 14),
        Column(_l("Used at"), lambda row: row.used_at, 18, "datetime"),
    ]


def export_codes(identity: Identity, channel: Channel, state: str) -> ExportFile:
    """The file of the channel's code list in ``state`` ('' for all but revoked)."""
    if state not in CODE_STATES:
        raise ValueError(f"unknown code state {state!r}")
    with force_locale(EXPORT_LOCALE):
        filters = [(str(_l("State")), CodeState(state).title)] if state else []
        result = db.session.execute(
            code_list_query(channel.id, state).execution_options(yield_per=CHUNK)
        )
        export = _write(
            title=f"{_l('Referral codes')} · {channel.name}",
            identity=identity,
            filters=filters,
            columns=code_columns(),
            rows=result,
        )
    _record(
        "export.codes",
        channel,
        identity,
        overview="codes",
        filters=dict(filters),
        rows=export.rows,
    )
    return export


def _record(action: str, target, identity: Identity, **after) -> None:
    account_id, identity_id = identity.account_id, identity.id
    with write_transaction():
        record_change(action, target, actor=identity, after=after)
    # Ids and the number of rows; the filter values (names, numbers) stay in the audit log.
    logger.info(
        "%s: %d rows by account %s as identity %s, %d filters",
        action,
        after["rows"],
        account_id,
        identity_id,
        len(after["filters"]),
    )
