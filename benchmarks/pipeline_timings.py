"""Wall time of each pipeline component on one dataset, every component run (no cached results).

    python -m benchmarks.pipeline_timings                   # ML-100K under runs/
    python -m benchmarks.pipeline_timings --dataset synthetic-1m --output-root runs/scale

Prepares the dataset (timed apart; reused when already prepared), then runs ``local_runner.py --no-cache`` and
writes the per-component wall times it records, the number of prepared examples (so components' examples/s),
the peak resident memory of this process and the size of the PromoTrainer's SavedModel (what the Pusher pushes) to
benchmarks/results/pipeline-<dataset>.{md,json}.
"""
from __future__ import annotations

import argparse
import glob
import json
import multiprocessing
import os
import resource
import sys
import time

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import DataError, reported
import local_runner
from benchmarks import report
from data.examples import EVAL_RANKING, QUERY_ID
from data.prepare import PrepareSettings, prepare
from pipeline.artifacts import latest_artifact
from pipeline.configs import pipeline_name

ORDER = ("ImportExampleGen", "ImportSchemaGen", "StatisticsGen", "ExampleValidator", "Transform", "BaseTrainer",
         "PromoTrainer", "Evaluator", "CatalogueEvaluator", "Pusher")


def prepared_examples(root: str, dataset: str) -> int:
    """The tf.Examples of every split of ``dataset``'s prepared examples under ``root`` (what ImportExampleGen
    ingests), counted from the readable copies: a row of examples.csv each, except eval_ranking's, whose CSV has a row
    per candidate and its TFRecords one listwise example per query (data/tfrecords.py)."""
    import pandas as pd

    files = glob.glob(os.path.join(root, "data", dataset, "examples", "*", "examples.csv"))
    if not files:
        raise DataError(root, f"no prepared {dataset} examples here: run `python local_runner.py --dataset {dataset}` first")
    total = 0
    for path in files:
        if os.path.basename(os.path.dirname(path)) == EVAL_RANKING:
            total += pd.read_csv(path, usecols=[QUERY_ID])[QUERY_ID].nunique()
            continue
        with open(path) as handle:
            total += sum(1 for _ in handle) - 1
    return total


def saved_model_bytes(path: str) -> dict:
    """Bytes of the SavedModel folder ``path``: ``total``; ``variables`` (variables/), ``graph`` (saved_model.pb),
    ``other`` (assets, Keras metadata, fingerprint)."""
    sizes = {"total": 0, "variables": 0, "graph": 0, "other": 0}
    for folder, _, files in os.walk(path):
        for name in files:
            size = os.path.getsize(os.path.join(folder, name))
            relative = os.path.relpath(os.path.join(folder, name), path)
            part = ("variables" if relative.split(os.sep)[0] == "variables"
                    else "graph" if relative == "saved_model.pb" else "other")
            sizes[part] += size
            sizes["total"] += size
    return sizes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--beam-workers", type=int, default=1, help="as local_runner.py's flag (0 = one per core)")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.output_root)
    started = time.monotonic()
    print(f"[timings] preparing {args.dataset} (reused when already prepared) ...", flush=True)
    prepare(PrepareSettings(dataset=args.dataset, data_dir=args.data_dir), os.path.join(root, "data", args.dataset))
    prepared_s = time.monotonic() - started
    examples = prepared_examples(root, args.dataset)
    command = ["--dataset", args.dataset, "--output-root", root, "--no-cache", "--beam-workers", str(args.beam_workers)]
    status = local_runner.main(command + (["--data-dir", args.data_dir] if args.data_dir else []))
    if not local_runner.ran_to_the_end(status):
        return status  # 2 / 75: local_runner.py printed the error line; 130 after Ctrl-C; 1 a failure
    wall = time.monotonic() - started
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # the runner: Transform's analyzers, the Trainers
    with open(os.path.join(root, f"timings-{args.dataset}.json")) as handle:
        timings = json.load(handle)
    model = saved_model_bytes(os.path.join(latest_artifact(root, pipeline_name(args.dataset), "PromoTrainer", "model"),
                                           "Format-Serving"))
    mb = {part: size / 1e6 for part, size in model.items()}
    components = timings["components_s"]
    names = [n for n in ORDER if n in components] + sorted(set(components) - set(ORDER))
    rows = []
    for name in names:
        seconds = components[name]
        rate = f"{examples / seconds:,.0f}" if seconds >= 1.0 else "-"  # sub-second components: no meaningful rate
        rows.append(f"| {name} | {seconds:.1f} | {100 * seconds / timings['total_s']:.0f}% | {rate} |")
    body = "\n".join([
        f"Dataset {args.dataset}: {examples:,} prepared examples (all splits). LocalDagRunner, Beam DirectRunner "
        f"multi-processing with {args.beam_workers or multiprocessing.cpu_count()} worker(s); every component run.",
        "",
        "| component | wall (s) | share | examples/s |",
        "|---|---|---|---|",
        *rows,
        f"| **pipeline total** | **{timings['total_s']:.1f}** | | |",
        "",
        f"Data preparation before the pipeline: {prepared_s:.1f} s (~0 when reused). Whole command: {wall:.1f} s. "
        f"Peak resident memory of the runner process: {peak_gib:.1f} GiB.",
        "",
        f"The PromoTrainer's SavedModel (what the Pusher pushes): {mb['total']:.1f} MB: variables {mb['variables']:.1f} MB, "
        f"graph (saved_model.pb) {mb['graph']:.1f} MB, other files {mb['other']:.2f} MB.",
    ])
    print(report.write(f"pipeline-{args.dataset}", "Pipeline component wall times", body,
                       {"args": vars(args), "timings": timings, "wall_s": wall, "prepare_s": prepared_s,
                        "examples": examples, "peak_rss_gib": peak_gib,
                        "saved_model_bytes": model}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
