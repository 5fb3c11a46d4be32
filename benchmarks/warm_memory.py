"""Memory of warm knowledge (filed as "the paper's Fig. 5"): does prompt tuning lose what the base knew about warm
items? (The paper's Fig. 5 itself is pinnacle-feedback retention under streaming negative feedback on ML-1M,
which an offline split cannot replay.)

    python -m benchmarks.warm_memory                                  # ML-100K, test split, seed 0
    python -m benchmarks.warm_memory --split eval --seeds 0 1 --variants finetune promo_ls

All-target, warm-target and cold-target HR@10 (the `sampled` view: each held-out positive among 100 never-touched
items, evaluation/protocol.py) of the base (epoch 0, Pre-train) and of each prompt-stage variant after every
epoch. Each variant is trained on its seed's base with benchmarks/quality.py's Workbench (the pipeline's own
training code on the cached Transform output); at the end of every epoch a Keras callback exports the model as
it then is and ranks through its serving signature, exactly as the quality benchmark ranks the final model.
Writes benchmarks/results/warm-memory-<dataset>-<split>.{md,json,png}.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Dict, List

import numpy as np
from tensorflow import keras

from data.errors import reported
from benchmarks import report
from benchmarks.quality import Workbench, base_overrides, workbench_arguments
from evaluation.scoring import evaluate

GROUPS = ("all", "warm", "cold")
VIEW = "sampled"


class RankEachEpoch(keras.callbacks.Callback):
    """After every epoch: exports the model being trained (``bench.export``) and appends its metrics on ``cases``."""

    def __init__(self, bench: Workbench, cases, folder: str):
        super().__init__()
        self.bench, self.cases, self.folder = bench, cases, folder
        self.metrics: List[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        ranker = self.bench.export(self.model, os.path.join(self.folder, f"epoch{epoch + 1}"))
        self.metrics.append(evaluate(ranker, self.cases))


def curves(runs: Dict[str, List[List[dict]]], group: str) -> Dict[str, np.ndarray]:
    """{model: [seeds, epochs + 1]} HR@10 x100 of ``group``; ``runs[model][seed]`` lists the metrics per epoch
    from epoch 0 (the base)."""
    return {model: np.array([[m[group]["HR@10"] * 100 for m in seed_run] for seed_run in per_seed]) for model, per_seed in runs.items()}


def markdown(runs: Dict[str, List[List[dict]]], args, elapsed: float) -> str:
    lines = [f"Split `{args.split}`, view `{VIEW}`; seeds {args.seeds} (mean over seeds, x100); wall time {elapsed / 60:.1f} min.",
             "Epoch 0 is the base (Pre-train), before any prompt-stage step.", ""]
    epochs = len(next(iter(runs.values()))[0])
    lines += ["| model | HR@10 of | " + " | ".join(f"epoch {e}" for e in range(epochs)) + " |", "|---|---|" + "---|" * epochs]
    for group in GROUPS:
        for model, values in curves(runs, group).items():
            lines.append(f"| {model} | {group} | " + " | ".join(f"{v:.1f}" for v in values.mean(axis=0)) + " |")
    return "\n".join(lines)


def plot(runs: Dict[str, List[List[dict]]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(len(next(iter(runs.values()))[0]))
    fig, axes = plt.subplots(1, len(GROUPS), figsize=(4.5 * len(GROUPS), 3.5))
    for ax, group in zip(axes, GROUPS):
        for model, values in curves(runs, group).items():
            ax.plot(epochs, values.mean(axis=0), marker="o", label=model)
        ax.set_xticks(epochs)
        ax.set_title(f"{group}-target HR@10")
        ax.set_xlabel("prompt-stage epoch (0: the base)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    workbench_arguments(parser)
    parser.add_argument("--split", default="test", choices=["test", "eval"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--variants", nargs="+", default=["finetune", "promo", "promo_ls"])
    parser.add_argument("--epochs", type=int, default=3, help="prompt-stage epochs (the Trainer's default)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    bench = Workbench.from_args(args, args.split)
    runs: Dict[str, List[List[dict]]] = {variant: [] for variant in args.variants}
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            cases = bench.cases(VIEW, seed)
            base_dir = bench.base_dir(seed, **base_overrides(args))
            base = evaluate(bench.train({"variant": "pretrain", "seed": seed}, base_dir, os.path.join(scratch, f"base-{seed}")), cases)
            for variant in args.variants:
                callback = RankEachEpoch(bench, cases, os.path.join(scratch, f"{variant}-{seed}"))
                bench.fit({"variant": variant, "seed": seed, "epochs": args.epochs}, base_dir, [callback])  # the callback exports
                runs[variant].append([base] + callback.metrics)
                print(f"[warm-memory] seed {seed} {variant}: all HR@10 by epoch "
                      + " ".join(f"{100 * m['all']['HR@10']:.1f}" for m in runs[variant][-1]), flush=True)
    name = f"warm-memory-{args.dataset}-{args.split}"
    print(report.write(name, f"Memory of warm knowledge (the paper's Fig. 5) on {args.dataset}, {args.split} split",
                       markdown(runs, args, time.monotonic() - started) + f"\n\n![Fig. 5]({name}.png)\n",
                       {"args": vars(args), "runs": runs}))
    plot(runs, os.path.join(report.RESULTS, name + ".png"))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
