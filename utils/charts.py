"""Geometry for the charts drawn on the server (``templates/_charts.html``, ``templates/_bands.html``).

Only layout happens here (scales, ticks, coordinates); the values come from ``utils.figures``.
No chart library runs in the browser, and the PDF brief draws the same SVG.
"""

from dataclasses import dataclass
from decimal import Decimal


def nice_ceiling(value):
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ ``value`` (at least 1), for an axis."""
    value = max(int(value), 1)
    scale = 1
    while True:
        for step in (1, 2, Decimal("2.5"), 5):
            candidate = step * scale
            if candidate >= value and candidate == int(candidate):
                return int(candidate)
        scale *= 10


# --- A criterion's rate against its bands ------------------------------------------------------


@dataclass(frozen=True)
class BandMark:
    left: float  # percent of the bar's width
    threshold: Decimal
    points: Decimal


@dataclass(frozen=True)
class BandBar:
    rate: Decimal | None
    scale: int  # the percentage at the bar's right end
    fill: float | None  # percent of the bar's width, None without a rate
    marks: tuple


def band_bar(rate, bands):
    """Where a rate and its criterion's thresholds sit on a bar that runs from 0% to a little
    past the highest threshold (or the rate, if higher), rounded up to 1, 2, 2.5 or 5 × 10^k.

    :param rate: ``Criterion.percent`` (``None`` without a denominator).
    :param bands: the criterion's ``Band`` objects.
    """
    top = max((b.threshold for b in bands), default=Decimal(100))
    scale = min(nice_ceiling(max(top * Decimal("1.2"), rate or 0)), 100)

    def left(value):
        return round(float(min(Decimal(value), Decimal(scale)) * 100 / scale), 2)

    marks = tuple(BandMark(left(b.threshold), b.threshold, b.points) for b in bands)
    return BandBar(rate, scale, None if rate is None else left(rate), marks)


# --- The monthly rates against the thresholds --------------------------------------------------


@dataclass(frozen=True)
class RateChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    scale: int  # the percent axis' maximum
    ticks: list  # [(y, percent)]
    lines: dict  # {"C2": [(x, y, rate or None, month)], "C3": [...]}
    thresholds: list  # [(y, code, Band)]
    labels: list  # [(x, "1/24")]

    @property
    def plot_bottom(self):
        return self.height - self.bottom


def rate_chart(rates, bands, width=720, height=300):
    """Coordinates of the monthly rates of C2 and C3 on a percent axis, with the thresholds of
    their bands as horizontal lines (``templates/_charts.html``).

    :param rates: ``figures.monthly_rates(trend)``: per month ``{"year", "month", "C2", "C3"}``
        (a ``Decimal`` percentage, ``None`` in a month without dossiers received).
    :param bands: ``{"C2": (Band, ...), "C3": (...)}`` (the rubric's).
    """
    left, right, top, bottom = 64, 24, 16, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max(
        [b.threshold for code in ("C2", "C3") for b in bands[code]]
        + [m[code] for m in rates for code in ("C2", "C3") if m[code] is not None],
        default=Decimal(10),
    )
    scale = min(nice_ceiling(highest * Decimal("1.15")), 100)

    def y_of(value):
        return round(top + plot_h - plot_h * float(value) / scale, 1)

    n = max(len(rates), 1)
    slot = plot_w / n
    lines, labels = {"C2": [], "C3": []}, []
    for i, m in enumerate(rates):
        x = round(left + slot * i + slot / 2, 1)
        for code in lines:
            value = m[code]
            lines[code].append((x, None if value is None else y_of(value), value, m))
        labels.append((x, f"{m['month']}/{m['year'] % 100:02d}"))
    thresholds = [(y_of(b.threshold), code, b) for code in ("C2", "C3") for b in bands[code]]
    step = scale / 4
    ticks = [(y_of(step * i), step * i) for i in range(5)]
    return RateChart(
        width, height, left, right, top, bottom, scale, ticks, lines, thresholds, labels
    )
