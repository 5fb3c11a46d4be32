"""Training throughput of the base stage and of the PROMO prompt stage, measured in one run.

    python -m benchmarks.throughput                      # ML-100K, after `python local_runner.py`
    python -m benchmarks.throughput --dataset synthetic --output-root /tmp/promo --steps 50

Both stages train on the pipeline run's transformed training examples with their Trainer's own model, loss and
batch size (1024): the base two-tower from scratch, then the prompt stage on the run's frozen base model. Step
wall times are recorded by a Keras callback; the first ``--warmup`` steps (graph tracing) are left out and the
median step gives examples/s. The ratio prompt/base is the prompt stage's cost per example in base units
(target: <= 2). Writes benchmarks/results/throughput-<dataset>.{md,json}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import reported
from benchmarks import report
from pipeline import configs
from pipeline.artifacts import latest_artifact, transform_output_and_train_files


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--steps", type=int, default=150, help="training steps timed per stage (after warm-up)")
    parser.add_argument("--warmup", type=int, default=10, help="first steps left out (tracing)")
    parser.add_argument("--variant", default="promo")
    parser.add_argument("--repeats", type=int, default=3, help="base/prompt measurement pairs, interleaved; medians reported")
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


def main(argv=None) -> int:
    args = parse_args(argv)
    from trainer.base_model import MODEL_INPUTS, VocabularySizes, build_two_tower, compile_for_training
    from trainer.inputs import transformed_dataset
    from trainer.optimizers import LazyAdam
    from trainer.promo_model import PromoConfig, PromoModel
    from trainer.promo_task import item_tables, load_base_model
    from trainer.reproducibility import make_reproducible
    from trainer.task import TrainingConfig
    from transforms import features as F

    root = os.path.abspath(args.output_root)
    name = configs.pipeline_name(args.dataset)
    tf_transform_output, train_files = transform_output_and_train_files(root, name)
    base_dir = os.path.join(latest_artifact(root, name, "BaseTrainer", "model"), "Format-Serving")
    base_config, promo_config = TrainingConfig(), PromoConfig(variant=args.variant)

    make_reproducible(0)  # as the Trainers do
    base = build_two_tower(VocabularySizes.from_transform_output(tf_transform_output), base_config.tower_config())
    compile_for_training(base, base_config.learning_rate)
    base_data = transformed_dataset(train_files, tf_transform_output, base_config.batch_size, MODEL_INPUTS, True).cache()
    model = PromoModel(load_base_model(base_dir), item_tables(tf_transform_output, train_files), promo_config)
    model.compile(optimizer=LazyAdam(promo_config.learning_rate))
    names = MODEL_INPUTS + (F.IS_COLD,)
    prompt_data = transformed_dataset(train_files, tf_transform_output, promo_config.batch_size, names, True).cache()
    results = {"base": [], "prompt": []}
    for repeat in range(args.repeats):  # interleaved, so that a noisy neighbour hits both stages alike
        for stage, (stage_model, data) in {"base": (base, base_data), "prompt": (model, prompt_data)}.items():
            print(f"[throughput] repeat {repeat + 1}/{args.repeats}: {stage} stage, {args.steps} steps", flush=True)
            results[stage].append(step_times(stage_model, data, args.steps, args.warmup))

    batch = {"base": base_config.batch_size, "prompt": promo_config.batch_size}
    rows, summary = [], {}
    for stage, runs in results.items():
        medians = [float(np.median(times)) for times in runs]
        median, p90 = float(np.median(medians)), float(np.percentile(np.concatenate(runs), 90))
        summary[stage] = {"median_step_s": median, "p90_step_s": p90, "examples_per_s": batch[stage] / median,
                          "steps": int(sum(len(t) for t in runs)), "median_step_s_per_repeat": medians}
        rows.append(f"| {stage} | {summary[stage]['steps']} | {1000 * median:.1f} | {1000 * p90:.1f} | {batch[stage] / median:,.0f} |")
    ratios = [(p / batch["prompt"]) / (b / batch["base"]) for p, b in
              zip(summary["prompt"]["median_step_s_per_repeat"], summary["base"]["median_step_s_per_repeat"])]
    ratio = float(np.median(ratios))
    verdict = "met" if ratio <= 2 else f"missed by {ratio / 2:.2f}x"
    body = "\n".join([
        f"Dataset {args.dataset}; prompt-stage variant {args.variant}; batch {batch['prompt']}; both stages in this one process.",
        "",
        f"{args.repeats} interleaved repeats of {args.steps} timed steps per stage; medians of the per-repeat medians.",
        "",
        "| stage | steps timed | median step (ms) | p90 step (ms) | examples/s (median) |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"**Prompt-stage cost per example = {ratio:.2f}x the base's** (median of the per-repeat ratios "
        f"{', '.join(f'{r:.2f}' for r in ratios)}; target <= 2x: {verdict}).",
    ])
    print(report.write(f"throughput-{args.dataset}", "Training throughput: base vs prompt stage", body,
                       {"args": vars(args), "stages": summary, "ratio": ratio, "ratios": ratios}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
