"""`keras-recipes runs`: list the tracked runs, or compare two."""

import datetime
import os

from keras_recipes.cli.common import fmt
from keras_recipes.cli.common import format_table
from keras_recipes.cli.parser import UsageError


def _compare(a, b):
    rows = [["status", a["status"], b["status"], ""]]
    for section in ("params", "metrics"):
        for key in sorted(set(a[section]) | set(b[section])):
            va = fmt(a[section].get(key))
            vb = fmt(b[section].get(key))
            rows.append([f"{section[:-1]}: {key}", va, vb,
                         "*" if va != vb else ""])
    return format_table(["", a["id"], b["id"], "differs"], rows)


def run(args, argv):
    from keras_recipes.tracking.runs import collect_runs

    if not os.path.isdir(args.output):
        raise UsageError(f"no runs folder {args.output!r}")
    runs = collect_runs(args.output)
    if args.compare:
        by_id = {r["id"]: r for r in runs}
        for rid in args.compare:
            if rid not in by_id:
                raise UsageError(f"no run {rid!r} in {args.output}")
        print(_compare(*(by_id[rid] for rid in args.compare)))
        return 0
    if not runs:
        print(f"no runs in {args.output}")
        return 0
    rows = []
    for r in runs:
        started = (
            datetime.datetime.fromtimestamp(r["started"]).strftime(
                "%Y-%m-%d %H:%M") if r.get("started") else "-"
        )
        rows.append([
            r["id"], r["status"], r["dataset"], r["recipe"],
            fmt(r["best_val_accuracy"]), fmt(r["test_accuracy"]),
            started,
            f"{r['duration']:.0f} s" if r.get("duration") is not None
            else "-",
        ])
    print(format_table(
        ["id", "status", "dataset", "recipe", "best val acc", "test acc",
         "started", "time"], rows,
    ))
    return 0
