"""What the leaders' dashboard shows for a period, gathered from ``utils.figures``.

Nothing is computed here: every count, ratio, point and target comes from the figures module,
and the tasks from ``blueprints.meetings.services``. The period picker's years (the span of the
dossiers received, not a figure) are read here.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from blueprints.meetings.services import open_tasks
from utils.units import current_scope
from extensions import db
from models import Dossier
from utils import figures
from utils.dates import vn_today
from utils.errors import CHANGED_MEANWHILE, Refusal

OUTREACH_TOP = 10


@dataclass
class Dashboard:
    choice: object
    summary: object
    by_field: tuple
    by_department: tuple
    trend: list
    outreach: list
    outreach_total: int
    targets: list
    tasks: list
    sort: str = "name"  # the rate column both tables open on, worst first
    unit: object = None  # the unit whose figures these are (``models.Unit``), or the province's

    @property
    def period(self):
        return self.choice.period


def dashboard(choice, as_of=None, unit=None):
    """Everything the dashboard page shows for ``choice`` (a ``utils.periods.PeriodChoice``):
    one ``unit``'s figures, or the province's (``None``)."""
    period = choice.period
    summary = figures.summary(period, unit=unit)
    outreach, outreach_total = figures.outreach_top(period, OUTREACH_TOP, unit)
    sort = figures.worst_first_column(summary)
    values = summary.counts
    return Dashboard(
        choice=choice,
        summary=summary,
        by_field=figures.breakdown_table(period, "field", sort, count_values=values, unit=unit),
        by_department=figures.breakdown_table(
            period, "department", sort, count_values=values, unit=unit
        ),
        trend=figures.monthly_trend(period, unit),
        outreach=outreach,
        outreach_total=outreach_total,
        targets=figures.targets(summary),
        tasks=open_tasks(as_of or vn_today(), unit_id=current_scope()),  # the user's unit's
        sort=sort,
        unit=unit,
    )


def department_targets(department_id, period):
    """A department's share of each criterion's gap for ``period`` (its home panel).

    :return: ``(summary, [(CriterionTarget, DepartmentTarget or None)])``.
    """
    summary = figures.summary(period)
    return summary, [(t, t.share_of(department_id)) for t in figures.targets(summary)]


# --- The period picker's years --------------------------------------------------------------------


def data_years():
    """The years between the earliest dossier received and today's, newest first (for the
    period picker), always including Vietnam's current year."""
    first = db.session.execute(select(func.min(Dossier.receive_date))).scalar_one_or_none()
    this_year = vn_today().year
    start = min(first.year, this_year) if first else this_year
    return list(range(this_year, start - 1, -1))


def quick_years():
    """The years the period picker offers shortcuts for: this year, and the year of the latest
    dossier received when that is an earlier one; newest first."""
    last = db.session.execute(select(func.max(Dossier.receive_date))).scalar_one_or_none()
    this_year = vn_today().year
    return sorted({this_year} | ({last.year} if last else set()), reverse=True)


# --- The scoring rubric ------------------------------------------------------------------------

RUBRIC_MESSAGES = {
    "bad_max": _l("The maximum must be a number of points above 0, with at most two decimals."),
    "bad_threshold": _l(
        "Each threshold must be a percentage from 0 to 100, with at most two decimals."
    ),
    "bad_points": _l("Each band's points must be above 0 and not above the maximum."),
    "no_band": _l("Give at least one band."),
    "not_increasing": _l("Higher thresholds must give more points."),
    "incomplete": _l("Give both the threshold and the points of a band, or neither."),
}


def rubric_fingerprint(version):
    """What the edit form remembers of the year's latest version (``None``: there is none), so
    that saving can tell whether someone else saved meanwhile. A correction in place keeps the
    version number, so the number alone cannot tell: the stored values are hashed with it."""
    import hashlib
    import json

    if version is None:
        return "none"
    payload = json.dumps(
        [version.id, version.version, version.criteria, version.note],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def latest_version(year):
    """The year's own latest stored version, or ``None``."""
    from sqlalchemy import select

    from models import RubricVersion

    return db.session.scalars(
        select(RubricVersion)
        .where(RubricVersion.year == year)
        .order_by(RubricVersion.version.desc())
        .limit(1)
    ).first()


MAX_BANDS = 4


def _decimal(text):
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _in_cents(value, within):
    """Whether ``value`` is a number that ``within`` accepts, with at most two decimals (range
    first: a huge number has no cents to compare)."""
    return value is not None and within(value) and value == value.quantize(figures.CENT)


def _criterion(spec):
    """One criterion's maximum and bands as stored, or the first problem: ``(stored, error)``."""
    maximum = _decimal(spec.get("max", ""))
    if not _in_cents(maximum, lambda v: 0 < v <= 100):
        return None, "bad_max"
    bands = []
    for threshold, points in spec.get("bands", []):
        t, p = _decimal(threshold), _decimal(points)
        if not _in_cents(t, lambda v: 0 <= v <= 100):
            return None, "bad_threshold"
        if not _in_cents(p, lambda v: 0 < v <= maximum):
            return None, "bad_points"
        bands.append((t, p))
    if not bands:
        return None, "no_band"
    if any(b[0] <= a[0] or b[1] <= a[1] for a, b in zip(bands, bands[1:])):
        return None, "not_increasing"
    return {
        "max": f"{maximum.quantize(figures.CENT)}",
        "bands": [[_plain(t), f"{p.quantize(figures.CENT)}"] for t, p in bands],
    }, None


def normalise_criteria(raw):
    """Check and normalise ``{"C1": {"max": "1", "bands": [["20", "0,5"], ...]}, ...}``.

    Thresholds are percentages from 0 to 100 with at most two decimals, strictly increasing;
    points are above zero, at most the maximum, strictly increasing; a maximum is above zero and
    at most 100; every criterion has at least one band.

    :return: the criteria as stored (strings: ``"20"``, ``"0.50"``).
    :raise Refusal: (422) every problem found, the first of each criterion, on the criterion's
        code (``Refusal.of``: ``{"C1": message, ...}``).
    """
    errors, out = [], {}
    for code, _num, _den in figures.CRITERIA:
        stored, error = _criterion(raw.get(code) or {})
        if error:
            errors.append((code, error))
        else:
            out[code] = stored
    if errors:
        raise Refusal.of({code: RUBRIC_MESSAGES[error] for code, error in errors})
    return out


def _plain(value):
    """``20.00`` → ``"20"``, ``2.50`` → ``"2.5"``."""
    text = f"{value.quantize(figures.CENT)}".rstrip("0").rstrip(".")
    return text or "0"


def versions_of(year):
    """Every stored version of a year's rubric, newest first."""
    from sqlalchemy import select

    from models import RubricVersion

    return list(
        db.session.scalars(
            select(RubricVersion)
            .where(RubricVersion.year == year)
            .order_by(RubricVersion.version.desc())
        )
    )


def latest_versions():
    """The latest version of each year that has one, newest year first."""
    from sqlalchemy import func, select

    from models import RubricVersion

    latest = (
        select(RubricVersion.year, func.max(RubricVersion.version).label("v"))
        .group_by(RubricVersion.year)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(RubricVersion)
            .join(
                latest,
                (RubricVersion.year == latest.c.year) & (RubricVersion.version == latest.c.v),
            )
            .order_by(RubricVersion.year.desc())
        )
    )


def save_rubric(year, raw_criteria, note="", user=None, based_on=None):
    """Save a year's rubric.

    Versioning: the latest version of the year is corrected in place only when it is neither
    frozen (an issued brief used it) nor the shipped illustration; otherwise the next version is
    created, and the earlier one stays exactly as it was, so issued briefs keep their scores.
    Drafts freeze nothing. ``figures.rubric_for(year)`` always picks the latest version.

    :return: ``(RubricVersion, created)``.
    :raise Refusal: bands the rules refuse (422, see ``normalise_criteria``).
    :param based_on: ``rubric_fingerprint`` of the latest version when the form was opened;
        when given and the latest version is no longer that, nothing is saved.
    :raise Refusal: (409) another save changed or created a version meanwhile; nothing is
        saved, and the form shows the other person's values.
    """
    from sqlalchemy.exc import IntegrityError

    from models import RubricVersion
    from utils import audit
    from utils.text import nfc

    criteria = normalise_criteria(raw_criteria)
    note = nfc(note or "").strip()
    versions = versions_of(year)
    latest = versions[0] if versions else None
    if latest is not None:
        # Read again under a row lock (PostgreSQL), so two corrections cannot both pass the check.
        db.session.refresh(latest, with_for_update=True)
    if based_on is not None and based_on != rubric_fingerprint(latest):
        raise Refusal(CHANGED_MEANWHILE, status=409)
    if latest is not None and not latest.frozen and not latest.is_illustration:
        old = audit.snapshot(latest, ("criteria", "note"))
        latest.criteria = criteria
        latest.note = note
        db.session.flush()
        before, after = audit.diff(old, audit.snapshot(latest, ("criteria", "note")))
        audit.record("rubric.update", "rubric_version", latest.id, before, after, user=user)
        return latest, False
    version = RubricVersion(
        year=year,
        version=(latest.version + 1) if latest else 1,
        criteria=criteria,
        is_illustration=False,
        frozen=False,
        note=note,
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(version)
    try:
        # Two saves that read the same latest version both make the next one: the second is
        # refused by the unique (year, version) and told so, instead of failing with a 500.
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Refusal(CHANGED_MEANWHILE, status=409) from None
    audit.record(
        "rubric.create",
        "rubric_version",
        version.id,
        None,
        audit.snapshot(version, ("year", "version", "criteria", "note")),
        user=user,
    )
    return version, True
