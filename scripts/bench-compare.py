#!/usr/bin/env python3
"""Compare a plat-bench run to a baseline by ratio, and name what fell.

    plat-bench all --out run.json
    scripts/bench-compare.py bench/baseline.json run.json [--tolerance 0.25]

Both files are `plat-bench --out` (or `--json`) documents. Figures are matched
by scenario and name. Each figure's ratio is to a limit measured in the same
run (/healthz round trips, a plain client, the unbatched rate), so ratios,
not raw rates, compare across runs on a noisy machine. A ratio that is worse
than the baseline's by more than the tolerance (default 25 %: the spread of
two runs here) is a regression: lower is worse, except for figures whose goal
is an upper bound (`<=`: latencies, memory, request counts), where higher is.

Exit status: 0 when nothing fell, 1 when something did, 2 on bad input.
Figures in only one of the files are listed, never failed on.
"""

import argparse
import json
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            figures = json.load(f)["figures"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f"bench-compare: cannot read {path}: {e}")
    out = {}
    for fig in figures:
        try:
            out[(fig["scenario"], fig["name"].strip())] = fig
        except (KeyError, TypeError, AttributeError):
            sys.exit(f"bench-compare: {path}: a figure without scenario and name: {fig!r}")
    return out


def lower_is_better(fig):
    return "<=" in fig.get("goal", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("run")
    parser.add_argument("--tolerance", type=float, default=0.25, help="allowed relative fall of a ratio (0.25)")
    args = parser.parse_args()
    if not 0 <= args.tolerance < 1:
        print("bench-compare: --tolerance must be in [0, 1)", file=sys.stderr)
        return 2
    base, run = load(args.baseline), load(args.run)
    fell, rows = [], []
    for key in sorted(base.keys() & run.keys()):
        b, r = base[key], run[key]
        if b["ratio"] <= 0:
            continue
        change = r["ratio"] / b["ratio"]
        worse = change > 1 + args.tolerance if lower_is_better(b) else change < 1 - args.tolerance
        mark = "FELL" if worse else ""
        rows.append(f"{key[0]:<12} {key[1][:58]:<58} {b['ratio']:>8.3f} {r['ratio']:>8.3f} {change:>7.2f}x {mark}")
        if worse:
            fell.append(key)
    print(f"{'scenario':<12} {'figure':<58} {'baseline':>8} {'run':>8} {'change':>8}")
    print("\n".join(rows))
    for key in sorted(base.keys() - run.keys()):
        print(f"only in the baseline: {key[0]} {key[1]}")
    for key in sorted(run.keys() - base.keys()):
        print(f"only in the run: {key[0]} {key[1]}")
    if fell:
        print(f"\n{len(fell)} figure(s) fell by more than {args.tolerance:.0%} of their baseline ratio:")
        for key in fell:
            print(f"  {key[0]}: {key[1]}")
        return 1
    print(f"\nnothing fell by more than {args.tolerance:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
