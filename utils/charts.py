"""Geometry for the charts drawn as SVG on the server (``templates/_charts.html``).

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


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bar_max: int
    line_max: int
    bars: list          # [(x, y, w, h, month_dict)]
    lines: dict         # {"returned_postal": [(x, y, value)], "received_postal": [...]}
    left_ticks: list    # [(y, value)]
    right_ticks: list
    labels: list        # [(x, "T1/24")]


def trend_chart(trend, width=720, height=280):
    """Coordinates for ``figures.monthly_trend(period)``: bars of dossiers received (left axis)
    and lines of dossiers received by post and results returned by post (right axis, its own
    scale, since postal counts are far smaller).
    """
    left, right, top, bottom = 64, 56, 16, 40
    plot_w = width - left - right
    plot_h = height - top - bottom
    n = max(len(trend), 1)
    slot = plot_w / n
    bar_w = max(slot * 0.6, 2)
    bar_max = nice_ceiling(max((m["received"] for m in trend), default=0))
    line_max = nice_ceiling(max((max(m["returned_postal"], m["received_postal"]) for m in trend),
                                default=0))

    def y_of(value, maximum):
        return round(top + plot_h - plot_h * value / maximum, 1)

    bars, lines, labels = [], {"received_postal": [], "returned_postal": []}, []
    for i, m in enumerate(trend):
        x_mid = left + slot * i + slot / 2
        y = y_of(m["received"], bar_max)
        bars.append((round(x_mid - bar_w / 2, 1), y, round(bar_w, 1), round(top + plot_h - y, 1), m))
        for key in lines:
            lines[key].append((round(x_mid, 1), y_of(m[key], line_max), m[key]))
        labels.append((round(x_mid, 1), f"{m['month']}/{m['year'] % 100:02d}"))
    ticks = 4
    left_ticks = [(y_of(bar_max * i / ticks, bar_max), bar_max * i // ticks) for i in range(ticks + 1)]
    right_ticks = [(y_of(line_max * i / ticks, line_max), line_max * i / ticks) for i in range(ticks + 1)]
    right_ticks = [(y, int(v) if v == int(v) else None) for y, v in right_ticks]
    return TrendChart(width, height, left, right, top, bottom, bar_max, line_max, bars, lines,
                      left_ticks, [(y, v) for y, v in right_ticks if v is not None], labels)
