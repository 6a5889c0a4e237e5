"""Benchmark: the society review queue (学会审核) at national scale.

100,000 prospective applications over four national societies (25,000 addressed to the
measured one, a fifth of them waiting), freshly inserted and not analysed (the worst
case for PostgreSQL's planner), then the queue pages of that society's super-admin
timed through the test client with their SQL statement counts.

    .venv/bin/python bench/review_queue.py          (SQLite file in a temp folder)
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/review_queue.py
"""

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Account,
    Channel,
    Field,
    IdentityKind,
    ProspectiveApplication,
    Society,
)
from app.models.base import utcnow  # noqa: E402

APPLICATIONS = 100_000
SOCIETIES = 4
PAGES = [
    "/review/",
    "/review/?page=200",
    "/review/?name=张1",
    "/review/?state=all&channel=学会",
    "/review/?overdue=1",
    "/review/1",
]


def build(app) -> tuple[int, int]:
    """The societies, the applications and one super-admin; its (account, identity)."""
    from app.db import write_transaction
    from app.services import accounts, organisations

    with write_transaction():
        field_id = organisations.ensure_field("电气", [], 1).id
    field = db.session.get(Field, field_id)
    societies = [
        organisations.create_society(f"学会{n}", "national", fields=[field])
        for n in range(SOCIETIES)
    ]
    roots = {
        s.id: db.session.scalar(
            select(Channel.id).where(Channel.society_id == s.id, Channel.level == 0)
        )
        for s in societies
    }
    now = utcnow()
    with write_transaction():
        db.session.execute(
            insert(Account),
            [
                {
                    "username": f"bench{n}",
                    "first_name": "申请人",
                    "last_name": str(n),
                    "active": True,
                    "email": f"bench{n}@example.com",
                    "password": "x",
                    "created_on": now,
                    "changed_on": now,
                }
                for n in range(APPLICATIONS)
            ],
        )
    account_ids = db.session.scalars(
        select(Account.id).where(Account.username.like("bench%")).order_by(Account.id)
    ).all()
    states = ("submitted", "approved", "returned", "rejected", "withdrawn")
    rows = []
    for n, account_id in enumerate(account_ids):
        society = societies[n % SOCIETIES]
        rows.append(
            {
                "applicant_id": account_id,
                "route": "society",
                "channel_id": roots[society.id],
                "name": f"张{n}",
                "mobile": f"139{n:08d}",
                "field_id": field_id,
                "assessing_society_id": society.id,
                "level": "professional",
                "state": states[n % len(states)],
                "submitted_at": now - dt.timedelta(minutes=n),
                "overseas": False,
                "wants_consultation": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    with write_transaction():
        for start in range(0, len(rows), 10_000):
            db.session.execute(
                insert(ProspectiveApplication), rows[start : start + 10_000]
            )
    with write_transaction():
        account = accounts.create_account(
            name="审核员", mobile="13600000001", password="bench-pass-1"
        )
        identity = accounts.add_identity(
            account,
            IdentityKind.SOCIETY_ADMIN,
            society=db.session.get(Society, societies[0].id),
        )
        return account.id, identity.id


def main() -> None:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        account_id, identity_id = build(app)
        statements = {"count": 0}
        event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *args: statements.__setitem__("count", statements["count"] + 1),
        )
    client = app.test_client()
    with client.session_transaction() as session:
        session.update(
            {"_user_id": str(account_id), "_fresh": True, "identity_id": identity_id}
        )
    for path in PAGES:
        client.get(path)
        best = None
        for _ in range(5):
            statements["count"] = 0
            started = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        print(
            f"{path:40} {response.status_code}  {best * 1000:7.1f} ms  {statements['count']} statements"
        )


if __name__ == "__main__":
    main()
