"""The Trainers' training input: one epoch read from the transformed files against one from memory.

    python -m benchmarks.training_input                               # ML-100K, after `python local_runner.py`
    python -m benchmarks.training_input --dataset synthetic-1m --output-root runs/scale

Times, on a pipeline run's transformed training examples, for each Trainer: the one pass that keeps its rows in
memory (trainer/memory_input.py read_training_rows: the positives for the softmax base, every row for the prompt
stage), iterating one epoch of the shuffled file reader it used to train from (every row read and parsed:
trainer/inputs.py transformed_dataset), and iterating one epoch of what it trains from now (the same batches, its
kept rows, from memory: replayed_batches). Input only, no model step; each Trainer's own inputs and batch size.
Medians of ``--repeats`` epochs (each a reshuffle). Writes benchmarks/results/training-input-<dataset>.{md,json}.
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
from pipeline.artifacts import transform_output_and_train_files


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
    from trainer.base_model import MODEL_INPUTS
    from trainer.inputs import transformed_dataset
    from trainer.memory_input import read_training_rows, replayed_batches
    from trainer.promo_model import PromoConfig
    from trainer.task import TrainingConfig
    from transforms import features as F

    graph, train = transform_output_and_train_files(os.path.abspath(args.output_root), configs.pipeline_name(args.dataset))
    # trainer: (its rows: every row or the positives, the inputs its steps take, batch size, seed)
    trainers = {"BaseTrainer (softmax: the positives)": (False, MODEL_INPUTS, TrainingConfig().batch_size, TrainingConfig().seed),
                "PromoTrainer (every row)": (True, MODEL_INPUTS + (F.IS_COLD,), PromoConfig().batch_size, PromoConfig().seed)}
    results, lines = {}, []
    for trainer, (keep_all, names, batch_size, seed) in trainers.items():
        print(f"[training_input] {trainer}: the one pass", flush=True)
        started = time.perf_counter()
        rows = read_training_rows(graph, train, keep_all)
        one_pass = time.perf_counter() - started
        inputs = {"files": transformed_dataset(train, graph, batch_size, names, True, seed),
                  "memory": replayed_batches(rows, train, batch_size, seed, names)}
        times = {}
        for source, dataset in inputs.items():
            print(f"[training_input] {trainer}: {args.repeats} epochs from {source}", flush=True)
            times[source] = epoch_seconds(dataset, args.repeats)
        medians = {source: float(np.median(t)) for source, t in times.items()}
        results[trainer] = {"kept_rows": int(rows.users.size), "one_pass_s": one_pass, "epoch_s": times, "median_epoch_s": medians}
        lines.append(f"| {trainer} | {rows.users.size:,} | {one_pass:.1f} | {medians['files']:.2f} ({', '.join(f'{t:.2f}' for t in times['files'])}) "
                     f"| {medians['memory']:.2f} ({', '.join(f'{t:.2f}' for t in times['memory'])}) | {medians['memory'] / medians['files']:.2f}x |")
    body = "\n".join([
        f"Dataset {args.dataset}: {rows.row_kept.size:,} training rows in {len(rows.files)} file(s). Input only (no model "
        "step); each Trainer's inputs, batch size and seed. Epoch seconds: median (each epoch).",
        "",
        "| Trainer (rows kept) | rows kept | one pass (s) | epoch from files (s) | epoch from memory (s) | memory / files |",
        "|---|---|---|---|---|---|",
        *lines,
    ])
    print(report.write(f"training-input-{args.dataset}", "The Trainers' training input: files against memory", body,
                       {"args": vars(args), "rows": int(rows.row_kept.size), "files": len(rows.files), "trainers": results}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
