"""Test fixtures: an app per test on a fresh database, clients that carry a CSRF token, logins.

The database is SQLite unless ``TEST_DATABASE_URL`` names a PostgreSQL server (``tools/run_tests.py``
starts a throwaway one); each xdist worker gets its own database. SQLite copies a template file
per test; PostgreSQL empties every table after each test. A sweep that checks one dataset many
times builds it once per worker and has it put back before each test (``SharedDataset``). Compiled
templates and URL builders are shared by every application of a worker (``TEMPLATE_CODES``,
``_share_url_builders``).
"""

import contextlib
import os
import shutil

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text

from tests import factories

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)


# Markers that make a test slow by their nature; they imply ``slow`` (pytest.ini).
SLOW_KINDS = ("browser", "pdf")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.get_closest_marker(m) for m in SLOW_KINDS):
            item.add_marker(pytest.mark.slow)
    # The slow tests first (in their order), so that two test processes end together rather than
    # one running a demo load alone at the end while the other has finished.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if not ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="runs on SQLite only (browser, PDF or SQLite-specific)")
    same = pytest.mark.skip(reason="uses no database: the same on every one, run on SQLite")
    for item in items:
        if any(item.get_closest_marker(m) for m in ("browser", "pdf", "sqlite_only")):
            item.add_marker(skip)
        elif "database_template" not in item.fixturenames and not item.get_closest_marker(
            "own_database"
        ):
            item.add_marker(same)


# Tests that share datasets built once per test process (``shared_dataset``), by group: each
# group is run whole by one process, which builds its datasets once, where spread over two each
# process would build them. A test belongs to a group when its id starts with one of the group's.
ONE_PROCESS = {
    "page plans": ("tests/test_page_plans.py::",),
    "demo": (
        "tests/test_briefs.py::",
        "tests/test_cli.py::test_demo_spread_is_realistic",
        "tests/test_first_screen.py::test_a_leader_sees_the_reference_case_on_logging_in_to",
        "tests/test_issuing.py::test_the_demo_brief_can_be_issued",
    ),
}


@pytest.hookimpl(optionalhook=True)  # a hook of xdist, which a run may leave out
def pytest_xdist_make_scheduler(config, log):
    """Tests are dealt out one by one as workers free up, except that each group of
    ``ONE_PROCESS`` goes whole to one worker (xdist's ``loadgroup`` does this by a marker, but it
    renames the test ids to do it, which this pytest no longer lets it do)."""
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            for group, starts in ONE_PROCESS.items():
                if nodeid.startswith(starts):
                    return group
            return nodeid

    return Scheduling(config, log)


def _test_config(uri):
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "HTMX_LOCAL_ONLY": True,
        "SECRET_KEY": "test-secret-key",
        "DEMO_ALLOWED": True,
        "SERVER_NAME": None,
    }


def _worker_db_name(worker_id):
    return f"bcci_test_{worker_id}".replace("-", "_")


class _TemplateCodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole test process: each test has its own
    application, and so its own Jinja environment, which would otherwise parse and compile every
    template it renders again. A template is looked up by its name and the checksum of its source
    (``jinja2.BytecodeCache``), so an edited template is compiled afresh."""

    def __init__(self):
        self.codes = {}

    def load_bytecode(self, bucket):
        code = self.codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.codes[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODES = _TemplateCodeCache()


def _share_url_builders():
    """Each test's application registers the same hundred routes, and Werkzeug compiles a URL
    builder for each from generated Python source (``Rule._compile_builder``): most of the cost of
    ``create_app``. The builder is a function of the rule's parsed parts, defaults and
    ``append_unknown`` alone (the rule it serves comes in as its first argument), so a test process
    compiles each once and every later application's rules reuse it."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders = {}

    def shared(rule, append_unknown=True):
        key = (
            rule.rule,
            tuple(rule._trace),
            tuple(sorted((k, repr(v)) for k, v in (rule.defaults or {}).items())),
            append_unknown,
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(rule, append_unknown)
        return builder

    Rule._compile_builder = shared


_share_url_builders()


def _test_app(uri):
    """An application for tests on the database ``uri``: its client sends CSRF tokens, its
    templates compiled once per process."""
    from app import create_app

    application = create_app(_test_config(uri))
    application.test_client_class = CsrfClient
    application.jinja_env.bytecode_cache = TEMPLATE_CODES
    return application


def _postgres_database(name):
    """A new, empty database ``name`` on the test server: its URL."""
    from config import normalise_database_url

    base = normalise_database_url(TEST_DATABASE_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def _create_schema(uri):
    from app import create_app
    from extensions import db

    app = create_app(_test_config(uri))
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    """A database holding the schema: a template file (SQLite) or a worker database (PostgreSQL)."""
    if ON_POSTGRES:
        uri = _postgres_database(_worker_db_name(worker_id))
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        uri = f"sqlite:///{path}"
    _create_schema(uri)
    return uri


def _empty_every_table(conn):
    """Every table emptied and every sequence back at its start (PostgreSQL), in one round trip.
    A test leaves a few rows; deleting them costs a few milliseconds, where ``TRUNCATE`` makes
    every table and index anew (ten times as long, on every test). No trigger runs: the tallies
    they keep are emptied with the rest."""
    from extensions import db

    conn.exec_driver_sql(
        "SET LOCAL session_replication_role = replica; "
        + " ".join(f'DELETE FROM "{t.name}";' for t in db.metadata.sorted_tables)
        + " SELECT setval(oid::regclass, 1, false) FROM pg_class WHERE relkind = 'S'"
    )


@pytest.fixture()
def app(database_template, tmp_path):
    """An application on a fresh database, with an application context pushed."""
    import models
    from extensions import db, limiter
    from models import _first_unit

    if ON_POSTGRES:
        uri = database_template
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copy(database_template.removeprefix("sqlite:///"), path)
        uri = f"sqlite:///{path}"
    application = _test_app(uri)
    with application.app_context():
        yield application
        db.session.remove()
        if ON_POSTGRES:
            with db.engine.begin() as conn:
                _empty_every_table(conn)
                # the first unit, as an empty schema has it (models: ``_first_unit``)
                _first_unit(models.Unit.__table__, conn)
        db.engine.dispose()
    limiter.reset()


class SharedDataset:
    """A dataset built once per test process, on a database of its own, and put back as built
    before each test that uses it: for a sweep that runs the same checks on one dataset many
    times (the unit dimension of ``tests/test_access_matrix.py``), each check as on a fresh copy.

    ``build()`` runs in an application context and its return value is kept as ``value``; then
    ``with dataset.restored() as app:`` gives a test the application with a context pushed, on the
    database as ``build`` left it. SQLite copies the database file back; PostgreSQL writes back
    every table's rows and every sequence's value. What a test changes outside the database (its
    clients' cookies, records it holds in Python) is the test's to start afresh."""

    def __init__(self, name, template_uri, folder, worker_id, build):
        from extensions import db

        if ON_POSTGRES:
            uri = _postgres_database(f"{_worker_db_name(worker_id)}_{name}")
            _create_schema(uri)
        else:
            self.path = folder / f"{name}.sqlite3"
            self.copy = folder / f"{name}.built.sqlite3"
            shutil.copy(template_uri.removeprefix("sqlite:///"), self.path)
            uri = f"sqlite:///{self.path}"
        self.app = _test_app(uri)
        with self.app.app_context():
            self.value = build()
            db.session.commit()
            db.session.remove()
            if ON_POSTGRES:
                self._keep_rows()
                self._note_changes()
            db.engine.dispose()
            if not ON_POSTGRES:
                shutil.copy(self.path, self.copy)

    def _keep_rows(self):
        from extensions import db

        with db.engine.connect() as conn:
            self.rows = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                for t in db.metadata.sorted_tables
            }
            self.sequences = conn.execute(
                text("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences")
            ).all()

    def _note_changes(self):
        """Every statement that writes to a table from now on notes the table in ``_changed``
        (cascaded deletes too: they are statements on the referencing table), so that only the
        tables a test wrote to get their rows put back (a sweep's request writes a session's
        last visit, seldom the dossiers or their tallies)."""
        from extensions import db

        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE _changed (name text PRIMARY KEY);"
                " CREATE FUNCTION _note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " INSERT INTO _changed VALUES (TG_TABLE_NAME) ON CONFLICT DO NOTHING;"
                " RETURN NULL; END $$;"
                + " ".join(
                    f'CREATE TRIGGER _note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{t.name}"'
                    " FOR EACH STATEMENT EXECUTE FUNCTION _note_change();"
                    for t in db.metadata.sorted_tables
                )
            )

    def _put_rows_back(self):
        from extensions import db

        with db.engine.begin() as conn:
            changed = set(conn.exec_driver_sql("DELETE FROM _changed RETURNING name").scalars())
            tables = [t for t in db.metadata.sorted_tables if t.name in changed]
            # The rows go back as they were, with no trigger run (the foreign keys among them
            # are not checked; the tallies' triggers would count them again): the rows of every
            # other table are as built.
            conn.exec_driver_sql(
                "SET LOCAL session_replication_role = replica; "
                + " ".join(f'DELETE FROM "{t.name}";' for t in tables)
            )
            for table in tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
            # every sequence as built: a refused insert moves one without writing a row
            self._set_sequences(conn)

    def _set_sequences(self, conn):
        """Every sequence back at its value as built, in one round trip."""
        conn.exec_driver_sql(
            "SELECT "
            + ", ".join(
                f"setval('{sequence}', {last_value or 1}, {last_value is not None})"
                for sequence, last_value in self.sequences
            )
        )

    @contextlib.contextmanager
    def restored(self):
        from extensions import db, limiter

        with self.app.app_context():
            if ON_POSTGRES:
                self._put_rows_back()
            else:
                for leftover in (f"{self.path}-wal", f"{self.path}-shm"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
                shutil.copy(self.copy, self.path)
            try:
                yield self.app
            finally:
                db.session.remove()
                db.engine.dispose()
                limiter.reset()


@pytest.fixture(scope="session")
def shared_dataset(database_template, tmp_path_factory, worker_id):
    """``shared_dataset(name, build)``: a ``SharedDataset`` (call it from a session-scoped
    fixture, so that each test process builds it once)."""

    made = set()

    def make(name, build):
        # on PostgreSQL the name names the dataset's database: two datasets must not share it
        assert name not in made, f"a shared dataset named {name!r} exists already"
        made.add(name)
        return SharedDataset(
            name, database_template, tmp_path_factory.mktemp(name), worker_id, build
        )

    return make


@pytest.fixture(scope="session")
def _demo(shared_dataset):
    from utils import demo

    return shared_dataset("demo", demo.load)


@pytest.fixture()
def demo_app(_demo):
    """The application, with a context pushed, on the demo's data (``demo load``): loaded once
    per test process (the tests that use it are one group of ``ONE_PROCESS``) and put back before
    each test."""
    with _demo.restored() as app:
        yield app


@pytest.fixture(scope="session")
def _samples_by_role(shared_dataset):
    from tests.test_access_matrix import signed_in_samples

    return shared_dataset("samples_by_role", signed_in_samples)


@pytest.fixture()
def by_role(_samples_by_role):
    """``(app, samples, clients)``: the application on the access tests' ``Samples``
    (``tests/access_policy.py``) with a client signed in as each role and an anonymous one
    (``tests/test_access_matrix.clients_by_role``), built once per worker and put back before
    each test (``SharedDataset``); the samples' records loaded afresh, the clients new."""
    from tests.test_access_matrix import clients_carrying

    samples, kept, sessions = _samples_by_role.value
    with _samples_by_role.restored() as app:
        samples.restore(kept)
        yield app, samples, clients_carrying(app, sessions)


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every state change.

    Pass ``csrf=False`` to send none, or ``csrf="value"`` to send that one.
    """

    def open(self, *args, **kwargs):
        csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and csrf is not False:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", csrf if isinstance(csrf, str) else self.csrf_token())
            kwargs["headers"] = headers
        # What the test wrote is committed first, as it would be before a real request.
        from extensions import db

        db.session.commit()
        # Each request gets its own application context (and so its own ``g`` and database
        # session), as in production, even though the test keeps one pushed.
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def log_in(self, username, password):
        """The login form posted with these credentials: the response."""
        return self.post("/login", data={"username": username, "password": password})

    def upload(self, url, content, filename, **kwargs):
        """An import form posted with one file (``content``, bytes or text) under ``filename``."""
        import io

        if isinstance(content, str):
            content = content.encode()
        return self.post(
            url,
            data={"file": (io.BytesIO(content), filename)},
            content_type="multipart/form-data",
            **kwargs,
        )

    def csrf_token(self):
        """A token for this client's session, made as Flask-WTF makes it."""
        import hashlib
        import os as _os

        app = self.application
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if not raw:
                raw = hashlib.sha1(_os.urandom(64)).hexdigest()
                sess["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def db_session(app):
    from extensions import db

    return db.session


class Auth:
    """Log a client in as a new user of a role."""

    def __init__(self, client):
        self.client = client
        self.user = None

    def login(self, role="leader", department=None, user=None):
        from extensions import db

        self.user = user or factories.user(role=role, department_=department)
        db.session.commit()
        response = self.client.log_in(self.user.username, factories.PASSWORD)
        assert response.status_code == 303, response.text
        return self.user

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture()
def auth(client):
    return Auth(client)


# --- Browser tests: Playwright driving Debian's chromium --------------------------------------

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture()
def live_server(app):
    """The test's application served on a free port of 127.0.0.1 in a thread; yields its URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium (installed by ``make setup``), never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextlib.contextmanager
def local_page(browser, live_server, **options):
    """A page of a fresh browser context (``options``: its locale, viewport, …); every request
    off 127.0.0.1 (the htmx CDN among them) is blocked."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, **options)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server) else route.abort()
        ),
    )
    try:
        pg = context.new_page()
        # CI's shared machine can be several times slower than a quiet one: generous waits,
        # which cost nothing when the page is quick (every wait ends as soon as its condition
        # holds)
        pg.set_default_timeout(20_000)
        expect.set_options(timeout=15_000)
        yield pg
    finally:
        context.close()


@pytest.fixture()
def page(browser, live_server):
    """A fresh browser page in Vietnamese (see ``local_page``)."""
    with local_page(browser, live_server, locale="vi-VN") as pg:
        yield pg


def browser_login(page, user, password=None):
    """Log ``user`` in through the login form."""
    page.goto("/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password or factories.PASSWORD)
    page.click("button[type=submit]:not([name=lang])")
    page.wait_for_url(lambda url: "/login" not in url)


class HtmxWatch:
    """Records the requests htmx makes and whether the page reloaded."""

    def __init__(self, page):
        self.page = page
        self.requests = []
        # htmx arrives after the page renders (the loader, base.html), and until it has processed
        # the page, links and forms work as plain ones: an htmx flow starts once it has.
        page.wait_for_function(
            "() => window.htmx && document.body['htmx-internal-data'] !== undefined"
        )
        page.on("request", self._on_request)
        page.evaluate("window.__noReload = true")

    def _on_request(self, request):
        if request.headers.get("hx-request") == "true":
            self.requests.append(request)

    def page_did_not_reload(self):
        return self.page.evaluate("window.__noReload === true")

    def settled(self):
        """Waits until htmx has settled what it swapped in. htmx wires up new content and moves
        the cursor to its ``autofocus`` field in the settle step, a few milliseconds after the
        swap; the browser may focus that field itself before then, and a key pressed in that
        moment reaches a form htmx has not wired up yet (it would be sent as a plain one)."""
        self.page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
        )


ARTIFACTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    os.environ.get("TEST_ARTIFACTS", "test-artifacts"),
)


def artifact_path(name):
    """Where a browser test keeps what people look at after a run (screenshots, timings):
    ``test-artifacts/`` at the repository's root (``TEST_ARTIFACTS`` names another folder)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, name)
