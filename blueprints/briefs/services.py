"""The meeting brief: its content from the figures module, its PDF, and issuing it.

The brief is an administrative document (Nghị định 30/2020/NĐ-CP) and is always written in
Vietnamese, whatever language the reader's interface uses: it is rendered under the ``vi``
locale, so its numbers and dates follow docs/rules.md ("How things are shown"). Drafts are
rendered on demand and stored nowhere; issuing numbers a brief, stores its PDF and a snapshot of
its figures, and freezes the rubric version it used.
"""
import hashlib

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Brief, Meeting, RubricVersion
from utils import audit, figures
from utils.dates import vn_today
from utils.pdf import render_pdf
from utils.settings import get_settings

STYLESHEETS = ("css/brief.css",)
OUTREACH_ROWS = 10
PROPOSAL_DEPARTMENTS = 3
ISSUE_ATTEMPTS = 3
# A fixed key for PostgreSQL's advisory lock that serialises numbering.
_NUMBERING_LOCK = 7_020_301


class BriefError(Exception):
    """Issuing is not possible; ``str(e)`` is a translated message."""


def _group_table(summary, by):
    """A table by field or by department, as the dashboard has it (``figures.breakdown_table``),
    the groups with most dossiers received first: ``(rows, total)``, the total row being the
    period's own counts."""
    return figures.breakdown_table(summary.period, by, "received", True,
                                   count_values=summary.counts)


def _proposal_departments(period):
    names = figures.group_names("department")
    out = []
    for department_id, procedures, received in figures.outreach_by_department(period)[:PROPOSAL_DEPARTMENTS]:
        code, name = names.get(department_id, (None, str(department_id)))
        out.append({"code": code, "name": name, "procedures": procedures, "received": received})
    return out


def target_rows(targets):
    """The departments' shares of every criterion's gap side by side: one row per department,
    ``{"code", "name", "shares": {criterion code: share}}``, by department code.
    """
    rows = {}
    for target in targets:
        for share in target.departments:
            row = rows.setdefault(share.department_id,
                                  {"code": share.code, "name": share.name, "shares": {}})
            row["shares"][target.code] = share.share
    return sorted(rows.values(), key=lambda row: (row["code"] or "", row["name"]))


def latest_conclusions(on_or_before):
    """The latest meeting held on or before the date whose conclusions were recorded, or None."""
    return db.session.scalars(
        select(Meeting)
        .where(Meeting.date <= on_or_before, Meeting.conclusions != "")
        .order_by(Meeting.date.desc(), Meeting.id.desc())
        .limit(1)
    ).first()


def _follow_up(today):
    """Tasks of earlier meetings not done (overdue first), and the latest recorded conclusions."""
    from blueprints.meetings import services as meetings

    return {
        "tasks": meetings.open_tasks(as_of=today, meeting_before=today),
        "overdue": meetings.overdue_count(as_of=today),
        "meeting": latest_conclusions(today),
    }


def brief_context(period, today=None, number=None, year=None):
    """Everything the brief shows, for ``period``, dated ``today`` (Vietnam date by default).

    :param number: the issued number; ``None`` for a draft.
    """
    today = today or vn_today()
    summary = figures.summary(period)
    targets = figures.targets(summary)
    outreach, outreach_total = figures.outreach_top(period, OUTREACH_ROWS)
    settings = get_settings()
    return {
        "period": period,
        "doc_date": today,
        "number": number,
        "year": year,
        "draft": number is None,
        "settings": settings,
        "recipients": [line.strip().lstrip("-").strip().rstrip(";.").strip()
                       for line in settings.recipients.splitlines() if line.strip()],
        "summary": summary,
        "criteria": {c.code: c for c in summary.criteria},
        "by_field": _group_table(summary, "field"),
        "by_department": _group_table(summary, "department"),
        "trend": figures.monthly_trend(period),
        "outreach": outreach,
        "outreach_total": outreach_total,
        "proposal_departments": _proposal_departments(period),
        "targets": targets,
        "target_rows": target_rows(targets),
        "follow_up": _follow_up(today),
    }


def _render(template, context):
    # The document depends on its context alone (no request, no context processors), so the
    # command line renders exactly what the web does; Vietnamese whatever the reader's language.
    with force_locale("vi"):
        return current_app.jinja_env.get_template(template).render(**context)


def render_html(context):
    """The brief's body (``briefs/_document.html``), for the preview page (autoescaped)."""
    return Markup(_render("briefs/_document.html", context))


def render_document(context):
    """The brief as a standalone HTML document, as WeasyPrint lays it out."""
    return _render("briefs/document.html", context)


def draft_pdf(period, today=None):
    """A draft brief's PDF: no number, "DỰ THẢO" across its first page; stores nothing."""
    return render_pdf(render_document(brief_context(period, today)), STYLESHEETS)


def draft_filename(period):
    return f"du-thao-bao-cao-bcci-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"


def issued_filename(brief):
    return f"bao-cao-{brief.number:02d}-{brief.year}-bcci.pdf"


def _next_number(year):
    current = db.session.execute(select(func.max(Brief.number)).where(Brief.year == year)).scalar()
    return (current or 0) + 1


def _lock_numbering():
    """On PostgreSQL, hold a transaction-level lock so two issuers never draw the same number
    (SQLite already serialises writers: requests that change data begin IMMEDIATE).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NUMBERING_LOCK})


def _rubric_version_for(summary, user):
    """The stored rubric version the brief was scored under, frozen; the built-in illustration
    is stored first (as that year's version 1) so the brief can name what it used.
    """
    rubric = summary.rubric
    if rubric.version_id is not None:
        version = db.session.get(RubricVersion, rubric.version_id)
    else:
        version = RubricVersion(year=rubric.year, version=1, criteria=figures.DEFAULT_RUBRIC,
                                is_illustration=True, created_by_id=getattr(user, "id", None),
                                note="Thang điểm minh họa có sẵn, lưu khi ban hành báo cáo.")
        db.session.add(version)
        db.session.flush()
        audit.record("rubric.create", "rubric_version", version.id, None,
                     {"year": version.year, "version": version.version, "is_illustration": True},
                     user=user)
    if not version.frozen:
        version.frozen = True
        audit.record("rubric.freeze", "rubric_version", version.id, {"frozen": False},
                     {"frozen": True}, user=user)
    return version


def snapshot(context):
    """The figures the issued brief printed, as JSON."""
    summary = context["summary"]
    data = summary.as_json()
    data["rubric"] = {"year": summary.rubric.year, "version": summary.rubric.version,
                      "is_illustration": summary.rubric.is_illustration}
    data["outreach_total"] = context["outreach_total"]
    data["trend"] = context["trend"]
    def row(r):
        return {"code": r.code, "name": r.name, "procedures": r.procedures,
                "eligible": r.eligible, "with_postal": r.with_postal, "received": r.received,
                "received_postal": r.received_postal, "returned_postal": r.returned_postal}

    for by in ("field", "department"):
        rows, total = context[f"by_{by}"]
        data[f"by_{by}"] = [row(r) for r in rows]
        data[f"by_{by}_total"] = row(total)
    return data


def issue_brief(period, user=None, today=None):
    """Number, render and store the brief of ``period``; freeze its rubric version; audit it.

    Adds and flushes; the caller commits. Numbers run per calendar year of the issue date.

    :raise BriefError: no number could be drawn (concurrent issuers kept taking it).
    """
    today = today or vn_today()
    year = today.year
    _lock_numbering()
    for _attempt in range(ISSUE_ATTEMPTS):
        number = _next_number(year)
        context = brief_context(period, today, number=number, year=year)
        pdf = render_pdf(render_document(context), STYLESHEETS)
        try:
            with db.session.begin_nested():
                version = _rubric_version_for(context["summary"], user)
                brief = Brief(year=year, number=number, period_from=period.start,
                              period_to=period.end, issued_by_id=getattr(user, "id", None),
                              rubric_version_id=version.id, figures=snapshot(context), pdf=pdf,
                              sha256=hashlib.sha256(pdf).hexdigest())
                db.session.add(brief)
                db.session.flush()
        except IntegrityError:
            continue  # another issuer took the number meanwhile: draw the next one
        audit.record("brief.issue", "brief", brief.id, None, {
            "year": year, "number": number, "from": period.start, "to": period.end,
            "sha256": brief.sha256, "rubric_version_id": version.id,
        }, user=user)
        return brief
    raise BriefError(_("No brief number could be drawn: others were issuing at the same time. Try again."))


def issued_briefs():
    """Issued briefs, newest first (without loading their PDFs)."""
    from sqlalchemy.orm import defer

    return db.session.scalars(
        select(Brief).options(defer(Brief.pdf), defer(Brief.figures))
        .order_by(Brief.year.desc(), Brief.number.desc())
    ).all()

