"""Wall time of each pipeline component on one dataset, every component run (no cached results).

    python -m benchmarks.pipeline_timings                   # ML-100K under runs/
    python -m benchmarks.pipeline_timings --dataset synthetic --output-root /tmp/promo

Runs ``local_runner.py --no-cache`` (data preparation is reused when already prepared, and timed apart) and
writes the per-component wall times it records to benchmarks/results/pipeline-<dataset>.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import promo_env  # noqa: F401  (must precede TensorFlow)
import local_runner
from benchmarks import report

ORDER = ("ImportExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator", "Transform", "BaseTrainer",
         "PromoTrainer", "Evaluator", "Pusher")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output-root", default="runs")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.output_root)
    started = time.monotonic()
    command = ["--dataset", args.dataset, "--output-root", root, "--no-cache"] + (["--data-dir", args.data_dir] if args.data_dir else [])
    if local_runner.main(command) != 0:
        return 1
    wall = time.monotonic() - started
    with open(os.path.join(root, f"timings-{args.dataset}.json")) as handle:
        timings = json.load(handle)
    components = timings["components_s"]
    names = [n for n in ORDER if n in components] + sorted(set(components) - set(ORDER))
    rows = [f"| {name} | {components[name]:.1f} | {100 * components[name] / timings['total_s']:.0f}% |" for name in names]
    body = "\n".join([
        f"Dataset {args.dataset}; LocalDagRunner, Beam DirectRunner multi-processing (one worker per core); every component run.",
        "",
        "| component | wall (s) | share |",
        "|---|---|---|",
        *rows,
        f"| **pipeline total** | **{timings['total_s']:.1f}** | |",
        "",
        f"Whole command including data preparation (reused when already prepared) and start-up: {wall:.1f} s.",
    ])
    print(report.write(f"pipeline-{args.dataset}", "Pipeline component wall times", body, {"args": vars(args), "timings": timings, "wall_s": wall}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
