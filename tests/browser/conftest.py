"""Fixtures of the browser tests: the real app served on a free loopback port against a
fresh SQLite file, Debian's chromium driven by Playwright, screenshots and database reads.

The server is `python run.py` in a subprocess (APP_ENV=development), prepared with the
Flask CLI commands an operator would use; Playwright never downloads a browser.
"""

import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
SERVER_LOG = ROOT / "test-output" / "browser-server.log"
SERVER_START_SECONDS = 30

SOCIETY_NAME = "中国土木工程学会"
SOCIETY_CONTACT_NAME = "王学会"
SOCIETY_CONTACT_MOBILE = "13800000001"


@dataclass
class Server:
    """The running app: where it answers, its database file and the accounts made for it."""

    base_url: str
    db_path: Path
    log_path: Path
    society_contact: tuple[str, str]  # (login name, password)

    def query(self, sql: str, *params) -> list[tuple]:
        """Rows of a read-only query on the app's database (a fresh connection each time)."""
        connection = sqlite3.connect(self.db_path, timeout=10)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def scalar(self, sql: str, *params):
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        kept = [line for line in text.splitlines() if "GET /static/" not in line]
        return "\n".join(kept[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(env: dict, *args: str) -> str:
    """Run one `flask --app run ...` command; fail the test with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        pytest.fail(
            f"flask {' '.join(args[:2])} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def app_env(db_path: Path) -> dict:
    """The environment of a process on the server's database (its SQLite file, the
    instance folder beside it): ours, without what would point it elsewhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "TEST_DATABASE_URL",
            "REDIS_URL",
            "FLASK_APP",
            "FLASK_DEBUG",
        }
    }
    env.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{db_path}",
        INSTANCE_DIR=str(db_path.parent),
    )
    return env


def run_set_up(server, script: str, spec: dict):
    """An operator-side set-up: ``script`` run with ``python -c`` against the running
    server's database, ``spec`` as JSON in argv[1]; its last printed line, read as
    JSON. Fails the test with its output when it fails."""
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(spec, ensure_ascii=False)],
        cwd=ROOT,
        env=app_env(server.db_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        pytest.fail(f"set-up failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def log_in(page, username: str, password: str) -> None:
    """Log in to the backend (/login/) and wait for the logged-in menu."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator('form[name="login"] [type="submit"]').click()
    expect(page.locator("#logout")).to_be_attached()


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the server exited with {process.returncode}:\n{log_path.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"{url} did not answer within {SERVER_START_SECONDS} s:\n{log_path.read_text(errors='replace')}"
    )


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """`python run.py` on 127.0.0.1:<free port>, a fresh SQLite file, one society and its
    channel contact (学会-渠道联系人) with a known password. The server's log is kept as
    test-output/browser-server.log."""
    # Our own temp dir: pytest's numbered ones may be pruned by a concurrent pytest run.
    workdir = Path(tempfile.mkdtemp(prefix="assess-e2e-"))
    db_path = workdir / "e2e.db"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = app_env(db_path)
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        SECRET_KEY=secrets.token_hex(32),
        APPLY_BASE_URL=base_url,
        MESSAGE_SENDER="outbox",
        PYTHONUNBUFFERED="1",
    )

    password = "Society-" + secrets.token_urlsafe(9)
    log_path = workdir / "server.log"
    process = None
    try:
        # The society exists before the first start, so run.py loads no demo data.
        _flask(env, "db", "upgrade")
        _flask(env, "societies", "create", "--name", SOCIETY_NAME, "--kind", "national")
        _flask(
            env,
            "accounts",
            "create",
            "--name",
            SOCIETY_CONTACT_NAME,
            "--mobile",
            SOCIETY_CONTACT_MOBILE,
            "--password",
            password,
            "--kind",
            "society_contact",
            "--society",
            SOCIETY_NAME,
        )
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [sys.executable, "run.py"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_healthy(f"{base_url}/healthz", process, log_path)
        yield Server(base_url, db_path, log_path, (SOCIETY_CONTACT_MOBILE, password))
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if log_path.exists():
            SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, SERVER_LOG)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so that fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, server, request):
    """A fresh context (clipboard allowed for the app's origin) and one page."""
    context = browser.new_context(
        base_url=server.base_url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=server.base_url
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        failed = SCREENSHOTS / f"FAILED-{request.node.name}.png"
        page.screenshot(path=str(failed), full_page=True)
        print(f"screenshot of the failure: {failed} (at {page.url})")
        print(
            f"--- server log, last lines (all of it: {SERVER_LOG}) ---\n{server.log_tail()}"
        )
    context.close()


@dataclass
class Shots:
    """Full-page screenshots numbered in the order taken, under test-output/screenshots/."""

    prefix: str
    directory: Path = SCREENSHOTS
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page, name: str) -> Path:
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        path = self.directory / f"{self.prefix}-{len(self.taken) + 1:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def shots(request) -> Shots:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_").replace("_", "-")
    for old in [
        *SCREENSHOTS.glob(f"{prefix}-*.png"),
        SCREENSHOTS / f"FAILED-{request.node.name}.png",
    ]:
        old.unlink(missing_ok=True)
    return Shots(prefix)


@dataclass
class Labels:
    """Chinese UI texts checked softly: the element must be there, but a label still shown
    in English is collected and reported together at the end of the test (`check`), so
    that the whole flow runs and every untranslated label is listed at once while the zh
    catalog is being completed."""

    missing: list[str] = field(default_factory=list)

    def expect(
        self, locator, chinese: str | re.Pattern, where: str, timeout: int = 500
    ) -> None:
        from playwright.sync_api import expect

        expect(locator.first).to_be_visible()  # the element itself must be there
        try:
            expect(locator.first).to_contain_text(chinese, timeout=timeout)
        except AssertionError:
            try:
                shown = " ".join(locator.first.inner_text(timeout=500).split())[:120]
            except Exception as error:  # the element itself is missing
                shown = f"<{error.__class__.__name__}>"
            wanted = chinese.pattern if isinstance(chinese, re.Pattern) else chinese
            self.missing.append(f"{where}: expected 「{wanted}」, shown 「{shown}」")

    def expect_chinese(self, locator, where: str) -> None:
        """For texts the manual does not fix (messages): at least written in Chinese."""
        self.expect(locator, re.compile(r"[\u4e00-\u9fff]"), where)

    def check(self) -> None:
        assert not self.missing, (
            "Chinese UI texts not shown (untranslated?):\n  "
            + "\n  ".join(self.missing)
        )


@pytest.fixture
def labels() -> Iterator[Labels]:
    collected = Labels()
    yield collected
    if collected.missing:  # shown with the report when the test failed earlier
        print("Chinese UI texts not shown:\n  " + "\n  ".join(collected.missing))


PLATFORM_ADMIN_EMAIL = "platform.admin@example.com"


@pytest.fixture(scope="session")
def platform_admin(server) -> tuple[str, str]:
    """A 平台管理员 account (login name, password) on the running server's database,
    made with `flask accounts create` as an operator would."""
    env = app_env(server.db_path)
    password = "Admin-" + secrets.token_urlsafe(9)
    _flask(
        env,
        "accounts",
        "create",
        "--name",
        "平台管理员",
        "--email",
        PLATFORM_ADMIN_EMAIL,
        "--password",
        password,
        "--kind",
        "platform_admin",
    )
    return PLATFORM_ADMIN_EMAIL, password
