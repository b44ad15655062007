"""Dossier search, a dossier's page with its shipments and history, the one-stop import."""

import logging
import time

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.dossiers import services
from extensions import db
from models import Channel, Department, Direction, Dossier, Field, Procedure
from utils.history import present_events
from utils.access import get_or_404, requires
from utils.htmx import is_htmx, render, wants_fragment
from utils.transactions import reading
from utils.units import unit_scope
from utils.htmx import redirect as hx_redirect
from utils import seek
from utils.inputs import arg_int
from utils.periods import optional_period_from_request
from utils.tabular import export_response
from utils import import_problems, import_units
from utils.units import picker_units, several_units, unit_or_404

log = logging.getLogger("bcci.imports")
bp = Blueprint("dossiers", __name__)


def int_arg(args, name):
    """A positive integer query parameter, or ``None`` when absent or malformed."""
    return arg_int(args, name)


def filters_from(args):
    """``DossierFilters`` from the URL; a 400 for a malformed period."""
    period = optional_period_from_request(args)
    return services.DossierFilters(
        q=(args.get("q") or "").strip()[:60],
        procedure=(args.get("procedure") or "").strip()[:100],
        direction=Direction.pick(args.get("direction"), Direction.RECEIVE.value),
        channel=Channel.pick(args.get("channel")),
        source_channel=Channel.pick(args.get("source_channel")),
        period=period,
        department_id=int_arg(args, "department"),
        field_id=int_arg(args, "field"),
        procedure_id=int_arg(args, "procedure_id"),
        by_post=args.get("postal") == "yes",
        unlogged=args.get("unlogged") == "yes",
        unit_id=_list_unit(args),
        unhandled=args.get("handled") == "no",
    )


def _list_unit(args):
    """The unit the list is limited to: a unit-bound user's own; for a user who sees every unit,
    the unit ``unit=CODE`` names (a unit's figures link so; on a deployment of several units,
    an unknown code a 404), else none."""
    scope = unit_scope(current_user)
    code = (args.get("unit") or "").strip()
    if scope is not None or not code or not several_units():
        return scope
    return unit_or_404(code).id


PAGER_KEYS = ("page", "after", "before", "last")


def list_args(args):
    """A list's query values without its pager's (the filters, which every link keeps)."""
    return {k: v for k, v in args.items() if k not in PAGER_KEYS}


def pager_links(page, total, capped, args, per_page=50):
    """The pager of a list page (``utils.seek.Page``): its number, the number of pages when the
    count is exact, and the links to the first, previous, next and last pages, each carrying
    the key of the row it starts from (so that every page costs what the first does)."""
    endpoint = request.endpoint
    pages = None if capped else max(1, (total + per_page - 1) // per_page)
    number = pages if page.is_last and pages else page.page
    links = {"page": number, "pages": pages}
    if page.has_prev:
        links["first"] = url_for(endpoint, **args)
        links["prev"] = (
            url_for(endpoint, **args)
            if number <= 2
            else url_for(endpoint, page=number - 1, before=page.first_key, **args)
        )
    if page.has_next:
        links["next"] = url_for(
            endpoint, page=min(number + 1, seek.MAX_PAGE), after=page.last_key, **args
        )
        links["last"] = (
            url_for(endpoint, page=pages, last=1, **args)
            if pages
            else url_for(endpoint, last=1, **args)
        )
    return links


def get_dossier_or_404(dossier_id):
    """The dossier; department staff only their own department's (403 otherwise)."""
    return get_or_404(Dossier, dossier_id, "open_dossier")


def filter_choices():
    """Departments and fields for the list filters, by name: for the whole page only (an htmx
    answer swaps the results, never the filter form that lists them)."""
    if wants_fragment():
        return {}
    return {
        "departments": db.session.query(Department).order_by(Department.name).all(),
        "fields": db.session.query(Field).order_by(Field.name).all(),
    }


@bp.route("/dossiers")
@requires("list_dossiers")
def list_dossiers():
    """Search dossiers. Query parameters (all optional, as the dashboard links them):

    ``q`` part of the dossier code; ``procedure`` a procedure code prefix or words of its name;
    ``direction`` ``tiep_nhan`` (default) or ``tra_ket_qua``: which date and channel ``from``,
    ``to``, ``channel`` and ``source_channel`` apply to; ``from``/``to`` ``YYYY-MM-DD`` (both,
    inclusive) on the effective date; ``channel`` the effective channel (``truc_tiep``,
    ``truc_tuyen``, ``bcci``); ``source_channel`` the channel the source gave; ``department`` and
    ``field`` ids; ``procedure_id`` one procedure's id (the figures link by id, never by code);
    ``postal=yes`` by post in either direction in the period (``from``/``to`` then apply to
    both dates); ``unlogged=yes`` by post per source with no shipment record in ``direction``;
    ``page``.
    """
    filters = filters_from(request.args)
    result = services.search_dossiers(
        filters, seek.parse_cursor(request.args, "text" if filters.q else "date")
    )
    args = list_args(request.args)
    linked = db.session.get(Procedure, filters.procedure_id) if filters.procedure_id else None
    return render(
        "dossiers/list.html",
        "dossiers/_results.html",
        filters=filters,
        dossiers=result.rows,
        total=result.total,
        capped=result.capped,
        pager=pager_links(result.page, result.total, result.capped, args),
        args=args,
        linked_procedure=linked,
        **filter_choices(),
    )


@bp.route("/dossiers/export.<fmt>")
@requires("list_dossiers")
def export_dossiers(fmt):
    """The dossiers matching the list's filters as CSV or XLSX: the one-stop columns (source
    values, so a re-import changes nothing), then the effective values and the department."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    units = import_units.export_units()
    rows = services.export_rows(filters_from(request.args), units=units)
    columns = import_units.with_unit_column(services.EXPORT_COLUMNS, units)
    return export_response("ho-so", fmt, columns, rows)


@bp.route("/dossiers/<int:dossier_id>")
def show_dossier(dossier_id):
    """A dossier: source and effective values per direction, its shipments, its history."""
    dossier = get_dossier_or_404(dossier_id)
    return render(
        "dossiers/show.html",
        "dossiers/show.html",
        dossier=dossier,
        events=present_events(services.history(dossier)),
    )


def flash_report(report):
    """The outcome of an accepted import as a flash message (pages without htmx)."""
    warnings = ngettext("%(num)s warning", "%(num)s warnings", len(report.warnings))
    flash(
        _(
            "Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(warnings)s.",
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            warnings=warnings,
        ),
        "success",
    )


def import_page(template, run, done_url, written=None):
    """An import page (dossiers, a postal manifest): GET shows it; POST runs
    ``run(filename, data, unit)`` (an ``import_checked_first``) on the uploaded CSV or XLSX, all
    or nothing. A good file is committed, then ``written(report, seconds writing)`` is told and
    a plain form gets the report flashed and a 303 to ``done_url``, htmx the report in place; a
    bad one is rolled back and answered 422 with its bad rows.

    The import's unit (``utils.import_units.page_unit``): a unit-bound user's own, whatever the
    form holds; a province-wide user picks one on a deployment of several units (the picker
    offers ``unit_choices``), or leaves it to the file's ``ma_don_vi`` column."""

    def page(report=None, error=None, status=200):
        return render(
            template,
            "dossiers/_import_result.html",
            report=report,
            error=error,
            status=status,
            unit_choices=picker_units(current_user),
            unit_column=several_units(),
            chosen_unit=request.form.get("unit", ""),
        )

    if request.method != "POST":
        return page()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return page(error=_("Choose a CSV or XLSX file."), status=422)
    # Which unit only reads (as the file's checks do): no write lock is waited for here.
    with reading():
        unit, error = import_units.page_unit(current_user, request.form.get("unit"))
        if error is not None:
            return page(error=error, status=422)
        db.session.rollback()
    report = run(upload.filename, upload.read(), unit)
    if not report.ok:
        db.session.rollback()
        import_problems.offer(report)
        # Refused: nothing to write, so the page is rendered without taking the write lock.
        with reading():
            return page(report, status=422)
    started = time.perf_counter()
    db.session.commit()
    if written is not None:
        written(report, report.write_seconds + time.perf_counter() - started)
    if not is_htmx():
        flash_report(report)
        return hx_redirect(done_url)
    return page(report)


def _log_import(report, written):
    log.info(
        "dossier import: %s rows read and checked in %.2f s, written in %.2f s",
        report.created + report.updated + report.unchanged,
        report.read_seconds,
        written,
    )
    g.server_timing = f"read;dur={report.read_seconds * 1000:.0f}, write;dur={written * 1000:.0f}"


@bp.route("/dossiers/import", methods=["GET", "POST"])
@requires("import_dossiers")
def import_dossiers():
    """Upload the one-stop system's export (CSV or XLSX); all or nothing."""
    return import_page(
        "dossiers/import.html",
        lambda filename, data, unit: services.import_checked_first(filename, data, unit=unit),
        url_for("dossiers.import_dossiers"),
        _log_import,
    )
