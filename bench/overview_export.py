"""Benchmark: the Excel export of 拟参加工程能力评价人员总览 at national scale.

Builds a temporary SQLite database (or DATABASE_URL) with one society, 100 level-1
enterprises and 100,000 submitted prospective applications, then exports 10,000
rows (a one-day date filter) and all 100,000 as the platform admin. It prints the
time of an untraced run, the peak of Python memory allocated during a second, traced
run (tracemalloc slows Python down several times), and the file size. A streamed export keeps the peak flat: the
100,000-row file must not need ten times the memory of the 10,000-row one.

    .venv/bin/python bench/overview_export.py
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/overview_export.py
"""

import datetime as dt
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Account,
    Channel,
    Field,
    Identity,
    IdentityKind,
    ProspectiveApplication,
)
from app.models.base import utcnow  # noqa: E402

APPLICATIONS = 100_000
ENTERPRISES = 100
BATCH = 10_000
START = dt.datetime(2026, 1, 1)


def build() -> int:
    """The data set; returns the platform admin's identity id."""
    from app.db import write_transaction
    from app.services import accounts
    from app.services.organisations import create_society

    society = create_society("中国土木工程学会", "national")
    root = db.session.scalar(
        select(Channel).where(Channel.society_id == society.id, Channel.level == 0)
    )
    now = utcnow()
    with write_transaction():
        field = Field(name="土木工程", position=1)
        db.session.add(field)
        db.session.execute(
            insert(Channel),
            [
                {
                    "society_id": society.id,
                    "parent_id": root.id,
                    "level": 1,
                    "name": f"企业{i:04d}",
                    "quota": 0,
                    "enabled": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(ENTERPRISES)
            ],
        )
    field_id = db.session.scalar(select(Field.id))
    channel_ids = db.session.scalars(
        select(Channel.id).where(Channel.level == 1).order_by(Channel.id)
    ).all()
    for start in range(0, APPLICATIONS, BATCH):
        numbers = range(start, min(start + BATCH, APPLICATIONS))
        with write_transaction():
            db.session.execute(
                insert(Account),
                [
                    {
                        "first_name": f"申请人{n}",
                        "last_name": "",
                        "username": f"1{n + 3_000_000_000:010d}",
                        "mobile": f"1{n + 3_000_000_000:010d}",
                        "active": True,
                        "created_on": now,
                        "changed_on": now,
                        "created_by_fk": None,
                        "changed_by_fk": None,
                    }
                    for n in numbers
                ],
            )
            first = db.session.scalar(
                select(Account.id).where(
                    Account.username == f"1{start + 3_000_000_000:010d}"
                )
            )
            db.session.execute(
                insert(ProspectiveApplication),
                [
                    {
                        "applicant_id": first + (n - start),
                        "route": "enterprise",
                        "channel_id": channel_ids[n % ENTERPRISES],
                        "name": f"申请人{n}" if n % 997 else f'=HYPERLINK("x")\t{n}',
                        "mobile": f"1{n + 3_000_000_000:010d}",
                        "field_id": field_id,
                        "employer": "某工程有限公司",
                        "country": "CN",
                        "assessing_society_id": society.id,
                        "level": "professional" if n % 3 else "senior",
                        "practice": "工程实践经历" * 20,
                        "wants_consultation": n % 5 == 0,
                        "state": "submitted",
                        # 10,000 applications per day: one day is a 10,000-row filter.
                        "submitted_at": START
                        + dt.timedelta(seconds=n * 86_400 // 10_000),
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in numbers
                ],
            )
    with write_transaction():
        account = accounts.create_account(
            name="平台管理员", mobile="13800000009", password="bench-pass-1"
        )
        return accounts.add_identity(account, IdentityKind.PLATFORM_ADMIN).id


def export_once(
    app, identity_id: int, raw: dict, *, traced: bool
) -> tuple[int, float, float, int]:
    """(rows, seconds, peak MiB of Python allocations or 0, file KiB) of one export."""
    from app.services import exports, overviews
    from app.services.overviews import OverviewKind

    with app.test_request_context():
        identity = db.session.get(Identity, identity_id)
        filters = overviews.read_filters(identity, OverviewKind.PROSPECT, raw)
        assert filters.ok, filters.errors
        db.session.commit()
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        export = exports.export_overview(identity, filters)
        seconds = time.perf_counter() - started
        peak = 0
        if traced:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        size = os.fstat(export.file.fileno()).st_size
        export.file.close()
        db.session.remove()
    return export.rows, seconds, peak / 2**20, size // 1024


def measure(app, identity_id: int, raw: dict) -> tuple[int, float, float, int]:
    """Time an untraced export (tracemalloc slows Python down several times), then the
    peak memory of a traced one."""
    rows, seconds, _peak, size = export_once(app, identity_id, raw, traced=False)
    _rows, _seconds, peak, _size = export_once(app, identity_id, raw, traced=True)
    return rows, seconds, peak, size


def page_times(app, identity_id: int) -> None:
    """Median server time of the list page through the test client (5 runs)."""
    import statistics

    with app.app_context():
        account_id = db.session.get(Identity, identity_id).account_id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["identity_id"] = str(account_id), identity_id
    print(f"{'list page (platform admin)':<44}{'median ms':>10}")
    for label, url in [
        ("page 1", "/prospect-overview/"),
        ("page 2,000", "/prospect-overview/?page=2000"),
        ("name filter", "/prospect-overview/?name=申请人4242"),
        (
            "one day, sorted by name",
            "/prospect-overview/?submitted_from=2026-01-03&submitted_to=2026-01-03&sort=name",
        ),
    ]:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        print(f"{label:<44}{statistics.median(times):>10.1f}")


def main() -> None:
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL", f"sqlite:///{folder}/bench.db")
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        identity_id = build()
        print(
            f"database: {db.engine.dialect.name}; built {APPLICATIONS} applications in {time.perf_counter() - started:.1f} s"
        )
        db.session.remove()
    print(
        f"{'export':<30}{'rows':>8}{'seconds':>9}{'rows/s':>8}{'peak MiB':>10}{'file KiB':>10}"
    )
    for label, raw in [
        (
            "one day (10,000 rows)",
            {"submitted_from": "2026-01-03", "submitted_to": "2026-01-03"},
        ),
        ("everything (100,000 rows)", {}),
    ]:
        rows, seconds, peak, size = measure(app, identity_id, raw)
        print(
            f"{label:<30}{rows:>8}{seconds:>9.1f}{rows / seconds:>8.0f}{peak:>10.2f}{size:>10}"
        )
    page_times(app, identity_id)
    print(
        f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (all of the above, data set build included)"
    )


if __name__ == "__main__":
    main()
