"""The leaders' dashboard (criteria, tables, trend, outreach, targets, open tasks), the JSON
summary API, and the scoring rubric's screens.

The dashboard's period comes from the picker's URL parameters (``utils.periods.choice_from_args``:
``preset``, ``year``, ``months``, ``from``, ``to``); htmx requests get the content only, and
the picker pushes the URL, so every state of the page has an address.
"""

import re
from functools import lru_cache
from urllib.parse import quote_plus

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.dashboard import services
from blueprints.dashboard.forms import RubricForm
from blueprints.dashboard.services import (
    latest_version,
    latest_versions,
    rubric_fingerprint,
    save_rubric,
    versions_of,
)
from blueprints.main.panels import register_panel
from extensions import db
from utils import charts, figures, htmx
from utils.access import can, requires
from utils.dates import year_to_date
from utils.errors import save
from utils.periods import PeriodError, choice_from_request, parse_period, quick_choices
from utils.units import picker_units, several_units, unit_or_404, unit_scope

bp = Blueprint("dashboard", __name__)


@bp.app_template_global("rate_chart_geometry")
def rate_chart_geometry(trend, rubric, width=720, height=300):
    """The SVG chart's coordinates (``templates/_charts.html``): each month's C2 and C3 rates
    (``figures.monthly_rates``) against the thresholds of ``rubric``, for any page or document."""
    return charts.rate_chart(
        figures.monthly_rates(trend),
        {code: rubric.bands[code] for code in ("C2", "C3")},
        width,
        height,
    )


@bp.app_template_global("band_bar_geometry")
def band_bar_geometry(criterion, rubric):
    """Where a criterion's rate and thresholds sit on its card's bar (``templates/_bands.html``)."""
    return charts.band_bar(criterion.percent, rubric.bands[criterion.code])


@bp.app_template_global("list_url")
def list_url(endpoint, *filters, **params):
    """The URL of a list page with these filters (dicts, then keywords; blank values left out),
    or ``None`` when that page does not exist in this installation or the user's role may not
    open it (the number is then shown without a link).

    A dashboard shows a few hundred such links: the page's address and the user's right to it
    are looked up once per request, and the filters are appended as ``url_for`` would.
    """
    bases = g.setdefault("list_url_bases", {})
    if endpoint not in bases:
        bases[endpoint] = _list_base(endpoint)
    base = bases[endpoint]
    if base is None:
        return None
    values = {}
    for extra in filters + (params,):
        values.update(extra)
    values = {k: v for k, v in values.items() if v not in (None, "")}
    # A figure's list is the figure's, whatever a role's default view of that list is.
    for key, value in EXPLICIT.get(endpoint, {}).items():
        values.setdefault(key, value)
    # One unit's figures open that unit's lists (``figures_unit``).
    unit = g.get("figures_unit")
    if unit is not None:
        values.setdefault("unit", unit.code)
    if base is _BUILT_PER_CALL:
        return url_for(endpoint, **values)
    return f"{base}?{_query_string(values)}" if values else base


# Filters a link to these lists always states: department staff opening the procedure list
# with no filter see their own department's procedures, but a number counts all of them.
EXPLICIT = {"procedures.list_procedures": {"department": "all"}}

_BUILT_PER_CALL = object()  # the endpoint's URL has variables in its path
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")


def _list_base(endpoint):
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    action = getattr(view, "allowed_action", None)
    if action is not None and not can(current_user, action):
        return None  # a link the user could not follow
    if any(rule.arguments for rule in current_app.url_map.iter_rules(endpoint)):
        return _BUILT_PER_CALL
    return url_for(endpoint)


def _query_string(values):
    """``values`` as Werkzeug's ``url_for`` encodes query arguments (same safe characters)."""
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in values.items())


@lru_cache(maxsize=4096, typed=True)
def _quote(value):
    # A page's links repeat a few keys and values (dates, a unit's code, "bcci") hundreds of
    # times: each is quoted once.
    text = str(value)
    return text if _PLAIN.fullmatch(text) else quote_plus(text, safe=_SAFE)


_SAFE = "!$'()*,/:;?@"


def _choice():
    return choice_from_request(request.args)


def figures_unit():
    """The unit whose figures a page shows, or ``None`` for the province's (every unit).

    A deployment of one unit shows the province's (its one unit's, counted as ever). A user
    bound to a unit sees that unit's, whatever the URL says; another user the unit the URL
    names (``unit``: its code), or the province's. The links of the page's numbers then keep
    the unit (``list_url``). An unknown code is a 404.
    """
    if not several_units():
        return None
    from models import Unit

    scope = unit_scope(current_user)
    if scope is not None:
        unit = db.session.get(Unit, scope)
    else:
        code = (request.args.get("unit") or "").strip()
        if not code:
            return None
        unit = unit_or_404(code)
    g.figures_unit = unit
    return unit


def _unit_query(unit):
    """The URL parameter that keeps a chosen unit (empty for the province's figures)."""
    return {"unit": unit.code} if unit is not None else {}


def _picker_context():
    return {"years": services.data_years(), "quick_choices": quick_choices(services.quick_years())}


@bp.route("/dashboard")
def show_dashboard():
    """The dashboard for the chosen period; htmx requests (the picker) get the content only.

    Query-string parameters: ``preset`` (``month``, ``quarter``, ``year_to_date``, ``months``,
    ``year``, ``custom``), ``year``, ``months`` (1–12), ``from``, ``to`` (``YYYY-MM-DD``).
    A malformed or reversed period is a 400 with a message.
    """
    choice = _choice()
    unit = figures_unit()
    data = services.dashboard(choice, unit=unit)
    # The picker is part of the content, so its choices always show the period on screen;
    # htmx keeps the focus on a select with an id across the swap.
    response = htmx.render(
        "dashboard/show.html",
        "dashboard/_content.html",
        d=data,
        units=picker_units(current_user, every=True),
        unit_query=_unit_query(unit),
        **_picker_context(),
    )
    if htmx.wants_fragment():
        query = {**choice.query(), **_unit_query(unit)}
        htmx.push_url(response, url_for("dashboard.show_dashboard", **query))
    return response


@bp.route("/dashboard/breakdown/<any(field, department):by>")
def show_breakdown(by):
    """The table by field or by department, sorted (``sort``: a column, ``dir``: ``asc`` or
    ``desc``; by default worst first on a criterion's rate, as the dashboard opens it); htmx
    requests (a column heading) get the table only."""
    choice = _choice()
    unit = figures_unit()
    summary = figures.summary(choice.period, unit=unit)
    sort = request.args.get("sort")
    sort = sort if sort in figures.BREAKDOWN_SORTS else figures.worst_first_column(summary)
    descending = request.args.get("dir") == "desc"
    rows, total = figures.breakdown_table(
        choice.period, by, sort, descending, count_values=summary.counts, unit=unit
    )
    return htmx.render(
        "dashboard/breakdown.html",
        "dashboard/_breakdown.html",
        by=by,
        rows=rows,
        total=total,
        choice=choice,
        sort=sort,
        descending=descending,
        rubric=summary.rubric,
        unit_query=_unit_query(unit),
    )


@bp.route("/dashboard/units")
@requires("province_rollup")
def show_units():
    """The province's roll-up for the chosen period: every unit's criteria with band colours and
    points, the communes ranked (``sort``: ``points``, ``code``, ``name``, ``C1``…``C3``;
    ``dir``: ``asc``, worst first, or ``desc``), the province's centres on their own lines, the
    province's trend, the targets split across units and the outreach list across units. A
    deployment of one unit has no units to compare: its dashboard."""
    choice = _choice()
    if not several_units():
        return redirect(url_for("dashboard.show_dashboard", **choice.query()), code=303)
    sort = request.args.get("sort", "points")
    data = figures.rollup(choice.period, sort, request.args.get("dir") == "desc")
    response = htmx.render(
        "dashboard/units.html",
        "dashboard/_units.html",
        r=data,
        choice=choice,
        target_endpoint="dashboard.show_units",
        **_picker_context(),
    )
    if htmx.wants_fragment():  # the address keeps the order shown (back from a unit finds it)
        order = {"sort": data.sort, "dir": "desc" if data.descending else "asc"}
        kept = order if request.args.get("sort") else {}
        htmx.push_url(response, url_for("dashboard.show_units", **choice.query(), **kept))
    return response


@bp.route("/dashboard/units/outreach")
@requires("province_rollup")
def show_units_outreach():
    """The outreach list across units for the chosen period (``figures.units_outreach``): every
    active unit's own outreach list, the units with most dossiers in it first. The roll-up page
    loads it once it is shown (htmx: the section only), so that its ranking does not wait for
    the lists; without scripts it is a page of its own. A deployment of one unit has no units
    to compare: its dashboard."""
    choice = _choice()
    if not several_units():
        return redirect(url_for("dashboard.show_dashboard", **choice.query()), code=303)
    return htmx.render(
        "dashboard/units_outreach.html",
        "dashboard/_units_outreach.html",
        units_outreach=figures.units_outreach(choice.period),
        outreach_total=figures.outreach_total(choice.period),
        choice=choice,
    )


@bp.route("/api/summary")
def api_summary():
    """``GET /api/summary?from=YYYY-MM-DD&to=YYYY-MM-DD``: the object ``report summary --json``
    prints (``figures.summary(period).as_json()``); 400 with ``{"error": message}`` on missing,
    malformed or reversed dates. On a deployment of several units, a unit-bound user's unit's
    (``report summary --unit``), or the unit ``unit=CODE`` names (``figures_unit``)."""
    start, end = request.args.get("from"), request.args.get("to")
    if not (start or "").strip() or not (end or "").strip():
        return jsonify(error=_("Give the period as from=YYYY-MM-DD and to=YYYY-MM-DD.")), 400
    try:
        period = parse_period(start, end)
    except PeriodError as e:
        return jsonify(error=str(e)), 400
    return jsonify(figures.summary(period, unit=figures_unit()).as_json())


# --- Rubric -----------------------------------------------------------------------------------


@bp.route("/rubric")
def list_rubrics():
    """The scoring rubric of each year, its bands and its earlier versions (everyone reads it)."""
    return htmx.render(
        "dashboard/rubrics.html",
        "dashboard/_rubrics.html",
        latest=latest_versions(),
        default=figures.DEFAULT_RUBRIC,
        current_year=year_to_date().end.year,
    )


@bp.route("/rubric/<int:year>")
def show_rubric(year):
    """One year's rubric with every version (which is frozen by an issued brief)."""
    versions = versions_of(year)
    rubric = figures.rubric_for(year)
    return htmx.render(
        "dashboard/rubric.html",
        "dashboard/_rubric_versions.html",
        year=year,
        versions=versions,
        rubric=rubric,
    )


@bp.route("/rubric/edit")
@requires("edit_rubric")
def edit_rubric_for():
    """The year picker of the rubric page (``year``) leads to that year's form."""
    year = request.args.get("year", type=int)
    if year is None:
        abort(400, description=_("Choose a year."))
    return redirect(url_for("dashboard.edit_rubric", year=year))


@bp.route("/rubric/<int:year>/edit", methods=["GET", "POST"])
@requires("edit_rubric")
def edit_rubric(year):
    """Set a year's bands and maxima. A frozen version (used by an issued brief) or the shipped
    illustration is never changed: saving creates the next version. An unfrozen version of the
    administrator's own is corrected in place (no brief relies on it)."""
    if not 2000 <= year <= year_to_date().end.year + 1:
        abort(404)
    rubric = figures.rubric_for(year)
    form = RubricForm.from_rubric(rubric) if request.method == "GET" else RubricForm()
    if request.method == "GET":
        form.based_on.data = rubric_fingerprint(latest_version(year))
    if form.validate_on_submit():
        return save(
            lambda: save_rubric(
                year,
                form.criteria_data(),
                form.note.data,
                user=current_user,
                based_on=form.based_on.data or None,
            ),
            None,
            lambda refusal: _rubric_form(year, form, refusal),
            lambda saved: _rubric_saved(year, *saved),
        )
    return _rubric_form(year, form, status=422 if request.method == "POST" else 200, rubric=rubric)


def _rubric_form(year, form, refusal=None, status=200, rubric=None):
    """The rubric form (page, or fragment for htmx). After a 409 refusal (someone else saved
    meanwhile) the form keeps what was typed, the page shows the values saved meanwhile, and
    saving again (having compared them) overwrites them knowingly; after a 422 each message goes
    under its criterion."""
    conflict = None
    if refusal is not None and refusal.status == 409:
        conflict = latest_version(year)
        form.based_on.data = rubric_fingerprint(conflict)
    elif refusal is not None:
        form.add_rubric_errors(refusal)
    return htmx.render(
        "dashboard/rubric_edit.html",
        "dashboard/_rubric_form.html",
        status=status,
        form=form,
        year=year,
        rubric=rubric or figures.rubric_for(year),
        conflict=conflict,
    )


def _rubric_saved(year, version, created):
    flash(
        _("Version %(v)s of the %(year)s rubric saved.", v=version.version, year=year)
        if created
        else _("The %(year)s rubric was corrected (version %(v)s).", v=version.version, year=year),
        "success",
    )
    return redirect(url_for("dashboard.show_rubric", year=year), code=303)


# --- Home panel: a department's targets -------------------------------------------------------


def _targets_panel(user, period):
    if not user.department_id:
        return None
    summary, rows = services.department_targets(user.department_id, period)
    return {"period": period, "summary": summary, "rows": rows}


register_panel("own_department_only", "dashboard/_home_targets.html", _targets_panel, period=True)
