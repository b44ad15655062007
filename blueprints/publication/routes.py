"""The published list of postal procedures: a printable page for staff, the same page for the
public once the administrator switches it on, and CSV/JSON downloads for the province's portal."""

import json

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from blueprints.main.panels import register_panel
from blueprints.publication import services
from utils.access import public
from utils.dates import vn_today
from utils.settings import get_settings
from utils.tabular import export_response
from utils.units import picker_units, unit_scope

bp = Blueprint("publication", __name__)

FORMATS = ("csv", "json")


def _unit():
    """The unit whose list is asked for (``None`` on a one-unit deployment)."""
    return services.listed_unit(request.args.get("unit"), current_user)


def _context(unit, is_public):
    procedures = services.postal_procedures(unit)
    return {
        "settings": get_settings(unit.id if unit else None),
        "groups": services.by_field(procedures),
        "today": vn_today(),
        "is_public": is_public,
        "unit": unit,
        "unit_args": {"unit": unit.code} if unit else {},
        # staff who see every unit pick the unit whose list they print
        "picker": picker_units(current_user) if unit and not is_public else None,
    }


@bp.route("/publication/postal-procedures")
def show_list():
    """The printable A4 list, for every logged-in role (catalogue data only)."""
    return render_template("publication/list.html", **_context(_unit(), is_public=False))


@bp.route("/public/postal-procedures")
@public
def public_list():
    """The same list without login; refused while the unit has not switched it on."""
    unit = _unit()
    if not get_settings(unit.id if unit else None).public_list_enabled:
        abort(404)
    return render_template("publication/list.html", **_context(unit, is_public=True))


@bp.route("/public/postal-procedures.<fmt>")
@public
def download_list(fmt):
    """CSV or JSON for the province's portal: public when switched on, always for staff."""
    if fmt not in FORMATS:
        abort(404)
    unit = _unit()
    settings = get_settings(unit.id if unit else None)
    if not (settings.public_list_enabled or current_user.is_authenticated):
        abort(404)
    procedures = services.postal_procedures(unit)
    name = "thu-tuc-buu-chinh-cong-ich" + (f"-{unit.code}" if unit else "")
    if fmt == "csv":
        return export_response(name, "csv", services.COLUMNS, [p.as_row() for p in procedures])
    body = json.dumps(
        {
            "don_vi": settings.unit_name,
            "co_quan_chu_quan": settings.parent_agency,
            "dia_chi": settings.address,
            "gio_lam_viec": settings.opening_hours,
            "ngay_cap_nhat": vn_today().isoformat(),
            "thu_tuc": [p.as_json() for p in procedures],
        },
        ensure_ascii=False,
        indent=1,
    )
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.json"'
    return response


def _panel_context(user):
    return {"public_enabled": get_settings(unit_scope(user)).public_list_enabled}


register_panel(None, "publication/_panel.html", _panel_context)
