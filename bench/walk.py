"""A walk of the application as each role, timed in the measuring process (``bench/run.py``).

Starting from every GET endpoint a role may open without URL values (the access policy's list in
``tests/access_policy.py``, checked against the application's URL map), the walk follows the
links the pages themselves render (``href`` and ``hx-get``) two levels deep, groups the URLs by
shape (endpoint, the names of its URL values and query parameters, full page or htmx fragment)
and keeps two samples of each shape. A list page with a pager is also opened at its second page
and at a deep page (its last page, from the pager). A few searches are added with values taken
from the data (a dossier code, its prefix, a tracking number, a procedure's words), as the
search forms would send them.

Each sample is opened once untimed (its SQL statements recorded), then ``repeat`` times timed;
a shape's p50 is the median of its samples' timed runs. Downloads (CSV, XLSX, PDF) are timed
apart, once each, and only when asked (a download of every dossier is large). Nothing here is a
test: no time is asserted.
"""

import re
import statistics
import time
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

ROLES = ("leader", "centre", "admin", "department")
USERS = {
    "leader": "bench-leader",
    "centre": "bench-centre",
    "admin": "bench-admin",
    "department": "bench-department",
}
DEPARTMENT_CODE = "TCKH"  # the bench's department with the most postal procedures
# The pages people open all day: p50 ≤ 50 ms; every other page and fragment ≤ 150 ms.
FAST = {
    "main.home",
    "dossiers.list_dossiers",
    "postal.list_shipments",
    "postal.new_shipment",
    "procedures.list_procedures",
}
TARGET_FAST, TARGET_OTHER = 50, 150
# The dossier list's answer to its search form (the htmx fragment): by code, by procedure, by
# channel and by dates, p50 ≤ 20 ms.
SEARCH_KEYS = {"q", "procedure", "procedure_id", "channel", "from", "to"}
TARGET_SEARCH = 20
NEVER = {"auth.logout", "static"}
DOWNLOAD_HINTS = ("export", "download", "print", "pdf")
LINK_RE = re.compile(r'\b(?:href|hx-get)="([^"#]*)"')
HX_LINK_RE = re.compile(r'\bhx-get="([^"#]*)"')
PAGER_OF_RE = re.compile(r'class="page-link">[^<]*?([\d.]+)[^<\d]+([\d.]+)\s*</span>')
MAX_DEPTH = 2
SAMPLES = 2


def ensure_department_user():
    """The bench's department user (older bench databases have none)."""
    from sqlalchemy import select

    from blueprints.auth import services
    from extensions import db
    from models import User

    if db.session.execute(select(User.id).where(User.username == USERS["department"])).first():
        return
    services.create_user(USERS["department"], "department", _password(), DEPARTMENT_CODE)
    db.session.commit()


def _password():
    from bench import common

    return common.PASSWORD


def _policy():
    """``{endpoint: roles allowed to GET it}`` from the access policy (``None`` if unavailable)."""
    try:
        from tests import access_policy
    except Exception:  # pragma: no cover - the tests are not shipped with the bench
        return None
    return {endpoint: rule for endpoint, rule in access_policy.collect().items()}


def _shape(endpoint, view_args, query, fragment):
    keys = tuple(sorted(k for k in query if k not in ("page", "after", "before", "last")))
    page = query.get("page")
    depth = "" if not page or page == "1" else "page 2" if page == "2" else "deep"
    if any(k in query for k in ("after", "before", "last")):
        depth = "page 2" if query.get("page") == "2" else "deep"
    return (endpoint, tuple(sorted(view_args)), keys, depth, fragment)


def target_of(shape):
    """The p50 a page shape must meet: a dossier search's fragment 20 ms, the pages people open
    all day 50 ms, every other page and fragment 150 ms."""
    endpoint, _, keys, _, fragment = shape
    if endpoint == "dossiers.list_dossiers" and fragment and SEARCH_KEYS & set(keys):
        return TARGET_SEARCH
    return TARGET_FAST if endpoint in FAST else TARGET_OTHER


def shape_label(shape):
    endpoint, args, keys, depth, fragment = shape
    parts = [endpoint]
    if args:
        parts.append("<" + ",".join(args) + ">")
    if keys:
        parts.append("?" + "&".join(keys))
    if depth:
        parts.append(f"[{depth}]")
    if fragment:
        parts.append("(htmx)")
    return " ".join(parts)


def is_download(endpoint, view_args):
    return any(h in endpoint for h in DOWNLOAD_HINTS) or view_args.get("fmt") in (
        "csv",
        "xlsx",
        "pdf",
    )


class Walker:
    """``users``: ``{label: (role, username)}``, who walks (default: ``USERS``, each as its
    role); the label names the walker in the results, the role picks its seeds."""

    def __init__(self, app, repeat, downloads=False, max_depth=MAX_DEPTH, users=None):
        self.app = app
        self.users = users or {role: (role, USERS[role]) for role in ROLES}
        self.max_depth = max_depth
        self.repeat = repeat
        self.downloads = downloads
        self.adapter = app.url_map.bind("localhost")
        self.policy = _policy()
        self.statements = []
        self.capturing = False
        self.captured = {}

    # --- statements ---------------------------------------------------------------------------
    def _listen(self):
        from sqlalchemy import event

        from extensions import db

        with self.app.app_context():
            engine = db.engine

        def before(conn, cursor, statement, parameters, context, executemany):
            if self.capturing:
                self.statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", before)
        self.engine = engine

    def explain(self, statements):
        """The database's plan of each statement (``EXPLAIN QUERY PLAN`` / ``EXPLAIN``)."""
        out = []
        dialect = self.engine.dialect.name
        distinct = {}
        for statement, parameters in statements:
            distinct.setdefault(statement, parameters)
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            for statement, parameters in distinct.items():
                head = statement.lstrip().upper()
                if not head.startswith(("SELECT", "WITH")):
                    continue
                cursor = raw.cursor()
                try:
                    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
                    cursor.execute(prefix + statement, parameters)
                    plan = [str(r[-1] if dialect == "sqlite" else r[0]) for r in cursor.fetchall()]
                except Exception as e:  # noqa: BLE001 - a plan we cannot read is reported as such
                    plan = [f"(no plan: {e})"]
                    if dialect != "sqlite":
                        raw.rollback()
                finally:
                    cursor.close()
                out.append((" ".join(statement.split())[:400], plan))
        return out

    # --- requests -----------------------------------------------------------------------------
    def login(self, username):
        client = self.app.test_client()
        r = client.post("/login", data={"username": username, "password": _password()})
        if r.status_code != 303:
            return None
        return client

    def open(self, client, url, fragment):
        headers = {"HX-Request": "true"} if fragment else {}
        return client.get(url, headers=headers)

    def match(self, url):
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            return None
        try:
            endpoint, view_args = self.adapter.match(parts.path, method="GET")
        except Exception:
            return None
        if endpoint in NEVER:
            return None
        return endpoint, view_args, dict(parse_qsl(parts.query, keep_blank_values=True))

    def seeds(self, role):
        """URLs of the GET endpoints ``role`` may open without URL values, plus the policy's
        own query for them when it is a plain dict (e.g. a search)."""
        out = []
        rules = {r.endpoint: r for r in self.app.url_map.iter_rules()}
        for endpoint, rule in sorted(rules.items()):
            if endpoint in NEVER or "GET" not in rule.methods or rule.arguments:
                continue
            policy = (self.policy or {}).get(endpoint)
            if policy is not None and not policy.allowed(role, "GET"):
                continue
            with self.app.test_request_context():
                from flask import url_for

                path = url_for(endpoint)
            out.append(path)
            if policy is not None and isinstance(policy.query, dict) and policy.query:
                out.append(path + "?" + urlencode(policy.query))
        return out

    def searches(self):
        """Searches as the forms send them, with values from the data."""
        from sqlalchemy import select

        from extensions import db
        from models import Dossier, Procedure, Shipment

        with self.app.app_context():
            code = db.session.execute(
                select(Dossier.code).order_by(Dossier.id.desc()).limit(1)
            ).scalar()
            tracking = db.session.execute(select(Shipment.tracking_number).limit(1)).scalar()
            procedure = db.session.execute(select(Procedure.code).limit(1)).scalar()
            db.session.remove()
        out = [("/dossiers?q=000", True)]
        if code:
            out += [
                (f"/dossiers?{urlencode({'q': code})}", True),
                (f"/dossiers?{urlencode({'q': code[: len(code) - 4]})}", True),
            ]
        if procedure:
            out.append((f"/dossiers?{urlencode({'procedure': procedure})}", True))
        if tracking:
            out += [
                (f"/shipments?{urlencode({'q': tracking})}", True),
                (f"/shipments?{urlencode({'q': tracking[:6]})}", True),
            ]
        out += [("/procedures?q=giay+phep", True), ("/procedures?q=1.01012", True)]
        return out

    def crawl(self, role, client):
        """``{shape: [(url, fragment)]}`` for ``role``, two samples a shape."""
        shapes, seen = {}, set()
        queue = [(url, False, 0) for url in self.seeds(role)]
        queue += [(url, fragment, 1) for url, fragment in self.searches()]
        while queue:
            url, fragment, depth = queue.pop(0)
            if (url, fragment) in seen:
                continue
            seen.add((url, fragment))
            matched = self.match(url)
            if matched is None:
                continue
            endpoint, view_args, query = matched
            shape = _shape(endpoint, view_args, query, fragment)
            samples = shapes.setdefault(shape, [])
            if len(samples) >= SAMPLES:
                continue
            if is_download(endpoint, view_args):
                samples.append((url, fragment))
                continue
            self.statements = []
            self.capturing = True
            try:
                r = self.open(client, url, fragment)
            finally:
                self.capturing = False
            self.captured[(url, fragment)] = list(self.statements)
            if r.status_code != 200 or "text/html" not in (r.content_type or ""):
                if not samples:
                    del shapes[shape]
                continue
            samples.append((url, fragment))
            html = r.get_data(as_text=True)
            for deep in self.pager_links(url, html):
                queue.insert(0, (deep, fragment, depth + 1))
            if depth >= self.max_depth:
                continue
            hx = {unescape(u) for u in HX_LINK_RE.findall(html)}
            for link in LINK_RE.findall(html):
                link = unescape(link)
                queue.append((link, link in hx and "hx-target" in html, depth + 1))
        return shapes

    def pager_links(self, url, html):
        """The second page and a deep page of a list (from its pager's links)."""
        out = []
        nxt = re.search(r'<a[^>]*rel="next"[^>]*href="([^"]+)"', html) or re.search(
            r'href="([^"]+)"[^>]*rel="next"', html
        )
        last = re.search(r'<a[^>]*rel="last"[^>]*href="([^"]+)"', html) or re.search(
            r'href="([^"]+)"[^>]*rel="last"', html
        )
        if nxt:
            out.append(unescape(nxt.group(1)))
        if last:
            out.append(unescape(last.group(1)))
        elif "pagination" in html:
            # A pager without links by rel: page numbers in the URL ("Page 1 of N").
            m = PAGER_OF_RE.search(html)
            parts = urlsplit(url)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            if m and query.get("page", "1") == "1":
                pages = int(m.group(2).replace(".", ""))
                for page in sorted({2, pages}):
                    if page > 1:
                        out.append(parts.path + "?" + urlencode(dict(query, page=page)))
        return out

    def time_sample(self, client, url, fragment):
        """``repeat`` timed openings (the crawl's opening was the untimed one)."""
        statements = self.captured.get((url, fragment), [])
        walls, cpus = [], []
        for _ in range(self.repeat):
            w, c = time.perf_counter(), time.process_time()
            r = self.open(client, url, fragment)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        return r, walls, cpus, statements

    def time_download(self, client, url, fragment):
        """A download timed as it streams: the first piece of the body (time to first byte,
        the request's own work included) and the whole body."""
        w = time.perf_counter()
        r = self.open(client, url, fragment)
        pieces = iter(r.response)
        size = len(next(pieces, b""))
        first = time.perf_counter() - w
        size += sum(len(piece) for piece in pieces)
        total = time.perf_counter() - w
        r.close()
        return {
            "status": r.status_code,
            "bytes": size,
            "streamed": r.headers.get("Content-Length") is None,
            "first_byte_ms": round(first * 1000, 1),
            "ms": round(total * 1000, 1),
        }

    def run(self, log=print):
        self._listen()
        with self.app.app_context():
            ensure_department_user()
            from extensions import db

            db.session.remove()
        results, downloads = [], []
        for label, (role, username) in self.users.items():
            client = self.login(username)
            if client is None:
                log(f"walk: cannot log in as {label}")
                continue
            shapes = self.crawl(role, client)
            log(f"walk: {label}: {len(shapes)} shapes")
            for shape, samples in shapes.items():
                endpoint = shape[0]
                if is_download(endpoint, {}) or any(
                    is_download(endpoint, self.match(u)[1]) for u, _ in samples
                ):
                    if self.downloads:
                        url, fragment = samples[0]
                        downloads.append(
                            {
                                "role": label,
                                "shape": shape_label(shape),
                                "url": url,
                                **self.time_download(client, url, fragment),
                            }
                        )
                    continue
                walls, cpus, statements, statuses, counts = [], [], [], set(), []
                for url, fragment in samples:
                    r, w, c, st = self.time_sample(client, url, fragment)
                    walls += w
                    cpus += c
                    statuses.add(r.status_code)
                    counts.append(len(st))
                    statements = statements or st
                target = target_of(shape)
                p50 = statistics.median(walls) * 1000
                results.append(
                    {
                        "role": label,
                        "shape": shape_label(shape),
                        "endpoint": endpoint,
                        "samples": [u for u, _ in samples],
                        "status": sorted(statuses),
                        "p50_ms": round(p50, 2),
                        "max_ms": round(max(walls) * 1000, 2),
                        "cpu_p50_ms": round(statistics.median(cpus) * 1000, 2),
                        "statements": counts,
                        "target_ms": target,
                        "over": p50 > target,
                        "_statements": statements,
                    }
                )
        over = [r for r in results if r["over"]]
        for r in over:
            r["plans"] = self.explain(r["_statements"])
        for r in results:
            del r["_statements"]
        return {
            "pages": results,
            "downloads": downloads,
            "over_target": len(over),
            "shapes": len(results),
        }


def walk(app, repeat, downloads=False, log=print, max_depth=MAX_DEPTH, users=None):
    return Walker(app, repeat, downloads, max_depth, users).run(log)


def report(walk_result, limit=20):
    """The slowest ``limit`` shapes, then every shape over its target with its plans."""
    pages = walk_result["pages"]
    lines = [
        f"walk: {walk_result['shapes']} page shapes by role, "
        f"{walk_result['over_target']} over target",
        "",
        f"slowest {limit}:",
    ]
    width = 70
    for r in sorted(pages, key=lambda r: -r["p50_ms"])[:limit]:
        lines.append(
            f"  {r['shape'][:width]:<{width}} {r['role']:<12} {r['p50_ms']:>9.1f} ms"
            f"  (cpu {r['cpu_p50_ms']:.1f}, ≤ {r['target_ms']}, "
            f"{'/'.join(map(str, r['statements']))} statements)"
        )
    over = [r for r in pages if r["over"]]
    if over:
        lines += ["", "over target:"]
        for r in sorted(over, key=lambda r: -r["p50_ms"]):
            lines.append(
                f"  {r['shape']} as {r['role']}: {r['p50_ms']:.1f} ms "
                f"(target ≤ {r['target_ms']} ms) {r['samples'][0]}"
            )
            for statement, plan in r.get("plans", []):
                lines.append(f"      {statement[:200]}")
                lines += [f"        | {p}" for p in plan]
    if walk_result["downloads"]:
        lines += ["", "downloads (timed once: first byte, whole body):"]
        for d in walk_result["downloads"]:
            first = d.get("first_byte_ms")
            lines.append(
                f"  {d['shape']:<{width}} {d['role']:<12} "
                f"{'—' if first is None else f'{first:.1f}':>9} ms {d['ms']:>9.1f} ms "
                f"{d['bytes']:>10} bytes{'' if d.get('streamed', True) else ' (not streamed)'}"
            )
    return "\n".join(lines)
