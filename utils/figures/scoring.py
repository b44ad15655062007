"""Ratios, points and gaps of docs/figures.md, in ``Decimal`` arithmetic: percentages rounded
half up, the rubric's bands, the three criteria of a period and its summary.
"""

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from sqlalchemy import select

from extensions import db
from models import RubricVersion
from utils.figures.counting import counts

CRITERIA = (
    ("C1", "procedures_with_postal", "procedures_total"),
    ("C2", "dossiers_received_postal", "dossiers_received"),
    ("C3", "results_returned_postal", "dossiers_received"),
)

# The shipped default: an illustration, to be replaced with the province's current criteria sheet.
DEFAULT_RUBRIC = {
    "C1": {"max": "1.00", "bands": [["20", "0.50"], ["50", "1.00"]]},
    "C2": {"max": "1.00", "bands": [["5", "0.50"], ["10", "1.00"]]},
    "C3": {"max": "1.00", "bands": [["5", "0.50"], ["10", "1.00"]]},
}

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


# --- Ratios, points and gaps -----------------------------------------------------------------


def percent(numerator, denominator):
    """``numerator / denominator`` as a percentage, two decimals, half up; ``None`` when the
    denominator is zero.
    """
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(CENT, ROUND_HALF_UP)


def percent_str(numerator, denominator):
    """The percentage as ``"9.70"``, or ``None``."""
    value = percent(numerator, denominator)
    return None if value is None else f"{value:.2f}"


def band_reached(numerator, denominator, threshold):
    """A band "from X%" is reached when numerator × 100 ≥ X × denominator, exactly."""
    return Decimal(numerator) * HUNDRED >= Decimal(threshold) * Decimal(denominator)


def gap_to(numerator, denominator, threshold):
    """The least k ≥ 0 with (numerator + k) × 100 ≥ X × denominator, the denominator unchanged."""
    need = (Decimal(threshold) * Decimal(denominator) / HUNDRED).to_integral_value(ROUND_CEILING)
    return max(0, int(need) - int(numerator))


def _status(points, maximum, band):
    """A rate's status (``Rubric.status``) from its points, the criterion's maximum and the
    highest band reached (a non-zero denominator)."""
    if points >= maximum:
        return "full"
    return "part" if band else "none"


@dataclass(frozen=True)
class Band:
    threshold: Decimal
    points: Decimal


@dataclass(frozen=True)
class Rubric:
    """Bands per criterion for one year; ``version`` is the stored version, or None for the
    built-in default.
    """

    year: int
    bands: dict
    maximum: dict
    is_illustration: bool = False
    version_id: int | None = None
    version: int | None = None

    @classmethod
    def from_criteria(cls, year, criteria, is_illustration=False, version_id=None, version=None):
        bands, maximum = {}, {}
        for code, _, _ in CRITERIA:
            spec = criteria[code]
            bands[code] = tuple(
                sorted(
                    (Band(Decimal(str(t)), Decimal(str(p))) for t, p in spec["bands"]),
                    key=lambda b: b.threshold,
                )
            )
            maximum[code] = Decimal(str(spec["max"]))
        return cls(year, bands, maximum, is_illustration, version_id, version)

    def points(self, code, numerator, denominator):
        """Points for a criterion; ``None`` when the denominator is zero."""
        if not denominator:
            return None
        reached = [
            b.points for b in self.bands[code] if band_reached(numerator, denominator, b.threshold)
        ]
        return min(max(reached, default=Decimal(0)), self.maximum[code]).quantize(CENT)

    def band_of(self, code, numerator, denominator):
        """The highest band reached, or ``None`` (none reached, or a zero denominator)."""
        if not denominator:
            return None
        reached = [b for b in self.bands[code] if band_reached(numerator, denominator, b.threshold)]
        return max(reached, key=lambda b: b.threshold, default=None)

    def status(self, code, numerator, denominator):
        """How far a rate has come, for colouring it: ``"none"`` (no band reached), ``"part"``
        (a band reached, not the one giving the maximum), ``"full"`` (the maximum reached), or
        ``None`` on a zero denominator (no rate)."""
        if not denominator:
            return None
        return _status(
            self.points(code, numerator, denominator),
            self.maximum[code],
            self.band_of(code, numerator, denominator),
        )

    def next_band(self, code, numerator, denominator):
        """The first band not yet reached, as ``(Band, gap)``, or ``None`` when every band is
        reached or the denominator is zero.
        """
        if not denominator:
            return None
        current = self.points(code, numerator, denominator)
        for band in self.bands[code]:
            if band.points > current and not band_reached(numerator, denominator, band.threshold):
                return band, gap_to(numerator, denominator, band.threshold)
        return None


def rubric_for(year):
    """The rubric scoring ``year``: its latest stored version, else the latest of the nearest
    earlier year, else the built-in illustration.
    """
    version = db.session.execute(
        select(RubricVersion)
        .where(RubricVersion.year <= year)
        .order_by(RubricVersion.year.desc(), RubricVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    if version is None:
        return Rubric.from_criteria(year, DEFAULT_RUBRIC, is_illustration=True)
    return rubric_from_version(version)


def rubric_from_version(version):
    """A ``Rubric`` from a stored ``RubricVersion``."""
    return Rubric.from_criteria(
        version.year, version.criteria, version.is_illustration, version.id, version.version
    )


@dataclass(frozen=True)
class Criterion:
    code: str
    numerator: int
    denominator: int
    percent: Decimal | None
    points: Decimal | None
    maximum: Decimal
    next_band: Band | None
    gap: int | None
    band: Band | None = None  # the highest band reached, if any

    @property
    def status(self):
        """``Rubric.status`` of this criterion under the rubric that scored it, from its points
        and band (a roll-up colours a few hundred cells)."""
        if not self.denominator:
            return None
        return _status(self.points, self.maximum, self.band)

    def as_json(self):
        return {
            "code": self.code,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": None if self.percent is None else f"{self.percent:.2f}",
            "points": None if self.points is None else f"{self.points:.2f}",
        }


def criteria(count_values, rubric):
    """The three PAR criteria scored under ``rubric``."""
    out = []
    for code, num_key, den_key in CRITERIA:
        num, den = count_values[num_key], count_values[den_key]
        nxt = rubric.next_band(code, num, den)
        out.append(
            Criterion(
                code=code,
                numerator=num,
                denominator=den,
                percent=percent(num, den),
                points=rubric.points(code, num, den),
                maximum=rubric.maximum[code],
                next_band=nxt[0] if nxt else None,
                gap=nxt[1] if nxt else None,
                band=rubric.band_of(code, num, den),
            )
        )
    return out


@dataclass(frozen=True)
class Summary:
    period: object
    counts: dict
    criteria: list = field(default_factory=list)
    rubric: Rubric | None = None
    unit: object = None  # the unit counted (``models.Unit``), or None: the province

    @property
    def total_points(self):
        """The points of the three criteria together (a criterion without a rate adds none)."""
        return sum((c.points for c in self.criteria if c.points is not None), Decimal(0)).quantize(
            CENT
        )

    @property
    def total_maximum(self):
        """The most points the three criteria can give together."""
        return sum((c.maximum for c in self.criteria), Decimal(0)).quantize(CENT)

    def status(self, code):
        """``Rubric.status`` of one criterion of the period (``"none"``, ``"part"``, ``"full"``
        or ``None``)."""
        return next(c for c in self.criteria if c.code == code).status

    def as_json(self):
        """The object ``report summary --json`` and ``/api/summary`` return."""
        data = dict(self.counts)
        data["from"] = self.period.start.isoformat()
        data["to"] = self.period.end.isoformat()
        data["criteria"] = [c.as_json() for c in self.criteria]
        return data


def summary(period, rubric=None, unit=None):
    """Counts and criteria for ``period``, scored under ``rubric`` (default: the period's, the
    province's one rubric a year); of one ``unit``, or of the province (``None``)."""
    rubric = rubric or rubric_for(period.year)
    values = counts(period, unit)
    return Summary(period, values, criteria(values, rubric), rubric, unit)


def unit_summaries(period, rubric=None, values=None):
    """``[(Unit, Summary)]``: every unit's summary for ``period`` (by code), each scored under
    the province's rubric of the period, from ``counting.unit_counts`` (``values``: its counts,
    when the caller has them)."""
    from models import Unit
    from utils.figures.counting import unit_counts

    rubric = rubric or rubric_for(period.year)
    values = values if values is not None else unit_counts(period)[0]
    units = db.session.scalars(select(Unit).order_by(Unit.code)).all()
    return [
        (unit, Summary(period, values[unit.id], criteria(values[unit.id], rubric), rubric, unit))
        for unit in units
    ]


def monthly_rates(trend):
    """The C2 and C3 rates of each month of ``monthly_trend``: ``[{"year", "month", "C2",
    "C3"}]``, each a percentage (``percent``) of that month's dossiers received, ``None`` in a
    month without any."""
    return [
        {
            "year": m["year"],
            "month": m["month"],
            "C2": percent(m["received_postal"], m["received"]),
            "C3": percent(m["returned_postal"], m["received"]),
        }
        for m in trend
    ]
