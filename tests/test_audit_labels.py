"""Every audit action code the code records has a translated label, and the audit log shows it
with the raw code beside it and still filters by the code."""

import ast
from datetime import datetime
from pathlib import Path

from flask_babel import force_locale

from extensions import db
from models import AuditEvent
from utils.labels import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parent.parent
# ``procedures.services._apply(procedure, values, user, action)`` records ``action``.
RECORDING_HELPERS = {"_apply": 3}
# ``audit.<function>``: where its action code is among the arguments.
AUDIT_CALLS = {"record": 0, "record_many": 0, "record_import": 0, "add_created": 1}


def _strings(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def recorded_actions():
    """``{code: [where]}`` for every action passed to ``audit.record``/``audit.record_many``
    (or a recording helper), and ``[where]`` of the calls whose action is not a literal."""
    codes, dynamic = {}, []
    sources = [ROOT / "app.py"] + [
        p for d in ("blueprints", "utils", "commands") for p in (ROOT / d).rglob("*.py")
    ]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            is_audit = (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "audit"
            )
            if is_audit and func.attr == "record_active":
                # ``audit.record_active(object_type, …)`` records ``<type>_activate`` or
                # ``<type>_deactivate``.
                kinds = _strings(node.args[0]) if node.args else None
                arg = (
                    None
                    if kinds is None
                    else [f"{k}_{s}" for k in kinds for s in ("activate", "deactivate")]
                )
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if arg is None:
                    dynamic.append(where)
                for code in arg or []:
                    codes.setdefault(code, []).append(where)
                continue
            if is_audit and func.attr in AUDIT_CALLS:
                position = AUDIT_CALLS[func.attr]
                arg = node.args[position] if len(node.args) > position else None
                if path.name == "services.py" and isinstance(arg, ast.Name) and arg.id == "action":
                    continue  # the helper itself; its callers are collected below
            elif isinstance(func, ast.Name) and func.id in RECORDING_HELPERS:
                position = RECORDING_HELPERS[func.id]
                arg = node.args[position] if len(node.args) > position else None
            else:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            values = _strings(arg) if arg is not None else None
            if values is None:
                dynamic.append(where)
                continue
            for code in values:
                codes.setdefault(code, []).append(where)
    return codes, dynamic


def test_every_recorded_action_has_a_label(app):
    codes, dynamic = recorded_actions()
    assert not dynamic, f"audit actions that are not literals (list them here): {dynamic}"
    assert len(codes) > 40  # the collection itself works
    missing = {code: where for code, where in codes.items() if code not in ACTION_LABELS}
    assert not missing, f"audit actions without a label in utils/labels.py: {missing}"
    with force_locale("vi"):
        for code in codes:
            label = action_label(code)
            assert label and label != code
    with force_locale("en"):
        assert action_label("shipment.create") == "Shipment logged"


def test_no_label_for_a_code_nothing_records(app):
    codes, _ = recorded_actions()
    assert set(ACTION_LABELS) - set(codes) == set()


def test_the_audit_log_shows_labels_keeps_the_code_out_of_sight_and_filters(client, auth):
    at = datetime(2024, 3, 5, 2, 0)
    db.session.add_all(
        [
            AuditEvent(action="shipment.create", at=at, object_type="shipment", object_id="1"),
            AuditEvent(action="handover.sign", at=at, object_type="handover_batch", object_id="2"),
        ]
    )
    auth.login("admin")
    page = client.get("/admin/audit").text
    assert "Ghi sổ bưu gửi" in page and 'title="shipment.create"' in page
    assert ">shipment.create<" not in page  # the code only as a tooltip, never as text
    assert "Ký biên bản giao nhận" in page
    # the filter offers the labels (object types too) and filters by the code
    assert '<option value="shipment.create">Ghi sổ bưu gửi</option>' in page
    assert '<option value="handover_batch">Biên bản giao nhận</option>' in page
    r = client.get(
        "/admin/audit", query_string={"action": "handover.sign"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in r.text
    assert 'data-action="handover.sign"' in r.text and 'data-action="shipment.create"' not in r.text
