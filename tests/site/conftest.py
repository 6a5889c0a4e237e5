"""Fixtures of the applicant site tests: an applicant account, a clock to move, the
outbox rows, and a stand-in for the application page until views/site/applications.py
defines ``site.apply``."""

import datetime as dt

import pytest
from flask import current_app
from sqlalchemy import select

from app.db import write_transaction
from app.extensions import db
from app.models import OutboxMessage


@pytest.fixture(autouse=True)
def _apply_endpoint(app):
    """The home page links to ``site.apply``; stand in for it while it does not exist."""
    if "site.apply" not in app.view_functions:
        app.add_url_rule(
            "/apply/application",
            endpoint="site.apply",
            view_func=lambda: "application form",
        )
    yield


class Clock:
    """The time every service reads (app.models.base.utcnow), moved by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(dt.datetime(2026, 3, 2, 8, 0, 0))
    monkeypatch.setattr("app.models.base.utcnow", clock)
    return clock


@pytest.fixture
def applicant(app):
    """An applicant account with an e-mail address, a mobile number and a password."""
    from app.services import accounts

    with write_transaction():
        account = accounts.create_account(
            name="张三",
            email="zhang@example.com",
            mobile="13900001111",
            password="right-pass-1",
        )
        return account.id


def outbox_rows(recipient: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    db.session.rollback()  # end the read snapshot: see what other sessions committed
    return list(db.session.scalars(query))


def last_code(recipient: str) -> str:
    """The 6-digit code of the newest message to ``recipient`` (read from the outbox)."""
    import re

    body = outbox_rows(recipient)[-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


def settings() -> dict:
    return {
        key: value
        for key, value in current_app.config.items()
        if key.startswith("VERIFICATION_")
    }
