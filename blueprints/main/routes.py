"""The home page: where the unit stands in the organisation's default reporting period, and what
the user's role has to do."""

from flask import Blueprint, render_template
from flask_login import current_user

from blueprints.main.panels import panels_for
from utils import figures
from utils.access import requires
from utils.periods import default_period, match_choice

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    period = default_period()
    summary = figures.summary(period)
    return render_template(
        "main/home.html",
        period=period,
        choice=match_choice(period),
        summary=summary,
        user=current_user,
        panels=panels_for(current_user, period),
    )


@bp.route("/imports/sample/<key>.<fmt>")
def import_sample(key, fmt):
    """A sample file of an import format (``utils.import_formats``), CSV or XLSX: its columns and
    two example rows. It holds no one's data, so every logged-in user may download it."""
    from flask import abort

    from utils.import_formats import FORMATS
    from utils.tabular import export_response

    spec = FORMATS.get(key)
    if spec is None or fmt not in ("csv", "xlsx"):
        abort(404)
    return export_response(spec.key, fmt, spec.names, spec.sample_rows())


@bp.route("/imports/problems/<token>.csv")
@requires("read_import_problems")
def import_problems(token):
    """Every bad row of a refused import (``utils.import_problems``), for an hour."""
    from flask import Response, abort

    from utils import import_problems

    data = import_problems.load(token)
    if data is None:
        abort(404)
    response = Response(data, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="loi-nhap-tep.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
