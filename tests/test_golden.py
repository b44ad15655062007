"""Golden files: what a refactoring must not change, compared with files under ``tests/golden/``.

- the draft brief's PDF for the fixed organisation of ``tests/golden_data.py`` and a fixed date:
  its bytes (SHA-256), page count and text (``brief.json``, ``brief.txt``);
- the command line's JSON (``report summary --json``, in both languages, and ``GET /api/summary``)
  for the same organisation (``summary-*.json``);
- the access matrix: for every endpoint, method and role (and nobody), the status code the
  ``tests/access_policy.py`` call gets (``access-matrix.json``; ``GET unit=CODE``: the GET asking
  for the samples' unit by its code, ``Rule.unit_query``).

The same values on SQLite and PostgreSQL. A difference here is a change of behaviour: fix the code,
or, when the change is deliberate, regenerate the files with ``.venv/bin/python tools/golden.py``
and say in the commit message what changed and why.
"""

import hashlib
import json
import os
from pathlib import Path

import pytest

from extensions import db
from tests import access_policy, golden_data
from tests.access_policy import ANONYMOUS, ROLES
from tests.test_access_matrix import build_url, call, endpoint_calls

GOLDEN = Path(__file__).resolve().parent / "golden"
# Set by tools/golden.py: write the files instead of comparing with them.
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
HINT = (
    "differs from tests/golden/{name}: a refactoring must not change it. If the change is a "
    "deliberate change of behaviour, regenerate with `.venv/bin/python tools/golden.py` and "
    "say why in the commit message."
)


def _dump(value):
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def check(name, value):
    """Compare ``value`` (text, or anything JSON holds) with ``tests/golden/<name>``, or write it
    there under ``tools/golden.py``."""
    text = value if isinstance(value, str) else _dump(value)
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"tests/golden/{name} is missing: run `.venv/bin/python tools/golden.py`"
    assert text == path.read_text(encoding="utf-8"), HINT.format(name=name)


@pytest.fixture()
def organisation(app):
    golden_data.load()
    db.session.commit()
    return app


def _period():
    from utils.dates import Period

    return Period(*golden_data.PERIOD)


# --- The brief --------------------------------------------------------------------------------


@pytest.mark.slow  # lays the brief out twice
def test_the_brief_is_the_golden_one(organisation):
    from blueprints.briefs.services import draft_pdf
    from tests.pdf import pdf_info, pdf_text

    first = draft_pdf(_period(), golden_data.BRIEF_DATE)
    second = draft_pdf(_period(), golden_data.BRIEF_DATE)
    assert first == second, "two layouts of the same brief differ: the PDF is not deterministic"
    info = pdf_info(first)
    # No date of its making in the file, or its bytes would change from run to run.
    assert not {"CreationDate", "ModDate"} & set(info), info
    check("brief.txt", pdf_text(first, layout=True))
    check(
        "brief.json",
        {
            "pages": int(info["Pages"]),
            "bytes": len(first),
            "sha256": hashlib.sha256(first).hexdigest(),
        },
    )


# --- The command line's JSON ------------------------------------------------------------------

SUMMARIES = {
    "summary-period.json": golden_data.PERIOD,
    "summary-december.json": ("2023-12-01", "2023-12-31"),  # before most dossiers
    "summary-empty.json": ("2022-01-01", "2022-03-31"),  # zero denominators: null percents
}


@pytest.mark.parametrize("name", sorted(SUMMARIES))
def test_report_summary_json_is_the_golden_one(organisation, runner, client, auth, name):
    start, end = (str(d) for d in SUMMARIES[name])
    outputs = []
    for lang in ("vi", "en"):
        r = runner.invoke(
            args=["report", "summary", "--from", start, "--to", end, "--json", "--lang", lang]
        )
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
    assert outputs[0] == outputs[1], "report summary --json differs between languages"
    check(name, outputs[0])
    auth.login("leader")
    r = client.get(f"/api/summary?from={start}&to={end}")
    assert r.status_code == 200
    assert r.get_json() == json.loads(outputs[0]), (
        "GET /api/summary differs from the command's JSON"
    )


# --- The access matrix ------------------------------------------------------------------------

POLICY = access_policy.collect()
MATRIX = "access-matrix.json"


def endpoint_matrix(app, endpoint, samples, clients):
    """``{method: {role: status}}`` for one endpoint, each call made as the access matrix test
    makes it (refusals first) on ``samples`` by ``clients`` (the ``by_role`` fixture); an allowed
    role's state change is sent again at once as an htmx request (``"POST htmx"``)."""
    rule = POLICY[endpoint]
    everyone = (ANONYMOUS,) + ROLES
    out = {}
    for method, unit in endpoint_calls(app, endpoint):
        url = build_url(app, endpoint, rule, samples, method, unit)
        plain = out.setdefault(f"{method} unit=CODE" if unit else method, {})
        for role in [r for r in everyone if not rule.allowed(r, method)]:
            plain[role] = call(clients[role], method, url, rule, samples).status_code
        for role in [r for r in everyone if rule.allowed(r, method)]:
            plain[role] = call(clients[role], method, url, rule, samples).status_code
            if method != "GET":
                out.setdefault(f"{method} htmx", {})[role] = call(
                    clients[role], method, url, rule, samples, headers={"HX-Request": "true"}
                ).status_code
    return out


def test_the_matrix_covers_every_endpoint(app):
    endpoints = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - {"static"})
    if UPDATE:
        return
    golden = json.loads((GOLDEN / MATRIX).read_text(encoding="utf-8"))
    assert sorted(golden) == endpoints, HINT.format(name=MATRIX)


@pytest.mark.slow  # a sweep of every endpoint: left to `make test`, out of `make check`
@pytest.mark.parametrize("endpoint", sorted(POLICY))
def test_access_matrix_is_the_golden_one(by_role, endpoint):
    app, samples, clients = by_role
    matrix = endpoint_matrix(app, endpoint, samples, clients)
    path = GOLDEN / MATRIX
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        golden[endpoint] = matrix
        golden = {e: golden[e] for e in golden if e in POLICY}
        path.write_text(_dump(golden), encoding="utf-8")
        return
    golden = json.loads(path.read_text(encoding="utf-8"))
    assert matrix == golden.get(endpoint), HINT.format(name=f"{MATRIX} ({endpoint})")
