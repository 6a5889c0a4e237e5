"""评价结果导入: the bulk import of assessment results of member applications (issue 5)
for societies that assess offline, around ``members.parse_results`` and
``members.apply_results``.

The import has two steps. The dry run (``dry_run``) checks the uploaded workbook,
reads it and judges every row, writes nothing to the database and keeps what it judged
as a *plan*: a small JSON file in the private upload storage (app/services/uploads.py,
kind ``member_import``) named by a random key, bound to the identity and account that
uploaded it, with the file's SHA-256. 确认导入 (``apply_plan``) applies exactly the rows
the plan holds as valid, each in its own audited transition through ``members.decide``
(a row decided meanwhile is refused on its own and reported), and the rows the dry run
refused stay refused with their reason: what is applied is what the dry run showed,
never a new reading of the file. A plan is used once (the file is deleted as it is
claimed) and expires after ``PLAN_HOURS``.

The file is refused by its content, not its name: an .xlsx workbook is a ZIP archive
with ``xl/workbook.xml``; its size (``IMPORT_MAX_BYTES``) and unpacked size are capped
before openpyxl reads it, and ``members.read_workbook`` caps the rows.
"""

import datetime as dt
import hashlib
import io
import json
import logging
import time
import zipfile
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Identity, MemberApplication
from app.models.base import utcnow
from app.services import members, uploads

logger = logging.getLogger(__name__)

M = MemberApplication

IMPORT_MAX_BYTES = 5 * 1024 * 1024
UNPACKED_MAX_BYTES = 64 * 1024 * 1024
PLAN_KIND = "member_import"
PLAN_HOURS = 2
FILE_NAME_MAX = 100
# The template's columns: 姓名 is for the reader only (the import finds an application
# by 申请编号 and/or 证件号码).
TEMPLATE_HEADERS = ("申请编号", "证件号码", "姓名", "结果", "会员编号")
RESULT_WORDS = ("通过", "未通过", "注册")


class PlanGone(members.MemberError):
    """The dry run was applied already, has expired, or is not this identity's."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "This dry run was already imported or has expired; upload the file again."
            )
        )


@dataclass
class PlanRow(members.JudgedRow):
    """One row of a dry run as kept: what it would do, or why it is refused."""

    row_no: int
    application_id: int | None
    action: str | None
    member_number: str | None
    problem: str | None


@dataclass
class Plan:
    """A dry run kept for 确认导入."""

    key: str
    identity_id: int
    account_id: int
    society_id: int
    created: str
    file_name: str
    file_sha256: str
    rows: list[PlanRow]

    @property
    def valid_count(self) -> int:
        return sum(row.valid for row in self.rows)


@dataclass
class DryRunLine:
    """A row of the dry run page: the plan row and the application as it is now."""

    row: PlanRow
    application: MemberApplication | None
    id_number: str


# --- the file ----------------------------------------------------------------------


def check_file(data: bytes) -> None:
    """Refuse what is not an .xlsx workbook by its content, or is too large."""
    if len(data) > IMPORT_MAX_BYTES:
        raise members.MemberError(
            _l(
                "The file is larger than %(size)d MB.",
                size=IMPORT_MAX_BYTES // (1024 * 1024),
            ),
            field="file",
        )
    not_a_workbook = members.MemberError(
        _l("This file is not an Excel workbook (.xlsx)."), field="file"
    )
    if not data.startswith(b"PK\x03\x04"):
        raise not_a_workbook
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_a_workbook from None
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise not_a_workbook
    if unpacked > UNPACKED_MAX_BYTES:
        raise members.MemberError(
            _l("The workbook is too large once unpacked; split it into smaller files."),
            field="file",
        )


def template_workbook() -> bytes:
    """The template to fill in: the columns the import reads, in Chinese, and a sheet
    of notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "评价结果"
    sheet.append(list(TEMPLATE_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDE", (12, 22, 16, 10, 22), strict=True):
        sheet.column_dimensions[column].width = width
        # Text columns: Excel must not turn an ID number into a number.
        if column in "BE":
            for row in range(2, 1002):
                sheet[f"{column}{row}"].number_format = "@"
    choice = DataValidation(
        type="list", formula1='"' + ",".join(RESULT_WORDS) + '"', allow_blank=True
    )
    sheet.add_data_validation(choice)
    choice.add("D2:D1001")

    notes = book.create_sheet("填写说明")
    for line in (
        "每行一条注册工程会员申请，第一行为列名，请勿修改。",
        "申请编号：注册工程会员申请审核列表中的编号；证件号码：申请人的证件号码。两者至少填写一项，都填写时须为同一申请。",
        "结果：通过、未通过或注册。已受理的申请可记录通过或未通过；已通过评价的申请可注册。",
        "会员编号：仅注册时填写，可留空，留空时由系统按学会、级别和年份自动生成。",
        f"每次最多导入{members.IMPORT_MAX_ROWS}行；只能导入本学会的申请。",
        "上传后先预览每行将执行的操作，确认后才会导入。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the dry run -------------------------------------------------------------------


def dry_run(
    identity: Identity, data: bytes, file_name: str | None
) -> tuple[Plan, list[DryRunLine]]:
    """Check and read the workbook, judge each row (``members.parse_results``) and keep
    the judgement as a plan; nothing is written to the database."""
    if not members.can_decide(identity):
        raise members.MemberForbidden()
    check_file(data)
    rows = members.read_workbook(data)
    if not rows:
        raise members.MemberError(
            _l("The workbook has no rows under the column names."), field="file"
        )
    parsed = members.parse_results(identity, rows)
    id_numbers = {
        row[members.ROW_NUMBER]: (row.get("id_number") or "").strip().upper()
        for row in rows
    }
    plan_rows = [
        PlanRow(
            row_no=item.row_no,
            application_id=item.application.id if item.application else None,
            action=item.action,
            member_number=item.member_number,
            problem=None if item.problem is None else str(item.problem),
        )
        for item in parsed
    ]
    plan = Plan(
        key="",
        identity_id=identity.id,
        account_id=identity.account_id,
        society_id=identity.society_id,
        created=utcnow().isoformat(),
        file_name=(file_name or "").strip()[:FILE_NAME_MAX],
        file_sha256=hashlib.sha256(data).hexdigest(),
        rows=plan_rows,
    )
    _prune_plans()
    document = {key: value for key, value in asdict(plan).items() if key != "key"}
    plan.key = uploads.store(
        json.dumps(document, ensure_ascii=False).encode(), PLAN_KIND
    )
    lines = [
        DryRunLine(row, item.application, id_numbers.get(item.row_no, ""))
        for row, item in zip(plan_rows, parsed, strict=True)
    ]
    logger.info(
        "member results dry run %s by account %s as identity %s: %d rows, %d valid",
        plan.key,
        identity.account_id,
        identity.id,
        len(plan.rows),
        plan.valid_count,
    )
    return plan, lines


def load_plan(identity: Identity, key: str | None) -> Plan:
    """The identity's plan kept under ``key``; PlanGone when it is not there (applied,
    expired, another identity's, or no plan at all)."""
    if not members.can_decide(identity) or not isinstance(key, str):
        raise PlanGone()
    if not uploads.is_key(key) or not key.startswith(f"{PLAN_KIND}/"):
        raise PlanGone()
    try:
        document = json.loads(uploads.read(key))
        rows = [PlanRow(**row) for row in document.pop("rows")]
        plan = Plan(key=key, rows=rows, **document)
        created = dt.datetime.fromisoformat(plan.created)
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        raise PlanGone() from None
    if (
        plan.identity_id != identity.id
        or plan.account_id != identity.account_id
        or plan.society_id != identity.society_id
        or utcnow() - created > dt.timedelta(hours=PLAN_HOURS)
    ):
        raise PlanGone()
    return plan


def discard_plan(key: str | None) -> None:
    """Forget a plan that will not be applied (the page was left, a newer one made)."""
    if isinstance(key, str) and uploads.is_key(key) and key.startswith(f"{PLAN_KIND}/"):
        uploads.delete(key)


def apply_plan(identity: Identity, key: str | None) -> list[members.ResultLine]:
    """确认导入: the plan's valid rows through ``members.apply_results`` (each its own
    audited transition), its refused rows reported with the dry run's reason. A plan
    is applied once: claiming it deletes it."""
    plan = load_plan(identity, key)
    if not uploads.delete(plan.key):
        raise PlanGone()  # another request claimed it first
    ids = {row.application_id for row in plan.rows if row.application_id is not None}
    found = {
        item.id: item
        for item in db.session.scalars(
            select(M).where(M.id.in_(ids), M.society_id == identity.society_id)
        )
    }
    missing = str(_l("No application with this number is in your queue."))
    rows = []
    for row in plan.rows:
        application = found.get(row.application_id)
        problem = row.problem
        if problem is None and application is None:
            problem = missing
        rows.append(
            members.ResultRow(
                row.row_no, application, row.action, row.member_number, problem
            )
        )
    lines = members.apply_results(identity, rows)
    logger.info(
        "member results import %s (file sha256 %s…) applied by account %s as identity %s",
        plan.key,
        plan.file_sha256[:12],
        identity.account_id,
        identity.id,
    )
    return lines


def _prune_plans(max_age_hours: int = 24) -> None:
    """Delete plans nobody applied, older than a day (they hold ids, no personal data)."""
    folder = uploads.upload_dir() / PLAN_KIND
    if not folder.is_dir():
        return
    limit = time.time() - max_age_hours * 3600
    for path in folder.glob("*/*"):
        key = f"{PLAN_KIND}/{path.parent.name}/{path.name}"
        try:
            old = path.stat().st_mtime < limit
        except OSError:
            continue
        if old and uploads.is_key(key):
            uploads.delete(key)
