"""How much could the user tower gain from the whole training history? Measured in closed form with EASE.

    python -m benchmarks.history_ceiling --reuse-run --output-root runs --split eval

The base's user tower reads the last HISTORY_LENGTH (20) training likes; issue 21 asks whether it should read them
all. Before changing data preparation, Transform and serving, the ceiling with a model that can use any history:
EASE (evaluation/baselines.py: ease_weights' item-item matrix B, from every training like, lambda as
benchmarks.frontier) scores user u as x_u B, where x_u is

- the indicator of u's last L training likes (L = 10, 20, 50, 100, all), or
- the last 20, each 1/sqrt(20), plus w times all of them, each 1/sqrt(|all|) (a recent window beside a normalised
  whole-history bag, the shape the issue proposes for the tower), w = 0.25, 0.5, 1.

Each held-out positive is ranked against the whole catalogue (``full``) and 100 sampled items (``sampled``; the
view's seed-0 draw). Writes benchmarks/results/history-ceiling-<dataset>-<split>.md/.json.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

import promo_env  # noqa: F401  (must precede TensorFlow)
from benchmarks import report
from benchmarks.frontier import case_metrics
from benchmarks.quality import Workbench, workbench_arguments
from data.errors import reported
from evaluation.baselines import EASE_LAMBDA, ease_weights

WINDOWS = (10, 20, 50, 100, None)  # None: every training like
BAG_WEIGHTS = (0.25, 0.5, 1.0)
RECENT = 20


def history_rows(histories, users, columns, n_items: int, last=None, normalised: bool = False) -> np.ndarray:
    """[len(users), n_items]: each user's last ``last`` likes (all when None) as an indicator, divided by the
    square root of their number when ``normalised``."""
    rows = np.zeros((len(users), n_items))
    for row, user in enumerate(users):
        items = histories.get(user, [])
        items = items if last is None else items[-last:]
        if items:
            rows[row, [columns[item] for item in items]] = 1.0 / np.sqrt(len(items)) if normalised else 1.0
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--split", default="eval", choices=("eval", "test"))
    args = parser.parse_args(argv)
    started = time.time()
    bench = Workbench.from_args(args, args.split, run_pipeline=not args.reuse_run)
    likes = bench.train_positives.sort_values(["user_id", "timestamp"], kind="stable")
    items = [str(i) for i in bench.items_index]
    columns = {item: n for n, item in enumerate(items)}
    everyone = pd.Index(sorted(likes["user_id"].unique()))
    matrix = np.zeros((len(everyone), len(items)))
    matrix[everyone.get_indexer(likes["user_id"]), [columns[i] for i in likes["item_id"]]] = 1.0
    weights = ease_weights(matrix, EASE_LAMBDA)
    full, sampled = bench.cases("full", 0), bench.cases("sampled", 0)
    users = sorted({case.user_id for case in full})
    rows = {user: n for n, user in enumerate(users)}
    histories = {user: group["item_id"].tolist() for user, group in likes.groupby("user_id")}
    inputs = {f"last {n}" if n else "all": history_rows(histories, users, columns, len(items), n) for n in WINDOWS}
    recent = history_rows(histories, users, columns, len(items), RECENT, normalised=True)
    bag = history_rows(histories, users, columns, len(items), None, normalised=True)
    for weight in BAG_WEIGHTS:
        inputs[f"last {RECENT} + {weight:g} x all (normalised)"] = recent + weight * bag
    results = {}
    for name, x in inputs.items():
        scores = x @ weights
        results[name] = {"full": case_metrics(scores, full, rows, columns), "sampled": case_metrics(scores, sampled, rows, columns)}
    lines = ["| user history | full cold HR@10 | full warm HR@10 | full all HR@10 | sampled all HR@10 |", "|---|---|---|---|---|"]
    for name, result in results.items():
        cells = [result["full"]["cold"]["HR@10"], result["full"]["warm"]["HR@10"], result["full"]["all"]["HR@10"], result["sampled"]["all"]["HR@10"]]
        lines.append(f"| {name} | " + " | ".join(f"{100 * v:.1f}" for v in cells) + " |")
    body = (f"EASE (lambda {EASE_LAMBDA:g}) with B from every training like; x100; the cases of seed 0. "
            f"Wall time {time.time() - started:.0f} s.\n\n" + "\n".join(lines))
    print(report.write(f"history-ceiling-{args.dataset}-{args.split}", f"Whole history vs recent window (EASE ceiling), {args.dataset}, {args.split} split",
                       body, {"results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
