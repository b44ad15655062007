"""The meeting brief: its content from the figures module, its PDF, and issuing it.

The brief is an administrative document (Nghị định 30/2020/NĐ-CP) and is always written in
Vietnamese, whatever language the reader's interface uses: it is rendered under the ``vi``
locale, so its numbers and dates follow docs/rules.md ("How things are shown"). Drafts are
rendered on demand and stored nowhere; issuing numbers a brief, stores its PDF and a snapshot of
its figures, and freezes the rubric version it used.
"""

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Brief, Meeting, RubricVersion, Unit
from utils import audit, figures
from utils.dates import vn_today
from utils.errors import Refusal
from utils.pdf import render_pdf
from utils.settings import get_settings, settings_of, unsaved_settings
from utils.units import (
    inactive_refusal,
    new_record_unit,
    taking_records,
    unit_condition,
    unit_scope,
)

STYLESHEETS = ("css/brief.css",)
OUTREACH_ROWS = 10
PROPOSAL_DEPARTMENTS = 3
PROPOSAL_UNITS = 3
# The units the province's brief names in its table of the units' tasks; the others are summed
# up on one line (a province of a hundred units would otherwise print a hundred lines).
UNIT_TASK_ROWS = 10
ISSUE_ATTEMPTS = 3
# A fixed key for PostgreSQL's advisory lock that serialises numbering.
_NUMBERING_LOCK = 7_020_301


def illustration_rubric(year):
    """Refusal to issue under the built-in illustrative rubric (409): an administrator first
    saves the province's criteria as the organisation's own version."""
    return Refusal(
        _l(
            "The %(year)s points use the built-in illustrative rubric, not the "
            "province's criteria: a brief cannot be issued under it. An "
            "administrator first saves the current criteria sheet as the "
            "organisation's rubric."
        ),
        status=409,
        year=year,
    )


def number_taken(confirmed, number):
    """Refusal of a confirmed number taken meanwhile (409, on the ``number`` field);
    ``conflict`` is the number it would take now (the person is asked again)."""
    return Refusal(
        _l(
            "Number %(taken)s was taken by another brief meanwhile. This brief "
            "would now take number %(number)s: confirm again."
        ),
        field="number",
        status=409,
        conflict=number,
        taken=f"{confirmed:02d}",
        number=f"{number:02d}",
    )


def no_province_centre():
    """Refusal to issue the province's brief without a province's centre to issue it (409)."""
    return Refusal(
        _l(
            "The province's brief is issued by the province's centre: an administrator first "
            "adds an active unit of the province's level that is a centre (Units screen)."
        ),
        status=409,
    )


def already_withdrawn():
    """Refusal of withdrawing a brief withdrawn already (by someone else, meanwhile): 409, on
    the ``reason`` field."""
    return Refusal(_l("This brief has already been withdrawn."), field="reason", status=409)


def document_number(number, settings=None):
    """``"02/BC-TTHCC"``: how a brief's number is written (``Số: …``), with the number prefix of
    ``settings`` (the first unit's by default)."""
    settings = settings or get_settings()
    return f"{number:02d}/BC-{settings.doc_prefix}"


def brief_number(brief):
    """An issued brief's number as it printed it: with its own unit's prefix."""
    return document_number(brief.number, get_settings(brief.unit_id))


def brief_numbers(briefs):
    """``{brief id: its number}`` (``brief_number``) of a list of briefs, reading their units'
    settings in one query."""
    settings = settings_of(b.unit_id for b in briefs)
    return {b.id: document_number(b.number, settings[b.unit_id]) for b in briefs}


def unit_names(briefs):
    """``{unit id: name}`` of the units of a list of briefs (one query)."""
    ids = {b.unit_id for b in briefs}
    if not ids:
        return {}
    return dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


@dataclass(frozen=True)
class IssuePlan:
    """What issuing the brief of ``period`` today would do: the number it would take (of
    ``year``), written as it would print (``label``), the rubric scoring it, and whether issuing
    is refused (``refusal``, the ``illustration_rubric`` refusal)."""

    period: object
    year: int
    number: int
    label: str
    rubric: object
    refusal: Refusal | None
    issuer: Unit | None = None  # the unit whose number it takes
    province: bool = False  # the province's brief (its number is the province's centre's)

    @property
    def unit_id(self):
        return self.issuer.id if self.issuer is not None else None

    @property
    def issuer_name(self):
        """The name of the unit whose number it takes."""
        return self.issuer.name


def issue_plan(period, today=None, user=None, province=False):
    """The confirmation's facts for ``user`` issuing the brief of ``period`` (reads only): the
    number is the next of ``user``'s unit (``utils.units.new_record_unit``), or, for the
    province's brief (``province``), of the province's centre (``province_centre``)."""
    today = today or vn_today()
    rubric = figures.rubric_for(period.year)
    refusal = illustration_rubric(rubric.year) if rubric.is_illustration else None
    issuer = _issuing_unit(user, province)
    if issuer is None:
        return IssuePlan(
            period, today.year, 1, document_number(1), rubric, no_province_centre(), None, True
        )
    number = _next_number(today.year, issuer.id)
    label = document_number(number, get_settings(issuer.id))
    refusal = refusal or inactive_refusal(issuer.id)
    return IssuePlan(period, today.year, number, label, rubric, refusal, issuer, province)


def province_centre():
    """The unit that issues the province's brief and numbers it in its own series: the
    province's centre, the active unit of level ``tinh`` and kind ``trung_tam`` (the first
    created, when there are several), or ``None``."""
    return db.session.scalars(
        select(Unit)
        .where(Unit.active.is_(True), Unit.level == "tinh", Unit.kind == "trung_tam")
        .order_by(Unit.id)
        .limit(1)
    ).first()


def _issuing_unit(user, province):
    """The unit a brief is numbered in: ``user``'s (``new_record_unit``), or the province's
    centre for the province's brief (``None`` without one)."""
    if not province:
        return db.session.get(Unit, new_record_unit(user))
    return province_centre()


def _group_table(summary, by, unit=None):
    """A table by field or by department, as the dashboard has it (``figures.breakdown_table``),
    the groups with most dossiers received first: ``(rows, total)``, the total row being the
    period's own counts."""
    return figures.breakdown_table(
        summary.period, by, "received", True, count_values=summary.counts, unit=unit
    )


def _proposal_departments(period, unit=None):
    names = figures.group_names("department")
    out = []
    for department_id, procedures, received in figures.outreach_by_department(period, unit)[
        :PROPOSAL_DEPARTMENTS
    ]:
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
            row = rows.setdefault(
                share.department_id, {"code": share.code, "name": share.name, "shares": {}}
            )
            row["shares"][target.code] = share.share
    return sorted(rows.values(), key=lambda row: (row["code"] or "", row["name"]))


def latest_conclusions(on_or_before, unit_id=None):
    """The latest meeting held on or before the date whose conclusions were recorded (of the
    unit ``unit_id`` when given), or None."""
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.date <= on_or_before,
            Meeting.conclusions != "",
            *unit_condition(Meeting.unit_id, unit_id),
        )
        .order_by(Meeting.date.desc(), Meeting.id.desc())
        .limit(1)
    ).first()


def _follow_up(today, unit_id=None):
    """Tasks of earlier meetings not done (overdue first), how many of them are overdue, and
    the latest recorded conclusions (of the unit ``unit_id``'s meetings when given)."""
    from blueprints.meetings import services as meetings

    return {
        "tasks": meetings.open_tasks(as_of=today, meeting_before=today, unit_id=unit_id),
        "overdue": meetings.overdue_count(as_of=today, unit_id=unit_id, meeting_before=today),
        "meeting": latest_conclusions(today, unit_id),
    }


def _province_follow_up(today, centre_id):
    """The province's level's follow-up: its centre's tasks not done and its latest recorded
    conclusions (``_follow_up``); nothing without a centre (no meeting is the province's)."""
    if centre_id is None:
        return {"tasks": [], "overdue": 0, "meeting": None}
    return _follow_up(today, centre_id)


_TASK_COUNTS = ("assigned", "done", "open", "overdue")


def _task_sums(rows):
    return {key: sum(getattr(row, key) for row in rows) for key in _TASK_COUNTS}


def _unit_tasks(today, centre_id):
    """Every unit's tasks of meetings held up to ``today``, counted (assigned, done, not done,
    overdue): the ``UNIT_TASK_ROWS`` units with most overdue, then most not done, named
    (``rows``: [UnitTasks]), the other units' summed up (``others``: their number under
    ``"units"`` and their sums; ``None`` when every unit is named), the province's totals
    (``total``), and the units other than the centre with overdue tasks, most first
    (``late``)."""
    from blueprints.meetings import services as meetings

    rows = meetings.task_counts_by_unit(as_of=today, meeting_before=today)
    named, rest = rows[:UNIT_TASK_ROWS], rows[UNIT_TASK_ROWS:]
    return {
        "rows": named,
        "others": {"units": len(rest)} | _task_sums(rest) if rest else None,
        "total": _task_sums(rows),
        "late": [row for row in rows if row.overdue and row.unit.id != centre_id],
    }


def brief_context(period, today=None, number=None, year=None, unit_id=None, province=False):
    """Everything the brief shows, for ``period``, dated ``today`` (Vietnam date by default),
    under the names and signer of unit ``unit_id``'s settings (the first unit's by default).

    :param number: the issued number; ``None`` for a draft.
    :param unit_id: also the unit whose figures it gives and whose meetings and tasks it follows
        up (``None``: the province's, every unit's).
    :param province: the province's brief (``province_context``).
    """
    if province:
        return province_context(period, today, number, year)
    today = today or vn_today()
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    summary = figures.summary(period, unit=unit)
    targets = figures.targets(summary)
    outreach, outreach_total = figures.outreach_top(period, OUTREACH_ROWS, unit=unit)
    settings = get_settings(unit_id)
    follow_up = _follow_up(today, unit_id)
    return _context(period, today, number, year, settings, summary, targets, unit, follow_up) | {
        "by_field": _group_table(summary, "field", unit),
        "by_department": _group_table(summary, "department", unit),
        "trend": figures.monthly_trend(period, unit),
        "outreach": outreach,
        "outreach_total": outreach_total,
    }


def _context(period, today, number, year, settings, summary, targets, unit, follow_up):
    return {
        "period": period,
        "doc_date": today,
        "number": number,
        "year": year,
        "draft": number is None,
        "settings": settings,
        "recipients": [
            line.strip().lstrip("-").strip().rstrip(";.").strip()
            for line in settings.recipients.splitlines()
            if line.strip()
        ],
        "summary": summary,
        "criteria": {c.code: c for c in summary.criteria},
        "proposal_departments": _proposal_departments(period, unit),
        "targets": targets,
        "target_rows": target_rows(targets),
        "follow_up": follow_up,
    }


# --- The province's brief ----------------------------------------------------------------------

_PEOPLES_COMMITTEE = ("ubnd ", "ủy ban nhân dân ", "uỷ ban nhân dân ")


def province_name(settings):
    """The province as the brief's subject names it: the province's centre's parent agency
    without "UBND" ("tỉnh Quảng Ninh", "thành phố Hải Phòng"), else "tỉnh"."""
    agency = " ".join((settings.parent_agency or "").split())
    for prefix in _PEOPLES_COMMITTEE:
        if agency.lower().startswith(prefix) and agency[len(prefix) :].strip():
            rest = agency[len(prefix) :].strip()
            return rest[0].lower() + rest[1:]
    return "tỉnh"


def _unit_line(row):
    return {
        "code": row.unit.code,
        "name": row.unit.name,
        "active": row.unit.active,
        "summary": row.summary,
        "points": row.points,
    }


def unit_target_rows(targets):
    """The units' shares of every criterion's gap side by side: one row per unit with a share,
    ``{"code", "name", "shares": {criterion code: share}}``, the largest shares first (of C1,
    then C2, then C3), then by unit code."""
    rows = {}
    for target in targets:
        for share in target.units:
            row = rows.setdefault(
                share.unit.code, {"code": share.unit.code, "name": share.unit.name, "shares": {}}
            )
            row["shares"][target.code] = share.share
    codes = [t.code for t in targets]
    return sorted(
        rows.values(),
        key=lambda row: (tuple(-row["shares"].get(c, 0) for c in codes), row["code"]),
    )


def _issuer_settings(centre):
    """The settings of the province's centre; without one, each column's default (an empty
    header, as before any settings are saved)."""
    return get_settings(centre.id) if centre is not None else unsaved_settings()


def province_context(period, today=None, number=None, year=None):
    """Everything the province's brief shows: the province's figures (as a province-wide
    user's brief), under the names, signer and number of the province's centre
    (``province_centre``), with the table of units (``figures.rollup``: the province's own
    centres apart, the communes ranked worst first; every unit with dossiers in the period, so
    that their dossiers add up to the province's), the gap to each criterion's next band split
    across units, and proposals naming the units furthest from it."""
    today = today or vn_today()
    data = figures.rollup(period, whole=True)
    summary = data.province
    outreach, outreach_total = figures.outreach_top(period, OUTREACH_ROWS)
    centre = province_centre()
    settings = _issuer_settings(centre)
    # The province's level follows up its own centre's meetings (the unit that issues the
    # brief); every unit's tasks are summed up per unit.
    centre_id = centre.id if centre is not None else None
    follow_up = _province_follow_up(today, centre_id)
    return _context(period, today, number, year, settings, summary, [], None, follow_up) | {
        "province": True,
        "centre_name": settings.unit_name,
        "unit_tasks": _unit_tasks(today, centre_id),
        "province_name": province_name(settings),
        "by_field": _group_table(summary, "field"),
        "by_department": _group_table(summary, "department"),
        "trend": data.trend,
        "outreach": outreach,
        "outreach_total": outreach_total,
        "unit_centres": [_unit_line(r) for r in data.centres],
        "unit_communes": [_unit_line(r) for r in data.communes],
        "targets": data.targets,
        "target_rows": unit_target_rows(data.targets),
        "unit_proposals": figures.unit_proposals(data.targets, PROPOSAL_UNITS),
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


def draft_pdf(period, today=None, unit_id=None, province=False):
    """A draft brief's PDF: no number, "DỰ THẢO" across its first page; stores nothing."""
    context = brief_context(period, today, unit_id=unit_id, province=province)
    return render_pdf(render_document(context), STYLESHEETS)


# What a unit code may not bring into a Content-Disposition filename (codes hold none of it).
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def draft_filename(period, province=False, unit_code=None):
    """``du-thao-bao-cao-bcci-20240101-20240930.pdf`` (``…-bcci-toan-tinh-…`` for the
    province's; ``…-bcci-XB-…``: the unit ``XB``'s, downloaded by who sees every unit, so that
    two units' drafts of one period do not share a name). The name stays ASCII without quotes
    (a unit code's characters are; anything else becomes ``-``)."""
    if province:
        whole = "-toan-tinh"
    elif unit_code:
        whole = "-" + _UNSAFE_IN_FILENAME.sub("-", unit_code)
    else:
        whole = ""
    return f"du-thao-bao-cao-bcci{whole}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"


def issued_filename(brief):
    """``bao-cao-01-2024-bcci.pdf`` (``…-bcci-toan-tinh.pdf``: the province's); a withdrawn
    brief's name says so (``…-da-thu-hoi.pdf``)."""
    whole = "-toan-tinh" if brief.province else ""
    suffix = "-da-thu-hoi" if brief.withdrawn else ""
    return f"bao-cao-{brief.number:02d}-{brief.year}-bcci{whole}{suffix}.pdf"


def _next_number(year, unit_id):
    """The next brief number of the unit ``unit_id`` in ``year`` (numbered per unit and year)."""
    current = db.session.execute(
        select(func.max(Brief.number)).where(Brief.unit_id == unit_id, Brief.year == year)
    ).scalar()
    return (current or 0) + 1


def _lock_numbering():
    """On PostgreSQL, hold a transaction-level lock so two issuers never draw the same number
    (SQLite already serialises writers: requests that change data begin IMMEDIATE).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NUMBERING_LOCK})


def _rubric_version_for(summary, user):
    """The stored rubric version the brief was scored under, frozen (issuing never runs under
    the built-in illustration, which has no stored version)."""
    version = db.session.get(RubricVersion, summary.rubric.version_id)
    if not version.frozen:
        version.frozen = True
        audit.record(
            "rubric.freeze",
            "rubric_version",
            version.id,
            {"frozen": False},
            {"frozen": True},
            user=user,
        )
    return version


def _meeting_snapshot(meeting):
    """The meeting whose conclusions a brief printed (III.3): its id, date and conclusions as
    they were; ``None`` without one."""
    if meeting is None:
        return None
    return {"id": meeting.id, "date": meeting.date.isoformat(), "conclusions": meeting.conclusions}


def _follow_up_snapshot(context):
    """The follow-up's figures the brief printed: the tasks it listed (their id, status and
    whether overdue) and how many, of them overdue, and the meeting whose conclusions it
    printed (its id, date and conclusions; ``None`` without one: meetings can be corrected
    afterwards); for the province's brief, the units' tasks counted as its table has them (the
    units named, the others' line, the province's total) and how many units other than the
    centre had tasks overdue (its last proposal)."""
    follow_up = context["follow_up"]
    data = {
        "follow_up": {
            "tasks": [
                {"id": t.id, "status": t.status, "overdue": t.overdue} for t in follow_up["tasks"]
            ],
            "open": len(follow_up["tasks"]),
            "overdue": follow_up["overdue"],
            "meeting": _meeting_snapshot(follow_up["meeting"]),
        }
    }
    if context.get("province"):
        tasks = context["unit_tasks"]
        data["unit_tasks"] = {
            "units": [
                {"code": row.unit.code, "name": row.unit.name}
                | {key: getattr(row, key) for key in _TASK_COUNTS}
                for row in tasks["rows"]
            ],
            "others": tasks["others"],
            "total": tasks["total"],
            "late_units": len(tasks["late"]),
        }
    return data


def snapshot(context):
    """The figures the issued brief printed, as JSON."""
    summary = context["summary"]
    data = summary.as_json()
    data["rubric"] = {
        "year": summary.rubric.year,
        "version": summary.rubric.version,
        "is_illustration": summary.rubric.is_illustration,
    }
    data["outreach_total"] = context["outreach_total"]
    data["trend"] = context["trend"]
    data |= context["follow_up_figures"]
    if context.get("province"):
        data["province"] = True
        data["units"] = [
            {
                "code": line["code"],
                "name": line["name"],
                "level": "tinh" if line in context["unit_centres"] else "xa",
                "criteria": [c.as_json() for c in line["summary"].criteria],
                "points": f"{line['points']:.2f}",
            }
            for line in context["unit_centres"] + context["unit_communes"]
        ]
        data["unit_targets"] = context["target_rows"]

    def row(r):
        return {
            "code": r.code,
            "name": r.name,
            "procedures": r.procedures,
            "eligible": r.eligible,
            "with_postal": r.with_postal,
            "received": r.received,
            "received_postal": r.received_postal,
            "returned_postal": r.returned_postal,
        }

    for by in ("field", "department"):
        rows, total = context[f"by_{by}"]
        data[f"by_{by}"] = [row(r) for r in rows]
        data[f"by_{by}_total"] = row(total)
    return data


def render_for_issue(period, today=None, confirmed_number=None, user=None, province=False):
    """The issued PDF of ``period`` rendered ahead, under the number it is expected to take (the
    confirmed one, else the next): ``(number, context, pdf)``. Reads only, so the route runs it
    before the numbering transaction (``utils.transactions.outside_the_write_lock``): rendering
    takes a second or two and must not hold the write lock. ``None`` under the illustration, or
    for the province's brief without a province's centre."""
    today = today or vn_today()
    issuer = _issuing_unit(user, province)
    if figures.rubric_for(period.year).is_illustration or issuer is None:
        return None
    number = confirmed_number or _next_number(today.year, issuer.id)
    context = _issue_context(period, today, number, user, province)
    return number, context, render_pdf(render_document(context), STYLESHEETS)


def _issue_context(period, today, number, user, province):
    """The context of a brief to issue, with its follow-up's figures read at once
    (``follow_up_figures``): a brief rendered ahead (``render_for_issue``) is stored in another
    transaction, where its tasks and its meeting's conclusions, read again, could have changed
    since they were printed."""
    context = brief_context(
        period, today, number=number, year=today.year, unit_id=_scope(user), province=province
    )
    return context | {"follow_up_figures": _follow_up_snapshot(context)}


def issue_brief(
    period, user=None, today=None, confirmed_number=None, rendered=None, province=False
):
    """Number, render and store the brief of ``period``; freeze its rubric version; audit it.

    Adds and flushes; the caller commits. The brief is ``user``'s unit's (the first unit's for a
    user bound to none); numbers run per unit and calendar year of the issue date and are never
    reused (a withdrawn brief keeps its number). The province's brief (``province``) is the
    province's centre's (``province_centre``), numbered in its series.

    :param confirmed_number: the number the person confirmed; when another brief took it
        meanwhile, nothing is issued and the refusal (``number_taken``) names the number it would
        take now.
    :param rendered: ``render_for_issue``'s result: used when its number is the one drawn (the
        usual case), so the short numbering transaction only stores; rendered here otherwise.
    :raise Refusal: (409) the period is scored under the built-in illustration
        (``illustration_rubric``); the confirmed number is no longer the next one
        (``number_taken``); no number could be drawn (concurrent issuers kept taking it); the
        province's brief without a province's centre (``no_province_centre``); (422) the unit
        is deactivated (``utils.units.taking_records``).
    """
    today = today or vn_today()
    year = today.year
    rubric = figures.rubric_for(period.year)
    if rubric.is_illustration:
        raise illustration_rubric(rubric.year)
    issuer = _issuing_unit(user, province)
    if issuer is None:
        raise no_province_centre()
    unit_id = taking_records(issuer.id)
    _lock_numbering()
    for _attempt in range(ISSUE_ATTEMPTS):
        number = _next_number(year, unit_id)
        if confirmed_number is not None and number != confirmed_number:
            raise number_taken(confirmed_number, number)
        if rendered is not None and rendered[0] == number:
            _, context, pdf = rendered
        else:
            context = _issue_context(period, today, number, user, province)
            pdf = render_pdf(render_document(context), STYLESHEETS)
        try:
            with db.session.begin_nested():
                version = _rubric_version_for(context["summary"], user)
                brief = Brief(
                    unit_id=unit_id,
                    province=province,
                    year=year,
                    number=number,
                    period_from=period.start,
                    period_to=period.end,
                    issued_by_id=getattr(user, "id", None),
                    rubric_version_id=version.id,
                    figures=snapshot(context),
                    pdf=pdf,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                )
                db.session.add(brief)
                db.session.flush()
        except IntegrityError:
            if confirmed_number is not None:
                raise number_taken(confirmed_number, _next_number(year, unit_id)) from None
            continue  # another issuer took the number meanwhile: draw the next one
        audit.record(
            "brief.issue",
            "brief",
            brief.id,
            None,
            {
                "year": year,
                "number": number,
                "from": period.start,
                "to": period.end,
                "sha256": brief.sha256,
                "rubric_version_id": version.id,
                **({"province": True} if province else {}),
            },
            user=user,
        )
        return brief
    raise Refusal(
        _l("No brief number could be drawn: others were issuing at the same time. Try again."),
        status=409,
    )


def _scope(user):
    """The unit ``user`` is limited to (``utils.units.unit_scope``), ``None`` without a user."""
    return unit_scope(user) if user is not None else None


def issued_briefs(unit_id=None):
    """Issued briefs (of the unit ``unit_id`` when given), newest first (without loading their
    PDFs)."""
    from sqlalchemy.orm import defer

    return db.session.scalars(
        select(Brief)
        .where(*unit_condition(Brief.unit_id, unit_id))
        .options(defer(Brief.pdf), defer(Brief.figures))
        .order_by(Brief.year.desc(), Brief.number.desc())
    ).all()


def withdraw_brief(brief, reason, user=None, now=None):
    """Withdraw (thu hồi) an issued brief: it keeps its number and its file, both marked
    withdrawn wherever shown; the replacement is issued as usual and takes the next number.

    Adds and flushes; the caller commits.

    :raise Refusal: (409, ``already_withdrawn``) it was withdrawn before.
    :raise ValueError: an empty reason (the form requires one).
    """
    from models import utcnow
    from utils.text import nfc

    reason = nfc(reason or "").strip()
    if not reason:
        raise ValueError("a withdrawal needs a reason")
    # One UPDATE that only a brief not yet withdrawn matches: of two people withdrawing at
    # once, the second is told, on either database.
    result = db.session.execute(
        update(Brief)
        .where(Brief.id == brief.id, Brief.withdrawn_at.is_(None))
        .values(
            withdrawn_at=now or utcnow(),
            withdrawn_by_id=getattr(user, "id", None),
            withdraw_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise already_withdrawn()
    db.session.refresh(brief)
    audit.record(
        "brief.withdraw",
        "brief",
        brief.id,
        {"withdrawn": False},
        {
            "withdrawn": True,
            "year": brief.year,
            "number": brief.number,
            "reason": reason,
        },
        user=user,
    )
    return brief
