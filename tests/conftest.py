"""Fixtures: the app on SQLite (always) and PostgreSQL (when 127.0.0.1:5432 answers),
a client, factories for organisations and identities, and a login helper."""

import os
import shutil
import uuid
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
_pg_reason: str | None = None


def _postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it is skipped."""
    global _pg_reason
    if _pg_reason is not None:
        return _pg_reason or None
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            pass
        _pg_reason = ""
    except Exception as exc:  # any failure means: skip PostgreSQL runs, and say why
        _pg_reason = f"PostgreSQL at 127.0.0.1:5432 does not answer ({exc.__class__.__name__}: {str(exc).strip()[:120]})"
    return _pg_reason or None


def pytest_report_header(config):
    reason = _postgres_available()
    return "PostgreSQL: " + ("available, tests run on SQLite and PostgreSQL" if reason is None else f"skipped: {reason}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file copied for every test."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url():
    reason = _postgres_available()
    if reason is not None:
        pytest.skip(reason)
    import psycopg

    name = f"assess_test_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_postgres(app) -> None:
    from flask_appbuilder import Model

    with app.app_context():
        tables = [t.name for t in Model.metadata.sorted_tables]
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, sqlite_template):
    """Each test runs once per database."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def app(database_url, tmp_path):
    # Private files (photos) go to the test's own folder, never to instance/uploads.
    app = create_app(
        "test",
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        },
    )
    if database_url.startswith("postgresql"):
        _truncate_postgres(app)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class World:
    """A small world: two societies, enterprises at both levels, one contact each."""

    app: object

    def society(self, name="中国土木工程学会", kind="national"):
        from app.services.organisations import create_society

        return create_society(name, kind)

    def root(self, society):
        from app.services.channels import get_society_root

        return get_society_root(society)

    def enterprise(self, parent, name, quota):
        from app.services.channels import create_enterprise

        return create_enterprise(parent, name, quota, actor=None)

    def account(self, name, mobile, kind, *, society=None, channel=None, password="secret-pass-1"):
        from app.db import write_transaction
        from app.services import accounts

        with write_transaction():
            account = accounts.find_account(mobile=mobile)
            if account is None:
                account = accounts.create_account(name=name, mobile=mobile, password=password)
            identity = accounts.add_identity(account, kind, society=society, channel=channel)
            return account.id, identity.id


@pytest.fixture
def world(app):
    return World(app)


def login(client, account_id: int, identity_id: int | None = None):
    """Log in by writing the session, as Flask-Login reads it; choose an identity."""
    with client.session_transaction() as session:
        session["_user_id"] = str(account_id)
        session["_fresh"] = True
        if identity_id is not None:
            session["identity_id"] = identity_id


def csrf_token(client, url: str = "/") -> str:
    """Read a CSRF token the way a browser gets one: from a rendered form."""
    import re

    response = client.get(url)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)) or re.search(
        r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright's sync API (no browser download), one for
    the whole session: Playwright's sync API cannot run twice in one thread."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make test` or scripts/install-browser.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


BROWSER_ORIGIN = "http://applicant.test"
_HOP_HEADERS = {"content-length", "transfer-encoding", "connection"}


def client_context(browser, client, **options):
    """A browser context whose every request to BROWSER_ORIGIN is answered by the Flask
    test client, so a page and the test share one database and session."""
    from urllib.parse import urlsplit

    def answer(route, request):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() in ("content-type", "accept")
        }
        response = client.open(path, method=request.method, data=request.post_data_buffer, headers=headers)
        route.fulfill(
            status=response.status_code,
            headers={key: value for key, value in response.headers.items() if key.lower() not in _HOP_HEADERS},
            body=response.get_data(),
        )

    context = browser.new_context(locale="zh-CN", base_url=BROWSER_ORIGIN, **options)
    context.set_default_timeout(10_000)
    context.route(f"{BROWSER_ORIGIN}/**", answer)
    return context
