"""The application factory."""

import logging
import secrets
import time

from flask import Flask, g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from config import load_config
from extensions import babel, csrf, db, limiter, login_manager, migrate
from utils import form_i18n, formats, inputs


def create_app(test_config=None):
    """Create and configure the application.

    :param test_config: a mapping that overrides the environment's configuration (tests).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(load_config())
    if test_config:
        app.config.update(test_config)
    from utils.transactions import engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directories())
    refuse_unsafe_production(app)
    inputs.install(app)  # bounded <int:> converter, before any blueprint adds its rules
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    configure_logging(app)
    return app


def refuse_unsafe_production(app):
    """``APP_ENV=production`` never runs with the debugger (it executes code sent by a browser)."""
    if app.config.get("APP_ENV") == "production" and (app.debug or app.config.get("DEBUG")):
        raise RuntimeError(
            "APP_ENV=production refuses to start with debug on "
            "(unset FLASK_DEBUG and do not pass --debug)"
        )


def translation_directories():
    """The shared catalog plus one per blueprint, so each feature owns its strings."""
    from pathlib import Path

    root = Path(__file__).resolve().parent
    dirs = [root / "translations"] + sorted(root.glob("blueprints/*/translations"))
    return ";".join(str(d) for d in dirs if d.is_dir())


def select_locale():
    """The user's chosen language, else the session's, else Vietnamese (never Accept-Language).

    Outside a request, the command line's run language (``--lang``/``BCCI_LANG``, Vietnamese by
    default); anything else outside a request is Vietnamese too.
    """
    from flask import has_request_context

    if not has_request_context():
        from commands import run_language

        return run_language() or "vi"
    if current_user and current_user.is_authenticated and current_user.locale in ("vi", "en"):
        return current_user.locale
    lang = session.get("lang")
    return lang if lang in ("vi", "en") else "vi"


def register_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    csrf.init_app(app)
    form_i18n.install()  # WTForms' own messages in Vietnamese too
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Ho_Chi_Minh")
    limiter.init_app(app)
    from blueprints.auth.sessions import load_user

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # server-side sessions are revoked at logout
    from utils import tally

    tally.install()  # dossiers written as ORM objects are tallied in the same flush
    from utils import transactions

    transactions.install()  # after a request's write is committed, it only reads


def register_blueprints(app):
    """Register ``bp`` of every ``blueprints/<job>/routes.py`` (one package per user job)."""
    import importlib
    from pathlib import Path

    for routes in sorted(Path(app.root_path, "blueprints").glob("*/routes.py")):
        module = importlib.import_module(f"blueprints.{routes.parent.name}.routes")
        app.register_blueprint(module.bp)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and foreign keys on every SQLite connection (its busy timeout is the driver's
    ``timeout``: the lock-wait budget, ``utils.transactions.engine_options``)."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy issue BEGIN itself (as BEGIN IMMEDIATE, below).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # When PRAGMA optimize (below) analyses a table, it samples instead of reading every row.
    cursor.execute("PRAGMA analysis_limit=1000")
    cursor.close()


SQLITE_OPTIMIZE_SECONDS = 60


@event.listens_for(Pool, "checkin")
def _sqlite_optimize(dbapi_connection, connection_record, closing=False):
    """Keep SQLite's planner statistics fresh, as SQLite advises for long-lived connections.

    Without statistics (a fresh database after its first large import) the planner reads a whole
    period to count its postal dossiers instead of a few short ranges per procedure. ``PRAGMA
    optimize`` is nearly free when nothing needs doing; when a table needs it, it runs a sampled
    ``ANALYZE``. A busy database is not waited for: the next request's connection will try again.
    A connection runs it when it goes back to the pool at most once a minute (its four
    statements cost a request like the counter's save a noticeable share), and when it closes.
    """
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    if connection_record is not None and not closing:
        now = time.monotonic()
        last = connection_record.info.get("sqlite_optimized")
        if last is not None and now - last < SQLITE_OPTIMIZE_SECONDS:
            return
        connection_record.info["sqlite_optimized"] = now
    budget = dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        dbapi_connection.execute("PRAGMA busy_timeout=50")
        dbapi_connection.execute("PRAGMA optimize")
    except sqlite3.OperationalError:
        pass  # locked by a writer: statistics can wait for another checkin
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(budget)}")


@event.listens_for(Pool, "close")
def _sqlite_optimize_on_close(dbapi_connection, connection_record):
    import sqlite3

    try:
        _sqlite_optimize(dbapi_connection, connection_record, closing=True)
    except sqlite3.Error:
        pass  # a connection closed because it broke: nothing to keep fresh


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(conn):
    """Write transactions begin immediately, so concurrent workers wait instead of failing.

    State-changing requests and command-line commands begin immediately; reads (GET requests,
    read-only commands, an import's reading and checking: ``utils.transactions``) begin
    deferred, so they never queue behind a writer under WAL.
    """
    if conn.dialect.name != "sqlite":
        return
    from utils.transactions import begins_writing

    conn.exec_driver_sql("BEGIN IMMEDIATE" if begins_writing() else "BEGIN")


def register_request_hooks(app):
    from utils.access import refuse

    if app.config.get("SERVER_TIMING"):
        import time

        @app.before_request
        def start_clock():
            g.started = time.perf_counter()

        @app.after_request
        def server_timing(response):
            # The server's own time for the request (bench/load.py compares it by kind).
            started = g.get("started")
            if started is not None:
                response.headers["Server-Timing"] = ", ".join(
                    filter(
                        None,
                        (
                            f"app;dur={(time.perf_counter() - started) * 1000:.1f}",
                            g.get("server_timing"),
                        ),
                    )
                )  # a view's own phases (the dossier import's)
            return response

    @app.before_request
    def require_login():
        g.csp_nonce = secrets.token_urlsafe(16)
        if request.endpoint is None or request.endpoint == "static":
            return None
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "is_public", False):
            return None
        if not current_user.is_authenticated:
            ended = getattr(g, "session_expired", None)
            if ended:
                from blueprints.auth.sessions import ended_response

                return ended_response(ended)
            if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                refuse(401)
            return login_manager.unauthorized()
        return None

    @app.before_request
    def refuse_control_characters():
        """No text a request carries may hold NUL or another control character (tab and line
        breaks aside, which single-line fields and codes refuse on their own): PostgreSQL refuses
        NUL with an error and SQLite would store it silently."""
        values = [request.path]
        for multi in (request.args, request.form):
            for key, value in multi.items(multi=True):
                values += (key, value)
        values += [f.filename or "" for f in request.files.values()]
        inputs.refuse_control_characters(values)

    @app.after_request
    def security_headers(response):
        nonce = getattr(g, "csp_nonce", "")
        cdn = "" if app.config["HTMX_LOCAL_ONLY"] else " https://cdn.jsdelivr.net"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'{cdn}; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self'{cdn}; form-action 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if current_user and getattr(current_user, "is_authenticated", False):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()


def register_errorhandlers(app):
    from flask_babel import force_locale, get_locale
    from sqlalchemy.exc import OperationalError

    from utils.htmx import wants_fragment
    from utils.transactions import is_busy

    def render_error(status, message=None, description=None):
        if request.path.startswith("/api/"):
            return json_error(status, message, description)
        template = "errors/_error.html" if wants_fragment() else "errors/error.html"
        response = app.make_response(
            (
                render_template(template, status=status, message=message, description=description),
                status,
            )
        )
        response.vary.add("HX-Request")
        return response

    def json_error(status, message, description):
        """``/api/*`` answers every error as JSON: ``{"error": message, "status": code}``."""
        from flask import jsonify

        from utils.labels import error_text, error_title

        response = jsonify(
            error=str(description or error_text(status, message)),
            title=str(error_title(status)),
            status=status,
        )
        response.status_code = status
        return response

    def _busy_text():
        from flask_babel import gettext

        return (
            gettext("The system is busy")
            + ". "
            + gettext(
                "Another task is writing to the database right now. Nothing you sent was saved; "
                "what you typed is still here. Try again in a few seconds."
            )
        )

    def described(e):
        # Only messages the product wrote (aborts with a description) are shown, never Werkzeug's.
        text = getattr(e, "description", None)
        default = type(e).description if hasattr(type(e), "description") else None
        return text if text and text != default else None

    for status in (400, 401, 403, 404, 405, 409, 413, 422, 429):
        app.register_error_handler(
            status, lambda e, s=status: render_error(s, description=described(e))
        )

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(400, "csrf")

    @app.errorhandler(OperationalError)
    def database_busy(e):
        if not is_busy(e):
            return server_error(e)
        app.logger.warning("lock wait ran out on %s %s", request.method, request.path)
        return render_standalone(503, busy=True)

    @app.errorhandler(500)
    def server_error(e):
        return render_standalone(500)

    def render_standalone(status, busy=False):
        """An error page that needs nothing from the database: the session's objects are set
        aside (never reloaded) and the page names no user. A busy page keeps what was typed:
        its "try again" form posts the same fields back (never a password or a file)."""
        try:
            locale = str(get_locale())
        except Exception:  # the user's language could not be read: Vietnamese
            locale = "vi"
        db.session.expunge_all()
        db.session.rollback()
        g._login_user = login_manager.anonymous_user()
        kept = []
        if busy and request.method == "POST":
            kept = [
                (k, v) for k, v in request.form.items(multi=True) if "password" not in k.lower()
            ]
        if request.path.startswith("/api/"):
            with force_locale(locale):
                response = json_error(status, None, _busy_text() if busy else None)
        else:
            template = "errors/_standalone.html" if wants_fragment() else "errors/standalone.html"
            with force_locale(locale):
                body = render_template(template, status=status, busy=busy, kept=kept, lang=locale)
            response = app.make_response((body, status))
        response.vary.add("HX-Request")
        response.headers["Cache-Control"] = "no-store"
        if busy:
            response.headers["Retry-After"] = str(app.config["BUSY_RETRY_AFTER_SECONDS"])
        return response


def register_template_helpers(app):
    from utils import access, import_formats, labels, navigation, units
    from utils.urls import url_pattern

    app.jinja_env.filters.update(formats.FILTERS)
    app.jinja_env.globals.update(formats.GLOBALS)
    app.jinja_env.globals.update(labels.GLOBALS)
    app.jinja_env.globals.update(
        nav_menu=navigation.menu,
        can=access.can,
        department_scope=access.department_scope,
        url_pattern=url_pattern,
        import_formats=import_formats.FORMATS,
        several_units=units.several_units,
    )

    @app.context_processor
    def inject():
        from flask_babel import get_locale

        from utils.htmx_assets import htmx_asset

        return {
            "csp_nonce": getattr(g, "csp_nonce", ""),
            "htmx": htmx_asset(app),
            "current_locale": str(get_locale()),
        }


def register_commands(app):
    from commands import register

    register(app)


def configure_logging(app):
    if not app.logger.handlers or app.config.get("TESTING"):
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("bcci").setLevel(logging.INFO)
