"""Time the figures with and without the ten-day tally tier, on a database ``bench/run.py`` built.

    .venv/bin/python bench/run.py                 # builds /tmp/bcci-bench.sqlite3 (1.000.000 dossiers)
    .venv/bin/python bench/tiers.py [FILE] [ROUNDS]

"Without" cuts each period into whole months and single days only (the ten-day parts read as
days), as the figures did before the ten-day tally; both ways must give the same figures, which
is checked first. The two ways alternate round by round, so a busy machine slows both alike;
the medians of wall and CPU time are printed per figure and period. Nothing here is a test.
"""

import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.run import Clock  # noqa: E402


def months_and_days(period):
    """``utils.figures.counting.spans`` without ten-day parts: whole months, then days."""
    from utils.dates import month_end

    start, end = period.start, period.end
    first = start if start.day == 1 else month_end(start.year, start.month) + timedelta(days=1)
    last = end if end == month_end(end.year, end.month) else end.replace(day=1) - timedelta(days=1)
    if first > last:
        if (start.year, start.month) == (end.year, end.month):
            return None, [], [(start, end)]
        return None, [], [(start, month_end(start.year, start.month)), (end.replace(day=1), end)]
    days = ([(start, first - timedelta(days=1))] if start < first else []) + (
        [(last + timedelta(days=1), end)] if last < end else []
    )
    return (first, last.replace(day=1)), [], days


def main(path="/tmp/bcci-bench.sqlite3", rounds=15):
    from utils import figures
    from utils.dates import Period
    from utils.figures import counting

    app = common.make_app(common.sqlite_url(path))
    end = common.vn_end_date()
    periods = {
        "9 months": Period(*common.DEMO_PERIOD),
        "12 months": Period(end - timedelta(days=364), end),
        "5 years": common.five_years(end),
        "year to the 26th": Period(date(end.year, 1, 1), date(end.year, end.month, 26))
        if end.day >= 26
        else Period(date(end.year - 1, 1, 1), date(end.year - 1, 11, 26)),
        "month to the 20th": Period(date(2024, 11, 1), date(2024, 11, 20)),
    }
    calls = {
        "summary": figures.summary,
        "breakdown department": lambda p: figures.breakdown(p, "department"),
        "breakdown field": lambda p: figures.breakdown(p, "field"),
        "breakdown procedure": lambda p: figures.breakdown(p, "procedure"),
        "monthly_trend": figures.monthly_trend,
        "outreach 10": lambda p: figures.outreach(p, limit=10),
        "target_pools": figures.target_pools,
        "procedure_activity 50": lambda p: figures.procedure_activity(p, range(1, 51)),
    }
    ways = {"with": counting.spans, "without": months_and_days}
    times = {(w, p, c): ([], []) for w in ways for p in periods for c in calls}
    try:
        with app.app_context():
            from extensions import db

            for name, period in periods.items():
                answers = []
                for spans in ways.values():
                    counting.spans = spans
                    answers.append(
                        (
                            figures.counts(period),
                            figures.breakdown(period, "procedure"),
                            figures.monthly_trend(period),
                        )
                    )
                assert answers[0] == answers[1], name
            for r in range(rounds + 1):
                for way in list(ways) if r % 2 == 0 else list(reversed(ways)):
                    counting.spans = ways[way]
                    for pname, period in periods.items():
                        for cname, call in calls.items():
                            with Clock() as clock:
                                call(period)
                            if r:  # the first round warms the caches
                                times[way, pname, cname][0].append(clock.wall)
                                times[way, pname, cname][1].append(clock.cpu)
                    db.session.remove()
    finally:
        counting.spans = ways["with"]

    def ms(values):
        return statistics.median(values) * 1000

    print(
        f"{'period':<20} {'figure':<22} {'with: wall/cpu ms':>18} {'without':>16} {'cpu ratio':>9}"
    )
    for pname, period in periods.items():
        total = {w: [0.0, 0.0] for w in ways}
        for cname in calls:
            cells = []
            for way in ways:
                wall, cpu = (ms(v) for v in times[way, pname, cname])
                total[way][0] += wall
                total[way][1] += cpu
                cells.append(f"{wall:7.1f}/{cpu:6.1f}")
            ratio = ms(times["without", pname, cname][1]) / ms(times["with", pname, cname][1])
            print(f"{pname:<20} {cname:<22} {cells[0]:>18} {cells[1]:>16} {ratio:>9.2f}")
        print(
            f"{pname:<20} {'all eight':<22} {total['with'][0]:7.1f}/{total['with'][1]:6.1f}"
            f"   {total['without'][0]:7.1f}/{total['without'][1]:6.1f}"
            f" {total['without'][1] / total['with'][1]:>9.2f}   ({period.start} – {period.end})"
        )


if __name__ == "__main__":
    main(*(sys.argv[1:2] or []), *([int(sys.argv[2])] if len(sys.argv) > 2 else []))
