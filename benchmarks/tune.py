"""A reproducible hyperparameter search, on the eval split only (never on test), for a prompt-stage variant or
for the base.

    python -m benchmarks.tune                          # PROMO-LS: rank_weight x cold_weight, seed 0
    python -m benchmarks.tune --grid '{"rank_weight": [4, 16], "gate_all": [10, 30]}' --seeds 0 1
    python -m benchmarks.tune --stage base --seeds 0 1 2   # the base: temperature, epochs, width, weight decay

``--grid`` is a JSON object of lists (the grid is their product, the last key varying fastest) or a JSON list of
points (each a dict of overrides, tried as given). ``--stage prompt`` (default): keys are PromoConfig fields; every
point is trained in-process with the pipeline's own training code over the seed's base (benchmarks/quality.py's
Workbench: the cached Transform output, the cached base models) and ranked on the eval split in the views `sampled`
and `cold_sampled`. Selection rule: the highest mean sampled cold HR@10 among the points whose mean sampled
all-target HR@10 is at least --min-all (when no point reaches it, the point with the highest all-target HR@10, the
nearest to it); that is how PROMO-LS's defaults (trainer/promo_model.py) and the baselines'
(trainer/baselines/common.py) were chosen, each with a six-point grid on seed 0 (the budget of the search below).
It ranks in the sampled views only: PROMO-LS's exposures and its whole-catalogue ranking term were judged with
benchmarks.frontier, which scores the whole catalogue too (docs/model.md).

``--stage base``: keys are TrainingConfig fields (trainer/task.py), each point a base trained as the BaseTrainer
trains it (kept under the output root, as benchmarks.quality keeps its bases), scored through its exported
embeddings in the views `full` (every item the user never touched) and `sampled` (benchmarks/frontier.py). The
base's job is retrieval, so the rule is the highest mean whole-catalogue all-target HR@10; the first point (the
defaults) stays unless another beats it by more than the larger of the two points' seed std (a smaller margin is
a difference a second draw of seeds can reverse).

Writes benchmarks/results/tune-<dataset>-eval-<variant or "base">.{md,json}. A hand-rolled grid rather than the
TFX Tuner / KerasTuner: each point needs the held-out ranking metrics of evaluation/protocol.py (not a Keras
metric), and every point must be reproducible from the command line.
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
from benchmarks.frontier import COLUMNS, case_views, exported_sides
from benchmarks.quality import Workbench, base_overrides, workbench_arguments
from evaluation.scoring import evaluate

DEFAULT_GRIDS = {
    "prompt": {"rank_weight": [4.0, 16.0], "cold_weight": [4.0, 8.0, 16.0]},
    # one change at a time from the defaults (the first point)
    "base": [{}, {"temperature": 0.1}, {"temperature": 0.5}, {"temperature": 0.7}, {"temperature": 1.0}, {"epochs": 5},
             {"epochs": 20}, {"temperature": 0.5, "epochs": 5}, {"embedding_dim": 64, "hidden_units": 128, "output_dim": 64},
             {"weight_decay": 0.1}, {"weight_decay": 0.4}],
}
VIEWS = ("sampled", "cold_sampled")


def grid_points(grid) -> List[Dict]:
    """A list of points as given; of a dict of lists, every combination of its values, in order (the last key
    varies fastest)."""
    if isinstance(grid, list):
        return [dict(point) for point in grid]
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


def summarize_base(runs: List[Dict]) -> Dict[str, float]:
    """Means over seeds (x100) of a base's views ``full`` and ``sampled``, and the seed std of the rule's metric."""
    def values(view, group, metric):
        return np.array([r[view][group][metric] for r in runs]) * 100

    summary = {f"{view} {group} {metric}": float(values(view, group, metric).mean())
               for view, group, metric in COLUMNS}
    summary["full all HR@10 std"] = float(values("full", "all", "HR@10").std(ddof=1)) if len(runs) > 1 else 0.0
    return summary


def select_base(summaries: List[Dict[str, float]]) -> int:
    """Index of the highest mean whole-catalogue all HR@10, unless its margin over the first point (the defaults) is
    at most the larger of their seed stds: then 0."""
    key = "full all HR@10"
    best = max(range(len(summaries)), key=lambda i: summaries[i][key])
    margin = summaries[best][key] - summaries[0][key]
    noise = max(summaries[best][f"{key} std"], summaries[0][f"{key} std"])
    return best if margin > noise else 0


def markdown_base(points, summaries, chosen, args, elapsed, read_back: int) -> str:
    lines = [
        f"Eval split; the base (TrainingConfig overrides of the defaults); seeds {args.seeds}; wall time {elapsed / 60:.1f} min "
        f"({len(points) * len(args.seeds) - read_back} of {len(points) * len(args.seeds)} bases trained by this run, the "
        "others read back from the output root's benchmark-models, where an earlier run of the same code left them). "
        "Means over seeds, x100 (± the seed std of full all HR@10). `full`: each held-out positive against every item its "
        "user never touched; `sampled`: against 100 of them.",
        "Selection: the highest full all HR@10; the defaults (first row) stay unless another point beats them by more "
        "than the larger of the two seed stds.",
        "",
        "| point | " + " | ".join(" ".join(c) for c in COLUMNS) + " | chosen |",
        "|---" * (len(COLUMNS) + 2) + "|",
    ]
    for i, (point, s) in enumerate(zip(points, summaries)):
        cells = [f"{s[' '.join(c)]:.1f}" for c in COLUMNS]
        cells[2] += f" ± {s['full all HR@10 std']:.1f}"
        lines.append(f"| `{json.dumps(point)}` | " + " | ".join(cells) + f" | {'**yes**' if i == chosen else ''} |")
    return "\n".join(lines)


def tune_prompt(bench: Workbench, args, points) -> List[List[Dict]]:
    """{view: metrics} of every point (PromoConfig overrides) and seed, trained on the seed's base."""
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
    return runs


def tune_base(bench: Workbench, args, points):
    """({"full": metrics, "sampled": metrics} of every point (TrainingConfig overrides) and seed: the base trained
    with them (or read from an earlier run's copy) and scored through its exported embeddings; how many were read)."""
    runs: List[List[Dict]] = [[] for _ in points]
    read_back = 0
    for seed in args.seeds:
        users, items, views = case_views(bench, seed)
        for n, point in enumerate(points):
            overrides = {**base_overrides(args), **point}
            read_back += bench.has_base(seed, **overrides)
            user_side, item_side = exported_sides(bench.base_dir(seed, **overrides), bench, users, items)
            runs[n].append(views(user_side @ item_side.T))
            full = runs[n][-1]["full"]
            print(f"[tune] {n + 1}/{len(points)} seed {seed} {json.dumps(point)}: full cold/warm/all HR@10 "
                  f"{100 * full['cold']['HR@10']:.1f}/{100 * full['warm']['HR@10']:.1f}/{100 * full['all']['HR@10']:.1f}", flush=True)
    return runs, read_back


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
    parser.add_argument("--stage", default="prompt", choices=sorted(DEFAULT_GRIDS), help="what the grid's keys configure")
    parser.add_argument("--variant", default="promo_ls", help="the prompt-stage variant (--stage prompt)")
    parser.add_argument("--grid", default=None, help="JSON: field -> list of values, or a list of points "
                                                     "(default: the stage's grid in DEFAULT_GRIDS)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--min-all", type=float, default=65.0, help="all-target HR@10 floor (x100) of the selection (--stage prompt)")
    args = parser.parse_args(argv)
    points = grid_points(json.loads(args.grid) if args.grid else DEFAULT_GRIDS[args.stage])
    started = time.monotonic()
    bench = Workbench.from_args(args, "eval")
    if args.stage == "base":
        runs, read_back = tune_base(bench, args, points)
        summaries = [summarize_base(r) for r in runs]
        chosen, name, what = select_base(summaries), f"tune-{args.dataset}-eval-base", "the base"
        body = markdown_base(points, summaries, chosen, args, time.monotonic() - started, read_back)
    else:
        runs = tune_prompt(bench, args, points)
        summaries = [summarize(r) for r in runs]
        chosen, name, what = select(summaries, args.min_all), f"tune-{args.dataset}-eval-{args.variant}", args.variant
        body = markdown(points, summaries, chosen, args, time.monotonic() - started)
    print(report.write(name, f"Hyperparameter search for {what} on {args.dataset}, eval split", body,
                       {"args": vars(args), "points": points, "runs": runs, "summaries": summaries, "chosen": chosen}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
