"""Every figure of docs/figures.md, computed in one place, by job:

- ``counting``: the counts, in SQL over the dossier tallies and the procedures;
- ``scoring``: percentages, the rubric's points and gaps, the criteria and a period's summary,
  in ``Decimal`` arithmetic (rounded half up);
- ``targeting``: the gap to each criterion's next band, split across departments;
- ``tables``: the tables by field and by department, with their total rows.

The dashboard, the brief, the JSON API and the command line all call this package (``from utils
import figures``; every name below is one of its attributes): no figure is computed anywhere else.
"""
from utils.figures.counting import (BREAKDOWN_COUNTS, COUNT_KEYS, LIST_COUNTS, breakdown, counts,
                                    group_names, has_dossiers_expr, has_postal_expr,
                                    monthly_trend, outreach, outreach_by_department,
                                    outreach_top, outreach_total, postal_either_condition,
                                    procedure_activity, procedures_eligible, spans,
                                    tallied_dossier_count)
from utils.figures.scoring import (CENT, CRITERIA, DEFAULT_RUBRIC, HUNDRED, Band, Criterion, Rubric,
                                   Summary, band_reached, criteria, gap_to, monthly_rates, percent,
                                   percent_str, rubric_for, rubric_from_version, summary)
from utils.figures.tables import (BREAKDOWN_SORTS, CRITERION_COLUMNS, RATE_COLUMNS, BreakdownRow,
                                  breakdown_table, total_row, worst_first_column)
from utils.figures.targeting import (CriterionTarget, DepartmentTarget, split_largest_remainder,
                                     split_targets, target_pools, targets)

__all__ = [
    "BREAKDOWN_COUNTS", "BREAKDOWN_SORTS", "CENT", "COUNT_KEYS", "CRITERIA", "CRITERION_COLUMNS",
    "DEFAULT_RUBRIC", "HUNDRED", "LIST_COUNTS", "RATE_COLUMNS", "Band", "BreakdownRow", "Criterion",
    "CriterionTarget", "DepartmentTarget", "Rubric", "Summary", "band_reached", "breakdown",
    "breakdown_table", "counts", "criteria", "gap_to", "group_names", "has_dossiers_expr",
    "has_postal_expr", "monthly_rates", "monthly_trend", "outreach", "outreach_by_department",
    "outreach_top", "outreach_total", "percent", "percent_str", "postal_either_condition",
    "procedure_activity", "procedures_eligible", "rubric_for", "rubric_from_version",
    "spans", "split_largest_remainder", "split_targets", "summary", "tallied_dossier_count",
    "target_pools", "targets", "total_row", "worst_first_column",
]
