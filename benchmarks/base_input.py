"""The BaseTrainer's training input: one epoch read from the transformed files against one from memory.

    python -m benchmarks.base_input                                   # ML-100K, after `python local_runner.py`
    python -m benchmarks.base_input --dataset synthetic-1m --output-root runs/scale

Times, on a pipeline run's transformed training examples, (1) the one pass that keeps the training positives in
memory (trainer/retrieval.py training_tables), (2) iterating one epoch of the shuffled file reader the softmax base
used to train from (every row read and parsed: trainer/inputs.py transformed_dataset with the base's inputs), and
(3) iterating one epoch of what it trains from now (the same batches' positives, from memory:
trainer/positive_rows.py). Input only, no model step. Medians of ``--repeats`` epochs (each a reshuffle). Writes
benchmarks/results/base-input-<dataset>.{md,json}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import promo_env  # noqa: F401  (must precede TensorFlow)
from benchmarks import report
from data.errors import reported
from pipeline import configs
from pipeline.artifacts import latest_artifact, transformed_files


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--repeats", type=int, default=3, help="epochs iterated per input; medians reported")
    return parser.parse_args(argv)


def epoch_seconds(dataset, repeats: int) -> list:
    """Wall seconds of each of ``repeats`` full iterations of ``dataset``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in dataset:
            pass
        times.append(time.perf_counter() - started)
    return times


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow_transform as tft

    from trainer.base_model import MODEL_INPUTS
    from trainer.inputs import transformed_dataset
    from trainer.positive_rows import positive_batches
    from trainer.retrieval import training_tables
    from trainer.task import TrainingConfig

    root = os.path.abspath(args.output_root)
    name = configs.pipeline_name(args.dataset)
    graph = tft.TFTransformOutput(latest_artifact(root, name, "Transform", "transform_graph"))
    train = transformed_files(root, name, "train")
    config = TrainingConfig()
    print("[base_input] the one pass over the training files", flush=True)
    started = time.perf_counter()
    table, rows = training_tables(graph, train)
    one_pass = time.perf_counter() - started
    inputs = {
        "files (every row parsed)": transformed_dataset(train, graph, config.batch_size, MODEL_INPUTS, True, config.seed),
        "memory (the positives)": positive_batches(rows, train, table, config.batch_size, config.seed),
    }
    times = {}
    for label, dataset in inputs.items():
        print(f"[base_input] {args.repeats} epochs from {label}", flush=True)
        times[label] = epoch_seconds(dataset, args.repeats)
    medians = {label: float(np.median(t)) for label, t in times.items()}
    file_label, memory_label = inputs
    body = "\n".join([
        f"Dataset {args.dataset}: {rows.row_positive.size:,} training rows, {rows.users.size:,} positives, in "
        f"{len(rows.files)} file(s); batch {config.batch_size} rows, seed {config.seed}. Input only (no model step).",
        "",
        f"The one pass keeping the positives in memory: {one_pass:.1f} s.",
        "",
        "| input | epoch (s), median | epochs (s) |",
        "|---|---|---|",
        *[f"| {label} | {medians[label]:.2f} | {', '.join(f'{t:.2f}' for t in times[label])} |" for label in inputs],
        "",
        f"From memory an epoch's input takes {medians[memory_label] / medians[file_label]:.2f}x the files' time.",
    ])
    print(report.write(f"base-input-{args.dataset}", "The BaseTrainer's input: files against memory", body,
                       {"args": vars(args), "rows": int(rows.row_positive.size), "positives": int(rows.users.size),
                        "files": len(rows.files), "one_pass_s": one_pass, "epoch_s": times, "median_epoch_s": medians}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
