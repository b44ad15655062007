"""Before/after table of two walks (``bench/run.py --walk-only`` results): p50 per page shape and
role, wall time and the measuring process's CPU time.

    .venv/bin/python bench/compare.py BEFORE.json AFTER.json [--all]
"""

import json
import re
import sys


def load(path):
    pages = json.load(open(path))["measure"]["walk"]["pages"]
    out = {}
    for p in pages:
        label = re.sub(r"\b(after|before|last)\b&?", "", p["shape"]).replace("?&", "?")
        label = re.sub(r" \?(?= |$)", "", label).replace("&&", "&").replace("& ", " ")
        out[(label, p["role"])] = p
    return out


def main(argv):
    before, after = load(argv[1]), load(argv[2])
    show_all = "--all" in argv
    rows = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        worst = max(x["p50_ms"] for x in (b, a) if x)
        if not show_all and worst < 100 and not (a and a["over"]):
            continue
        rows.append((key, b, a))
    print(
        "| page | role | before p50 (cpu) | after p50 (cpu) | target | statements before → after |"
    )
    print("|---|---|---|---|---|---|")
    for (label, role), b, a in sorted(rows, key=lambda r: -(r[1] or r[2])["p50_ms"]):

        def cell(x):
            return f"{x['p50_ms']:.0f} ms ({x['cpu_p50_ms']:.0f})" if x else "—"

        target = (a or b)["target_ms"]
        st = f"{'/'.join(map(str, b['statements'])) if b else '—'} → {'/'.join(map(str, a['statements'])) if a else '—'}"
        print(f"| `{label}` | {role} | {cell(b)} | {cell(a)} | ≤ {target} | {st} |")
    for name, data in (("before", before), ("after", after)):
        over = sum(1 for p in data.values() if p["over"])
        cpu_over = sum(1 for p in data.values() if p["cpu_p50_ms"] > p["target_ms"])
        print(
            f"{name}: {len(data)} shapes, {over} over target by wall time, {cpu_over} by CPU time"
        )


if __name__ == "__main__":
    main(sys.argv)
