"""Settings for development (default), test and production, read from the environment."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))

DEV_SECRET = "dev-only-secret-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    APP_NAME = "工程能力评价系统"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'assess.db'}"
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL", "")
    SQLITE_BUSY_TIMEOUT_MS = 30_000

    # Flask-AppBuilder: the schema belongs to Alembic, roles are defined in app/roles.py.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False
    FAB_SECURITY_MANAGER_CLASS = "app.security.AssessSecurityManager"
    FAB_INDEX_VIEW = "views.admin.home.HomeIndexView"
    FAB_API_SWAGGER_UI = False
    AUTH_TYPE = 1  # AUTH_DB
    AUTH_ROLE_ADMIN = "platform_admin"
    AUTH_ROLE_PUBLIC = "public"
    AUTH_USER_REGISTRATION = False
    AUTH_USERNAME_CI = True
    FAB_PASSWORD_COMPLEXITY_ENABLED = False

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # The applicant site's address, used in shared SMS texts.
    APPLY_BASE_URL = os.environ.get(
        "APPLY_BASE_URL",
        f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}",
    )
    MESSAGE_SENDER = os.environ.get("MESSAGE_SENDER", "outbox")
    QUOTA_MAX = 100_000

    # Verification codes of the applicant site (e-mail and SMS), see
    # app/services/verification.py.
    VERIFICATION_CODE_MINUTES = 10
    VERIFICATION_MAX_ATTEMPTS = 5
    VERIFICATION_RESEND_SECONDS = 60
    VERIFICATION_DAILY_PER_TARGET = 20
    VERIFICATION_DAILY_PER_IP = 100
    # Wrong passwords in a row before password login pauses until a code login or a
    # password reset by code.
    LOGIN_MAX_FAILURES = 5
    # Proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
    # The per-IP cap on verification codes needs the client's address, not the proxy's.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))
    # Files the platform admin uploads as site content (guide PDF, videos).
    SITE_FILE_MAX_BYTES = 100 * 1024 * 1024
    # The largest request body read (Flask answers 413 above it): room for the largest
    # upload a form takes (a result spreadsheet of 5 MB, a photo of 2 MB) with its form.
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    PASSWORD_TOKEN_HOURS = 72
    # Private files of the applicants (the 照片), named by random tokens; see
    # app/services/uploads.py. Never served as static files.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # 照片 upload limit: 2 MB as 2 × 1024 × 1024 = 2,097,152 bytes (app/services/photos.py).
    PHOTO_MAX_BYTES = 2 * 1024 * 1024
    # Society review: a submitted application waiting longer than this many days is
    # shown as overdue in the 学会审核 queue and counted so on the backend home page.
    REVIEW_OVERDUE_DAYS = int(os.environ.get("REVIEW_OVERDUE_DAYS", "7"))
    DEMO_DATA = False
    AUTO_MIGRATE = True


class DevelopmentConfig(Config):
    """The default: an SQLite file under instance/, demo data loaded on first start."""

    DEBUG = False
    DEMO_DATA = True


class TestConfig(Config):
    """Used by the test suite; the database comes from TEST_DATABASE_URL or a temp file."""

    TESTING = True
    WTF_CSRF_ENABLED = True
    SECRET_KEY = "test-secret"
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    AUTO_MIGRATE = False


class ProductionConfig(Config):
    """Refuses to start on a development secret or SQLite unless told explicitly."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)

    @staticmethod
    def check(config: dict) -> None:
        if config["SECRET_KEY"] in ("", DEV_SECRET) or len(config["SECRET_KEY"]) < 32:
            raise RuntimeError(
                "Production needs SECRET_KEY set to a random value of 32+ characters."
            )
        if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not _bool(
            "ALLOW_SQLITE_IN_PRODUCTION"
        ):
            raise RuntimeError(
                "Production needs DATABASE_URL to a server database "
                "(set ALLOW_SQLITE_IN_PRODUCTION=1 to override)."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
