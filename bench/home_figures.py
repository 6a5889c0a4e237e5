"""Benchmark: each identity's backend home page (app/services/figures.py) at national scale.

Builds the world of bench/channels_list.py (one society, 5,000 level-1 enterprises,
300,000 codes) plus 20,000 submitted applications addressed to the society, a
super-admin and a platform admin, then times the home page of each identity through
the test client and prints its SQL statement count.

    .venv/bin/python bench/home_figures.py          (SQLite file in a temp folder)
    DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/home_figures.py
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Channel,
    IdentityKind,
    ProspectiveApplication,
    ReferralCode,
    Society,
)
from app.models.base import utcnow  # noqa: E402
from bench.channels_list import build, measure  # noqa: E402

APPLICATIONS = 20_000


def add_applications(society_id: int) -> None:
    """Submitted applications through the first codes, one applicant account each."""
    from app.db import write_transaction
    from app.models import Account

    now = utcnow()
    codes = db.session.execute(
        select(ReferralCode.id, ReferralCode.channel_id)
        .order_by(ReferralCode.id)
        .limit(APPLICATIONS)
    ).all()
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
                for n in range(len(codes))
            ],
        )
    account_ids = db.session.scalars(
        select(Account.id).where(Account.username.like("bench%")).order_by(Account.id)
    ).all()
    states = ("submitted", "approved", "returned", "rejected", "withdrawn")
    with write_transaction():
        db.session.execute(
            update(ReferralCode)
            .where(
                ReferralCode.id.in_(
                    select(ReferralCode.id)
                    .order_by(ReferralCode.id)
                    .limit(APPLICATIONS)
                )
            )
            .values(state="used", used_at=now)
        )
        db.session.execute(
            insert(ProspectiveApplication),
            [
                {
                    "applicant_id": account_id,
                    "route": "enterprise",
                    "channel_id": channel_id,
                    "referral_code_id": code_id,
                    "name": "申请人",
                    "mobile": "13900000000",
                    "assessing_society_id": society_id,
                    "level": "professional",
                    "wants_consultation": n % 3 == 0,
                    "state": states[n % len(states)],
                    "submitted_at": now,
                    "overseas": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, (account_id, (code_id, channel_id)) in enumerate(
                    zip(account_ids, codes, strict=False)
                )
            ],
        )


def main():
    folder = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL", f"sqlite:///{folder}/bench.db")
    app = create_app(
        "test", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        society_contact, enterprise = build(app)
        society = db.session.scalar(select(Society))
        add_applications(society.id)
        from app.db import write_transaction
        from app.services import accounts

        with write_transaction():
            admin = accounts.create_account(
                name="超管", mobile="13800000003", password="bench-pass-1"
            )
            admin_identity = accounts.add_identity(
                admin,
                IdentityKind.SOCIETY_ADMIN,
                society=db.session.get(Society, society.id),
            )
            platform = accounts.create_account(
                name="平台", mobile="13800000004", password="bench-pass-1"
            )
            platform_identity = accounts.add_identity(
                platform, IdentityKind.PLATFORM_ADMIN
            )
            identities = {
                "society channel contact": society_contact,
                "enterprise contact (level 1)": enterprise,
                "society super-admin": (admin.id, admin_identity.id),
                "platform admin": (platform.id, platform_identity.id),
            }
        channels = db.session.scalar(select(db.func.count()).select_from(Channel))
        print(
            f"database: {db.engine.dialect.name}; {channels} channels, 300000 codes, {APPLICATIONS} applications, built in {time.perf_counter() - started:.1f} s"
        )
        print(f"{'home page of':<36}{'median ms':>10}{'SQL':>6}{'KiB':>8}")
        for label, (account_id, identity_id) in identities.items():
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["identity_id"] = (
                    str(account_id),
                    identity_id,
                )
            ms, sql, size = measure(app, client, "/")
            print(f"{label:<36}{ms:>10.1f}{sql:>6}{size / 1024:>8.1f}")


if __name__ == "__main__":
    main()
