"""Training throughput of the BaseTrainer's and the PromoTrainer's steps, measured in one process.

    python -m benchmarks.throughput                      # ML-100K, after `python local_runner.py`
    python -m benchmarks.throughput --dataset synthetic-1m --output-root runs/scale --repeats 3

Each stage trains as its Trainer does, on the pipeline run's Transform output, from the training rows in memory in
the shuffled file reader's batches (trainer/memory_input.py): the base from scratch with TrainingConfig's objective
(trainer/task.py: ``trainable_base``), the prompt stage of ``--variant`` (default: the pipeline's) on the run's
BaseTrainer model (trainer/promo_task.py: ``prompt_model``). A third stage, ``base (tf-keras Adam)``, is the same
base with tf-keras' own Adam instead of the fused kernel the Trainer uses (trainer/optimizers.py: ``FusedAdam``):
the same update rule, so the two medians' ratio is what the fused step saves. Step wall times come from a Keras
callback; the first ``--warmup`` steps (graph tracing) are left out; examples/s = the batch's training rows (1024;
the softmax base learns from their positives only) / the median step. The prompt/base ratio is the prompt stage's
cost per example in base units. Writes benchmarks/results/throughput-<dataset>.{md,json}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Dict, List

import numpy as np

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import reported
from benchmarks import report
from pipeline import configs
from pipeline.artifacts import latest_artifact, transform_output_and_train_files
from trainer.variants import DEFAULT_VARIANT, VARIANTS

BASE, KERAS_ADAM, PROMPT = "base", "base (tf-keras Adam)", "prompt"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--steps", type=int, default=150, help="training steps timed per stage (after warm-up)")
    parser.add_argument("--warmup", type=int, default=10, help="first steps left out (tracing)")
    parser.add_argument("--variant", default=DEFAULT_VARIANT, choices=[v for v in VARIANTS if v not in ("pretrain", "finetune")],
                        help="the prompt stage's model (default: the pipeline's)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the stages, interleaved; medians reported")
    return parser.parse_args(argv)


def step_times(model, dataset, steps: int, warmup: int) -> np.ndarray:
    """Wall seconds of each training step after ``warmup`` ones, over ``steps + warmup`` batches of ``dataset``."""
    import tensorflow as tf

    class Timer(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times, self.started = [], 0.0

        def on_train_batch_begin(self, batch, logs=None):
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter() - self.started)

    timer = Timer()
    model.fit(dataset.repeat().take(steps + warmup), epochs=1, verbose=0, callbacks=[timer])
    return np.array(timer.times[warmup:])


def summarise(results: Dict[str, List[np.ndarray]], batch_size: int) -> Dict[str, dict]:
    """Per stage: the median of the per-round median steps, the p90 of every step, examples/s at that median;
    ``ratios``: per round, each stage's median step over the base's (the same batch, so the cost per example)."""
    summary = {}
    for stage, rounds in results.items():
        medians = [float(np.median(times)) for times in rounds]
        median = float(np.median(medians))
        summary[stage] = {"median_step_s": median, "p90_step_s": float(np.percentile(np.concatenate(rounds), 90)),
                          "examples_per_s": batch_size / median, "steps": int(sum(len(t) for t in rounds)),
                          "median_step_s_per_repeat": medians}
    base = summary[BASE]["median_step_s_per_repeat"]
    for stage in summary:
        ratios = [m / b for m, b in zip(summary[stage]["median_step_s_per_repeat"], base)]
        summary[stage].update(ratios=ratios, ratio=float(np.median(ratios)))
    return summary


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf
    from trainer.base_model import MODEL_INPUTS, VocabularySizes, build_two_tower
    from trainer.memory_input import read_training_rows, replayed_batches
    from trainer.promo_model import PromoConfig
    from trainer.promo_task import load_base_model, prompt_model
    from trainer.reproducibility import make_reproducible
    from trainer.task import TrainingConfig, trainable_base
    from transforms import features as F

    root = os.path.abspath(args.output_root)
    name = configs.pipeline_name(args.dataset)
    tf_transform_output, train_files = transform_output_and_train_files(root, name)
    base_dir = os.path.join(latest_artifact(root, name, "BaseTrainer", "model"), "Format-Serving")
    base_config = TrainingConfig()
    promo_config = PromoConfig(variant=args.variant)
    if base_config.batch_size != promo_config.batch_size:
        raise ValueError("the stages' batch sizes differ: examples/s and the ratio assume one")
    sizes = VocabularySizes.from_transform_output(tf_transform_output)

    print("[throughput] reading the training rows (the BaseTrainer's, then the PromoTrainer's)", flush=True)
    base_rows = read_training_rows(tf_transform_output, train_files, base_config.objective == "pointwise")
    all_rows = read_training_rows(tf_transform_output, train_files, True, with_item_tables=True)
    # one dataset for both bases (replayed_batches holds the rows as constants: each call would hold a copy), made
    # under the seed the BaseTrainer sets first, as its batches are
    make_reproducible(base_config.seed)
    base_batches = replayed_batches(base_rows, train_files, base_config.batch_size, base_config.seed, MODEL_INPUTS)
    stages = {}
    for stage in (BASE, KERAS_ADAM):
        make_reproducible(base_config.seed)  # as the BaseTrainer does: both bases start from the same weights
        trained = trainable_base(build_two_tower(sizes, base_config.tower_config()), base_config, base_rows)
        if stage == KERAS_ADAM:
            trained.compile(optimizer=tf.keras.optimizers.Adam(base_config.learning_rate))
        stages[stage] = trained, base_batches
    make_reproducible(promo_config.seed)
    model = prompt_model(load_base_model(base_dir), tf_transform_output, promo_config, all_rows)
    stages[PROMPT] = model, replayed_batches(all_rows, train_files, promo_config.batch_size, promo_config.seed,
                                             MODEL_INPUTS + (F.IS_COLD,))

    results = {stage: [] for stage in stages}
    for repeat in range(args.repeats):  # interleaved, so that a noisy neighbour hits every stage alike
        for stage, (stage_model, data) in stages.items():
            print(f"[throughput] round {repeat + 1}/{args.repeats}: {stage}, {args.steps} steps", flush=True)
            results[stage].append(step_times(stage_model, data, args.steps, args.warmup))

    summary = summarise(results, base_config.batch_size)
    rows = [f"| {stage} | {s['steps']} | {1000 * s['median_step_s']:.1f} | {1000 * s['p90_step_s']:.1f} | "
            f"{s['examples_per_s']:,.0f} | {s['ratio']:.2f} ({', '.join(f'{r:.2f}' for r in s['ratios'])}) |"
            for stage, s in summary.items()]
    positives = len(base_rows.users) / len(base_rows.row_kept)
    body = "\n".join([
        f"Dataset {args.dataset}: {len(base_rows.row_kept):,} training rows, {sizes.items:,} items, {sizes.users:,} "
        f"users; batch {base_config.batch_size} rows; the base's objective {base_config.objective} (it learns from the "
        f"batch's positives: {positives:.1%} of the rows here); prompt-stage variant {promo_config.variant}. "
        "Every stage in this one process.",
        "",
        f"{args.repeats} interleaved rounds of {args.steps} timed steps per stage; medians of the per-round medians.",
        "",
        "| stage | steps timed | median step (ms) | p90 step (ms) | examples/s (median) | step / base's (per round) |",
        "|---|---|---|---|---|---|",
        *rows,
    ])
    print(report.write(f"throughput-{args.dataset}", "Training throughput: the base's step and the prompt stage's",
                       body, {"args": vars(args), "stages": summary}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
