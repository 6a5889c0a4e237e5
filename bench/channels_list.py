"""Benchmark: the channel settings list and the code list at national scale.

Builds a temporary SQLite database (or DATABASE_URL) with one society holding 5,000
level-1 enterprises and 300,000 codes, then times the pages through the test client.
Prints server time per page and the statement count; compare ratios within one run.

    .venv/bin/python bench/channels_list.py
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Channel, IdentityKind, ReferralCode  # noqa: E402
from app.models.base import utcnow  # noqa: E402

CHANNELS = 5_000
CODES_PER_CHANNEL = 60
REPEAT = 15


def build(app):
    from app.db import write_transaction
    from app.services import accounts, codes
    from app.services.organisations import create_society

    society = create_society("中国土木工程学会", "national")
    root = db.session.scalar(select(Channel).where(Channel.society_id == society.id, Channel.level == 0))
    now = utcnow()
    with write_transaction():
        db.session.execute(
            insert(Channel),
            [
                {"society_id": society.id, "parent_id": root.id, "level": 1, "name": f"企业{i:05d}", "quota": CODES_PER_CHANNEL,
                 "enabled": True, "created_at": now, "updated_at": now}
                for i in range(CHANNELS)
            ],
        )
    channel_ids = db.session.scalars(select(Channel.id).where(Channel.level == 1)).all()
    with write_transaction():
        rows = [
            {"code": codes.new_code_string(), "channel_id": cid, "state": "available", "created_at": now}
            for cid in channel_ids
            for _ in range(CODES_PER_CHANNEL)
        ]
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(ReferralCode), rows[start:start + 20_000])
    with write_transaction():
        society_account = accounts.create_account(name="学会", mobile="13800000001", password="bench-pass-1")
        society_identity = accounts.add_identity(society_account, IdentityKind.SOCIETY_CONTACT, society=society)
        enterprise_account = accounts.create_account(name="企业", mobile="13800000002", password="bench-pass-1")
        channel = db.session.get(Channel, channel_ids[len(channel_ids) // 2])
        enterprise_identity = accounts.add_identity(enterprise_account, IdentityKind.ENTERPRISE_CONTACT, channel=channel)
    return (society_account.id, society_identity.id), (enterprise_account.id, enterprise_identity.id)


def measure(app, client, url):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    times = []
    for _ in range(REPEAT):
        statements.clear()
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    event.remove(db.engine, "before_cursor_execute", count)
    return statistics.median(times), len(statements), len(response.data)


def main():
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL", f"sqlite:///{folder}/bench.db")
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        society, enterprise = build(app)
        print(f"database: {db.engine.dialect.name}; built {CHANNELS} channels, {CHANNELS * CODES_PER_CHANNEL} codes in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["identity_id"] = str(society[0]), society[1]
        baseline = measure(app, client, "/healthz")
        print(f"{'page':<48}{'median ms':>10}{'SQL':>6}{'KiB':>8}{'× healthz':>11}")
        for label, page in [
            ("healthz (baseline)", "/healthz"),
            ("enterprise channels, page 1", "/enterprise-channels/"),
            ("enterprise channels, page 200", "/enterprise-channels/?page=200"),
            ("enterprise channels, name search", "/enterprise-channels/?name=企业0499"),
            ("prospect overview (society)", "/prospect-overview/"),
        ]:
            ms, sql, size = measure(app, client, page)
            print(f"{label:<48}{ms:>10.1f}{sql:>6}{size / 1024:>8.1f}{ms / baseline[0]:>11.1f}")
        with client.session_transaction() as session:
            session["_user_id"], session["identity_id"] = str(enterprise[0]), enterprise[1]
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["identity_id"] = str(enterprise[0]), enterprise[1]
        for label, page in [("code list (enterprise, 60 codes)", "/codes/"), ("prospect overview (enterprise)", "/prospect-overview/")]:
            ms, sql, size = measure(app, client, page)
            print(f"{label:<48}{ms:>10.1f}{sql:>6}{size / 1024:>8.1f}{ms / baseline[0]:>11.1f}")


if __name__ == "__main__":
    main()
