"""A reproducible hyperparameter search for a prompt-stage variant, on the eval split only (never on test).

    python -m benchmarks.tune                          # PROMO-LS: rank_weight x cold_weight, seed 0
    python -m benchmarks.tune --grid '{"rank_weight": [4, 16], "gate_all": [10, 30]}' --seeds 0 1

Every point of the grid (the product of the lists; keys are PromoConfig fields) is trained in-process with the
pipeline's own training code over the seed's base (benchmarks/quality.py's Workbench: the cached Transform
output, the cached base models) and ranked on the eval split in the views `sampled` and `cold_sampled`.
Selection rule: the highest mean sampled cold HR@10 among the points whose mean sampled all-target HR@10 is
at least --min-all (when no point reaches it, the point with the highest all-target HR@10, the nearest to it);
that is how PROMO-LS's defaults (trainer/promo_model.py) and the baselines' (trainer/baselines/common.py) were
chosen, each with a six-point grid on seed 0 (the budget of the search below). It ranks in the sampled views only:
PROMO-LS's exposures and its whole-catalogue ranking term were judged with benchmarks.frontier, which scores the
whole catalogue too (docs/model.md). Writes
benchmarks/results/tune-<dataset>-eval-<variant>.{md,json}. A hand-rolled grid rather than the TFX Tuner /
KerasTuner: the search is over a handful of loss weights, each point needs the held-out ranking metrics of
evaluation/protocol.py (not a Keras metric), and every point must be reproducible from the command line.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from typing import Dict, List

import numpy as np

from data.errors import reported
from benchmarks import report
from benchmarks.quality import Workbench, base_overrides, workbench_arguments
from evaluation.scoring import evaluate

DEFAULT_GRID = {"rank_weight": [4.0, 16.0], "cold_weight": [4.0, 8.0, 16.0]}
VIEWS = ("sampled", "cold_sampled")


def grid_points(grid: Dict[str, list]) -> List[Dict]:
    """Every combination of ``grid``'s values, in order (the last key varies fastest)."""
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def summarize(runs: List[Dict]) -> Dict[str, float]:
    """Means over seeds (x100) of what the selection and the table use."""
    def mean(view, group, metric):
        return float(np.mean([r[view][group][metric] for r in runs]) * 100)

    return {
        "cold_hr10": mean("sampled", "cold", "HR@10"), "cold_ndcg10": mean("sampled", "cold", "NDCG@10"),
        "all_hr10": mean("sampled", "all", "HR@10"), "cs_cold_hr10": mean("cold_sampled", "cold", "HR@10"),
        "cold_hr10_std": float(np.std([r["sampled"]["cold"]["HR@10"] for r in runs], ddof=1) * 100) if len(runs) > 1 else 0.0,
    }


def select(summaries: List[Dict[str, float]], min_all: float) -> int:
    """Index of the highest cold HR@10 among points with all HR@10 >= ``min_all``; when none reaches the floor,
    of the highest all HR@10."""
    allowed = [i for i, s in enumerate(summaries) if s["all_hr10"] >= min_all]
    if not allowed:
        return max(range(len(summaries)), key=lambda i: summaries[i]["all_hr10"])
    return max(allowed, key=lambda i: summaries[i]["cold_hr10"])


def markdown(points, summaries, chosen, args, elapsed) -> str:
    lines = [
        f"Eval split; variant `{args.variant}`; seeds {args.seeds}; wall time {elapsed / 60:.1f} min. Means over seeds, x100.",
        f"Selection: highest sampled cold HR@10 with sampled all HR@10 >= {args.min_all} (none there: highest all HR@10).",
        "",
        "| point | sampled cold HR@10 | cold NDCG@10 | all HR@10 | cold_sampled cold HR@10 | chosen |",
        "|---|---|---|---|---|---|",
    ]
    for i, (point, s) in enumerate(zip(points, summaries)):
        lines.append(f"| `{json.dumps(point)}` | {s['cold_hr10']:.1f} ± {s['cold_hr10_std']:.1f} | {s['cold_ndcg10']:.1f} | "
                     f"{s['all_hr10']:.1f} | {s['cs_cold_hr10']:.1f} | {'**yes**' if i == chosen else ''} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--variant", default="promo_ls")
    parser.add_argument("--grid", default=json.dumps(DEFAULT_GRID), help="JSON: PromoConfig field -> list of values")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--min-all", type=float, default=65.0, help="all-target HR@10 floor (x100) of the selection")
    args = parser.parse_args(argv)
    points = grid_points(json.loads(args.grid))
    started = time.monotonic()
    bench = Workbench.from_args(args, "eval")
    runs: List[List[Dict]] = [[] for _ in points]
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            base_dir = bench.base_dir(seed, **base_overrides(args))
            for n, point in enumerate(points):
                ranker = bench.train({**point, "seed": seed, "variant": args.variant}, base_dir, os.path.join(scratch, f"{n}-{seed}"))
                runs[n].append({view: evaluate(ranker, bench.cases(view, seed)) for view in VIEWS})
                result = runs[n][-1]["sampled"]
                print(f"[tune] {n + 1}/{len(points)} seed {seed} {json.dumps(point)}: sampled cold HR@10 "
                      f"{100 * result['cold']['HR@10']:.1f} | all HR@10 {100 * result['all']['HR@10']:.1f}", flush=True)
    summaries = [summarize(r) for r in runs]
    chosen = select(summaries, args.min_all)
    name = f"tune-{args.dataset}-eval-{args.variant}"
    body = markdown(points, summaries, chosen, args, time.monotonic() - started)
    print(report.write(name, f"Hyperparameter search for {args.variant} on {args.dataset}, eval split", body,
                       {"args": vars(args), "points": points, "runs": runs, "summaries": summaries, "chosen": chosen}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
