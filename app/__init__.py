"""Application factory of 工程能力评价系统."""

import logging
import os

from flask import Flask, Request, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from config import BASE_DIR, CONFIGS, INSTANCE_DIR

logger = logging.getLogger(__name__)

# Endpoints that work before an identity is chosen. The home page is not one of them:
# after login it is where FAB lands, and an account with several identities must
# choose first (an account with none still sees the home page and its explanation).
_IDENTITY_FREE_PREFIXES = (
    "IdentityView.",
    "AuthDBView.",
    "LocaleView.",
    "appbuilder.",
    "static",
    "health.",
    "account_setup.",
    "UtilView.",
)


class _WithoutNul(ImmutableMultiDict):
    """Query and form values without NUL characters: no text anyone types holds one, and
    PostgreSQL refuses them in text columns (a server error instead of a message)."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        if isinstance(mapping, MultiDict):
            pairs = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            pairs = mapping.items()
        else:
            pairs = mapping
        super().__init__(
            [
                (key, value.replace("\x00", "") if isinstance(value, str) else value)
                for key, value in pairs
            ]
        )


class AssessRequest(Request):
    parameter_storage_class = _WithoutNul


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the app for ``config_name`` (APP_ENV, default development)."""
    config_name = config_name or os.environ.get("APP_ENV", "development")
    config_class = CONFIGS[config_name]

    app = Flask(__name__, instance_path=str(INSTANCE_DIR), instance_relative_config=False)
    app.request_class = AssessRequest
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    if config_name == "production":
        config_class.check(app.config)
    from app import roles

    app.config["FAB_ROLES"] = roles.FAB_ROLES
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    os.makedirs(app.instance_path, exist_ok=True)

    _init_extensions(app)
    _register_request_hooks(app)
    _register_error_pages(app)

    from app import cli

    cli.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import db as _db_events  # noqa: F401  (SQLite pragmas and BEGIN IMMEDIATE)
    from app import models  # noqa: F401
    from app import scoping  # noqa: F401  (ORM-level row scoping)
    from flask_appbuilder import AppBuilder

    from app.extensions import csrf, db, migrate

    db.init_app(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)

    appbuilder = AppBuilder(update_perms=False)
    with app.app_context():
        appbuilder.init_app(app, db.session)
        app.login_manager.login_view = "AuthDBView.login"
        app.login_manager.login_message = None
        from views import register_views

        register_views(app, appbuilder)


# The views that take the platform admin's site files (views/admin/site_content.py).
SITE_FILE_ENDPOINTS = frozenset({"SiteContentView.add", "SiteContentView.edit"})


def _register_request_hooks(app: Flask) -> None:
    from app.extensions import db
    from app.identities import resolve_active_identity, usable_identities
    from app.roles import role_name_for
    from app.scoping import disable_scope, enable_scope, scope_for

    def _forget_previous_user():
        # g lives in the app context; when one outlives a request (tests, scripts that
        # hold a context), Flask-Login would reuse the previous request's user.
        g.pop("_login_user", None)
        g.pop("user", None)
        # Flask-Babel caches the request's locale in g as well (a language switch), and
        # Flask-WTF the session's CSRF token (another client's session).
        g.pop("_flask_babel", None)
        g.pop("csrf_token", None)

    app.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_user)

    def _allow_site_files():
        # The platform admin's site content (guide PDF, videos) may be up to
        # SITE_FILE_MAX_BYTES; every other request stays under MAX_CONTENT_LENGTH. Set
        # before anything (the CSRF check) reads the form.
        if request.endpoint in SITE_FILE_ENDPOINTS:
            request.max_content_length = app.config["SITE_FILE_MAX_BYTES"] + 1024 * 1024

    app.before_request_funcs[None].insert(0, _allow_site_files)

    @app.before_request
    def _resolve_identity():
        g.identity = None
        g.identity_role = None
        disable_scope(db.session)
        endpoint = request.endpoint or ""
        if request.blueprint == "site":
            # The applicant site acts for the account itself: no backend identity, no
            # channel scope, and never the backend's identity choice page.
            return None
        if not current_user.is_authenticated:
            return None
        identity = resolve_active_identity(current_user.id)
        if identity is not None:
            g.identity = identity
            g.identity_role = role_name_for(identity, identity.channel)
            enable_scope(db.session, scope_for(identity))
            return None
        if endpoint.startswith(_IDENTITY_FREE_PREFIXES):
            return None
        if len(usable_identities(current_user.id)) > 1:
            return redirect(url_for("IdentityView.choose", next=request.full_path))
        return None

    @app.context_processor
    def _identity_context():
        from app.identities import usable_identities as _usable

        if current_user.is_authenticated:
            return {
                "active_identity": g.get("identity"),
                "identity_choices": lambda: _usable(current_user.id),
            }
        return {"active_identity": None, "identity_choices": lambda: []}

    @app.get("/healthz", endpoint="health.healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
            revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            database = {"ok": True, "dialect": db.engine.dialect.name, "revision": revision}
            status, code = "ok", 200
        except Exception:
            logger.exception("health check: database unavailable")
            database = {"ok": False}
            status, code = "error", 503
        return jsonify({"status": status, "database": database}), code


def _register_error_pages(app: Flask) -> None:
    def _page(template: str, code: int):
        def handler(error):
            if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
                return jsonify({"status": code}), code
            appbuilder = app.appbuilder
            return render_template(template, base_template=appbuilder.base_template, appbuilder=appbuilder), code

        return handler

    app.register_error_handler(403, _page("errors/403.html", 403))
    app.register_error_handler(404, _page("errors/404.html", 404))
    app.register_error_handler(500, _page("errors/500.html", 500))

    @app.errorhandler(413)
    def _too_large(error):
        # The body was not read: a page of its own, without the layouts (they read the
        # logged-in user, not known yet when a before-request hook read the form).
        from flask_babel import get_locale

        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"status": 413}), 413
        locale = get_locale()
        language = "en" if locale is not None and locale.language == "en" else "zh-CN"
        return render_template("errors/413.html", language=language), 413

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        from flask import flash
        from flask_babel import gettext as _

        flash(_("The form had expired. Please submit it again."), "warning")
        return redirect(request.referrer or url_for("HomeIndexView.index")), 303
