"""Configuration read from the environment.

``APP_ENV`` picks the class: ``development`` (default), ``production`` or ``testing``.
``DATABASE_URL`` picks the database: an SQLite file under ``instance/`` when unset; any of
``postgres://``, ``postgresql://`` and ``postgresql+psycopg://`` means PostgreSQL through psycopg 3.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def normalise_database_url(url):
    """Return a SQLAlchemy URL for ``url``, mapping every PostgreSQL scheme onto psycopg 3."""
    if not url:
        return f"sqlite:///{BASE_DIR / 'instance' / 'bcci.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _flag(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key():
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    # Development keeps one key across restarts so sessions survive a reload.
    path = BASE_DIR / "instance" / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


class Config:
    APP_ENV = "development"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("HTTPS")
    PREFERRED_URL_SCHEME = "https" if _flag("HTTPS") else "http"
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    # htmx: from the CDN with its SRI hash, falling back to the vendored copy; HTMX_LOCAL_ONLY
    # serves only the vendored copy (tests, intranets that drop outbound traffic).
    HTMX_VERSION = "2.0.8"
    HTMX_CDN_URL = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.8/dist/htmx.min.js"
    HTMX_LOCAL_ONLY = _flag("HTMX_LOCAL_ONLY")
    HTMX_CDN_WAIT_MS = 3000  # the CDN's answer is awaited this long before the local copy loads
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Failed logins (and password checks) allowed per username, address or trusted device, counted
    # in the database so every worker and server shares them (docs/limits.md).
    LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "5 per minute;20 per hour")
    # Login sessions end after this long without a request, and this long after the login.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_LIFETIME_HOURS = int(os.environ.get("SESSION_LIFETIME_HOURS", "12"))
    SESSION_TOUCH_SECONDS = 60  # "last seen" is written at most this often
    KEPT_FORM_MINUTES = 10  # a form posted after the session ended waits this long for the login
    DEVICE_COOKIE_NAME = "bcci_device"
    DEVICE_COOKIE_DAYS = 365
    DEMO_ALLOWED = True
    SQL_ECHO = False
    # SERVER_TIMING=1: every response says how long the application took (Server-Timing
    # header), for the load check; off by default.
    SERVER_TIMING = _flag("SERVER_TIMING")
    # The lock-wait budget (docs/limits.md): how long a statement waits for another transaction's
    # lock (SQLite's busy timeout, PostgreSQL's lock_timeout) before the person is told the
    # system is busy (503 with Retry-After). Longer than the largest web import's write phase.
    DATABASE_LOCK_WAIT_SECONDS = float(os.environ.get("DATABASE_LOCK_WAIT_SECONDS", "15"))
    # PostgreSQL's parallel workers per query for the application's sessions (its
    # max_parallel_workers_per_gather). 0: none. A page's statements take milliseconds; starting
    # workers for one costs more, and they take the cores the other requests need.
    DATABASE_PARALLEL_WORKERS = int(os.environ.get("DATABASE_PARALLEL_WORKERS", "0"))
    BUSY_RETRY_AFTER_SECONDS = 5
    # Imports (docs/limits.md): the most data rows one file may hold (the command line's
    # --max-rows raises it), and what an XLSX's zip may unpack to before it is parsed.
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))
    IMPORT_XLSX_MAX_MEMBERS = 1000
    IMPORT_XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
    IMPORT_XLSX_MAX_RATIO = 100

    def __init__(self):
        self.SECRET_KEY = _secret_key()


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    APP_ENV = "production"
    DEMO_ALLOWED = False

    def __init__(self):
        key = os.environ.get("SECRET_KEY")
        if not key:
            raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
        self.SECRET_KEY = key


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    HTMX_LOCAL_ONLY = True
    RATELIMIT_STORAGE_URI = "memory://"

    def __init__(self):
        self.SECRET_KEY = "test-secret-key"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def load_config():
    """Return the configuration object for ``APP_ENV``."""
    name = os.environ.get("APP_ENV", "development").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]()
