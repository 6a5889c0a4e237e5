"""Database session helpers: SQLite pragmas and short write transactions.

SQLite in WAL mode lets readers run beside one writer, but a transaction that read
first and writes later fails at once when another writer got in between. Services
therefore run their writes in ``write_transaction()``, which on SQLite starts with
``BEGIN IMMEDIATE`` (the write lock is taken up front and waits up to the busy
timeout); on PostgreSQL the services lock rows with ``SELECT ... FOR UPDATE``.
"""

import contextvars
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

logger = logging.getLogger(__name__)

_IMMEDIATE: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)
SQLITE_BUSY_TIMEOUT_MS = 30_000
_after_commit_hooks: list = []


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # SQLAlchemy emits BEGIN itself below, so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


def on_commit(hook) -> None:
    """Register ``hook(session)`` to run after every successful write transaction.

    Work a hook will pick up is kept in ``session.info`` under a ``pending_`` key,
    which a rollback discards.
    """
    _after_commit_hooks.append(hook)


@contextmanager
def write_transaction() -> Iterator:
    """Run the body as one write transaction, committed at the end, rolled back on error.

    Nested use joins the outer transaction.
    """
    session = db.session
    if _IMMEDIATE.get():
        yield session
        return

    if session().in_transaction():
        session.commit()
    token = _IMMEDIATE.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        for key in [key for key in session.info if key.startswith("pending_")]:
            del session.info[key]
        raise
    finally:
        _IMMEDIATE.reset(token)

    for hook in _after_commit_hooks:
        try:
            hook(session)
        except Exception:  # a follow-up (sending a message) must never fail the action
            logger.exception("after-commit hook %s failed", getattr(hook, "__name__", hook))


def lock_rows(statement):
    """Add FOR UPDATE on databases that have it (SQLite relies on BEGIN IMMEDIATE)."""
    return statement.with_for_update()
