"""Production refuses unsafe settings; development defaults to SQLite under instance/."""

import pytest

from app import create_app
from config import DEV_SECRET, DevelopmentConfig


def test_development_defaults_to_sqlite_file_under_instance():
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert DevelopmentConfig.SQLALCHEMY_DATABASE_URI.endswith("instance/assess.db") or "assess.db" in DevelopmentConfig.SQLALCHEMY_DATABASE_URI


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"SECRET_KEY": DEV_SECRET, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@127.0.0.1/db"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x@127.0.0.1/db"}, "SECRET_KEY"),
        ({"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/prod.db"}, "DATABASE_URL"),
    ],
    ids=["dev-secret", "short-secret", "sqlite"],
)
def test_production_refuses_unsafe_settings(monkeypatch, overrides, fragment):
    monkeypatch.delenv("ALLOW_SQLITE_IN_PRODUCTION", raising=False)

    with pytest.raises(RuntimeError, match=fragment):
        create_app("production", overrides)


def test_production_allows_sqlite_when_told(monkeypatch, tmp_path):
    monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")

    app = create_app("production", {"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})

    assert app.config["SESSION_COOKIE_SECURE"] is True
