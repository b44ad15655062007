"""Dossier search, a dossier's page with its shipments and history, the one-stop import."""
import logging
import time

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from blueprints.dossiers import services
from extensions import db
from models import Department, Dossier, Field, Procedure
from utils.history import present_events
from utils.access import refuse, roles_required
from utils.htmx import render
from utils.transactions import reading
from utils.htmx import redirect as hx_redirect
from utils.inputs import MAX_PAGE, arg_int
from utils.periods import optional_period_from_request
from utils.tabular import export_response
from utils import import_problems

log = logging.getLogger("bcci.imports")
bp = Blueprint("dossiers", __name__)

LIST_ROLES = ("admin", "centre", "leader")
IMPORT_ROLES = ("admin", "centre")


def int_arg(args, name):
    """A positive integer query parameter, or ``None`` when absent or malformed."""
    return arg_int(args, name)


def filters_from(args):
    """``DossierFilters`` from the URL; a 400 for a malformed period."""
    direction = args.get("direction") if args.get("direction") in ("tiep_nhan", "tra_ket_qua") else "tiep_nhan"
    channels = ("truc_tiep", "truc_tuyen", "bcci")
    period = optional_period_from_request(args)
    return services.DossierFilters(
        q=(args.get("q") or "").strip()[:60],
        procedure=(args.get("procedure") or "").strip()[:100],
        direction=direction,
        channel=args.get("channel") if args.get("channel") in channels else "",
        source_channel=args.get("source_channel") if args.get("source_channel") in channels else "",
        period=period,
        department_id=int_arg(args, "department"),
        field_id=int_arg(args, "field"),
        procedure_id=int_arg(args, "procedure_id"),
        by_post=args.get("postal") == "yes",
        unlogged=args.get("unlogged") == "yes",
    )


def get_dossier_or_404(dossier_id):
    """The dossier; department staff only their own department's (403 otherwise)."""
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    if current_user.role == "department" and dossier.procedure.department_id != current_user.department_id:
        refuse(403)
    return dossier


def filter_choices():
    """Departments and fields for the list filters, by name."""
    return {
        "departments": db.session.query(Department).order_by(Department.name).all(),
        "fields": db.session.query(Field).order_by(Field.name).all(),
    }


@bp.route("/dossiers")
@roles_required(*LIST_ROLES)
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
    page = arg_int(request.args, "page", 1, maximum=MAX_PAGE)
    dossiers, total = services.search_dossiers(filters, page=page)
    args = {k: v for k, v in request.args.items() if k != "page"}
    linked = db.session.get(Procedure, filters.procedure_id) if filters.procedure_id else None
    return render("dossiers/list.html", "dossiers/_results.html", filters=filters, dossiers=dossiers,
                  total=total, page=page, per_page=50, args=args, linked_procedure=linked,
                  **filter_choices())


@bp.route("/dossiers/export.<fmt>")
@roles_required(*LIST_ROLES)
def export_dossiers(fmt):
    """The dossiers matching the list's filters as CSV or XLSX: the one-stop columns (source
    values, so a re-import changes nothing), then the effective values and the department."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    rows = services.export_rows(filters_from(request.args))
    return export_response("ho-so", fmt, services.EXPORT_COLUMNS, rows)


@bp.route("/dossiers/<int:dossier_id>")
def show_dossier(dossier_id):
    """A dossier: source and effective values per direction, its shipments, its history."""
    dossier = get_dossier_or_404(dossier_id)
    return render("dossiers/show.html", "dossiers/show.html", dossier=dossier,
                  events=present_events(services.history(dossier)))


def flash_report(report):
    """The outcome of an accepted import as a flash message (pages without htmx)."""
    warnings = ngettext("%(num)s warning", "%(num)s warnings", len(report.warnings))
    flash(_("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(warnings)s.", created=report.created, updated=report.updated,
            unchanged=report.unchanged, warnings=warnings), "success")


@bp.route("/dossiers/import", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def import_dossiers():
    """Upload the one-stop system's export (CSV or XLSX); all or nothing."""
    report = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            report_error = _("Choose a CSV or XLSX file.")
            return render("dossiers/import.html", "dossiers/_import_result.html", report=None,
                          error=report_error, status=422)
        report = services.import_checked_first(upload.filename, upload.read())
        if report.ok:
            started = time.perf_counter()
            db.session.commit()
            written = report.write_seconds + time.perf_counter() - started
            log.info("dossier import: %s rows read and checked in %.2f s, written in %.2f s",
                     report.created + report.updated + report.unchanged, report.read_seconds,
                     written)
            g.server_timing = (f"read;dur={report.read_seconds * 1000:.0f}, "
                               f"write;dur={written * 1000:.0f}")
            if request.headers.get("HX-Request") != "true":
                flash_report(report)
                return hx_redirect(url_for("dossiers.import_dossiers"))
        else:
            db.session.rollback()
            import_problems.offer(report)
            # Refused: nothing to write, so the page is rendered without taking the write lock.
            with reading():
                return render("dossiers/import.html", "dossiers/_import_result.html",
                              report=report, error=None, status=422)
    return render("dossiers/import.html", "dossiers/_import_result.html", report=report, error=None,
                  status=status)
