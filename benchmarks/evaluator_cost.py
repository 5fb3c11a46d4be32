"""Where the Evaluator's time goes: TFMA on the ranking eval set with the pipeline's EvalConfig and with parts of it off.

    python -m benchmarks.evaluator_cost --output-root runs              # the run's pushed model, 3 repeats
    python -m benchmarks.evaluator_cost --output-root runs --repeats 1

The pipeline's Evaluator (pipeline/pipeline.py: eval_config) runs ``tfma.run_model_analysis``'s pipeline on the
``eval_ranking`` split (one listwise example per query, data/tfrecords.py): every query through the model's
``rank_tf_example`` signature, then ExampleCount, AUC (over every candidate), NDCG@10 and MinLabelPosition,
overall and on the cold-query slice. Each setting below runs that
same analysis in this process (Beam's DirectRunner, as the local Evaluator) on the newest pushed model, with the
thresholds left out (no baseline model here) and:

- ``pipeline``: the whole EvalConfig;
- ``no cold slice``: only the overall slice;
- ``no MinLabelPosition``: NDCG@10 the only query metric;
- ``no AUC``: ExampleCount the only metric besides the query metrics;
- ``NDCG only``: NDCG@10 overall, nothing else;
- ``ExampleCount only``: the queries through the model and counted (the fixed cost: model load, parsing, inference);

and, for scale, the signature alone: every query through ``rank_tf_example`` in batches of 100, no TFMA.
Median of ``--repeats`` wall times per setting. Writes benchmarks/results/evaluator-cost-<dataset>.md/.json.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time
from typing import Callable, Dict

import numpy as np

import promo_env  # noqa: F401  (must precede TensorFlow)
from benchmarks import report
from data.errors import reported
from data.examples import EVAL_RANKING


def settings() -> Dict[str, Callable]:
    """{name: edit of the pipeline's EvalConfig, in place} (module docstring)."""

    def no_slice(config):
        del config.slicing_specs[1:]

    def no_min_label_position(config):
        del config.metrics_specs[1].metrics[1:]

    def no_auc(config):
        del config.metrics_specs[0].metrics[1:]

    def ndcg_only(config):
        no_slice(config)
        no_min_label_position(config)
        del config.metrics_specs[0]

    def count_only(config):
        no_slice(config)
        no_auc(config)
        del config.metrics_specs[1]

    return {"pipeline": lambda config: None, "no cold slice": no_slice, "no MinLabelPosition": no_min_label_position,
            "no AUC": no_auc, "NDCG only": ndcg_only, "ExampleCount only": count_only}


def without_thresholds(config):
    """``config`` with every metric threshold removed (change thresholds need a baseline model)."""
    for spec in config.metrics_specs:
        for metric in spec.metrics:
            del metric.per_slice_thresholds[:]
            metric.ClearField("threshold")
    return config


def time_analysis(model_dir: str, files: str, config) -> float:
    import tensorflow_model_analysis as tfma

    shared = tfma.default_eval_shared_model(eval_saved_model_path=model_dir, eval_config=config)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        tfma.run_model_analysis(eval_shared_model=shared, eval_config=config, data_location=files,
                                file_format="tfrecords", output_path=out)
    return time.perf_counter() - started


def time_signature(model_dir: str, files: str, batch: int = 100) -> tuple:
    """(seconds, queries, candidates): every eval_ranking query through rank_tf_example, no TFMA."""
    import tensorflow as tf

    signature = tf.saved_model.load(model_dir).signatures["rank_tf_example"]
    records = [r.numpy() for r in tf.data.TFRecordDataset(glob.glob(files), compression_type="GZIP")]
    started, candidates = time.perf_counter(), 0
    for start in range(0, len(records), batch):
        candidates += int(tf.size(signature(examples=tf.constant(records[start:start + batch]))["score"]))
    return time.perf_counter() - started, len(records), candidates


def main(argv=None) -> int:
    from pipeline import configs
    from pipeline.artifacts import latest_artifact, pushed_model_dir
    from pipeline.pipeline import eval_config

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    root = os.path.abspath(args.output_root)
    model_dir = pushed_model_dir(os.path.join(root, "serving_model", configs.MODEL_NAME))
    if model_dir is None:
        raise SystemExit(f"no pushed model under {root}: run local_runner.py --output-root {args.output_root} first")
    examples = latest_artifact(root, configs.pipeline_name(args.dataset), "ImportExampleGen", "examples")
    files = os.path.join(examples, f"Split-{EVAL_RANKING}", "*")
    seconds, queries, candidates = time_signature(model_dir, files)
    times = {}
    for name, edit in settings().items():
        config = without_thresholds(eval_config())
        edit(config)
        times[name] = [time_analysis(model_dir, files, config) for _ in range(args.repeats)]
        print(f"[evaluator-cost] {name}: {np.median(times[name]):.1f} s", flush=True)
    lines = ["| setting | median wall s | runs (s) |", "|---|---|---|"]
    lines += [f"| {name} | {np.median(t):.1f} | {', '.join(f'{x:.1f}' for x in t)} |" for name, t in times.items()]
    body = (f"Model {model_dir}; {queries:,} eval_ranking queries (listwise examples) of {candidates:,} candidates. "
            f"The signature alone (no TFMA, batches of 100 queries): {seconds:.1f} s.\n\n" + "\n".join(lines))
    print(report.write(f"evaluator-cost-{args.dataset}", f"Where the Evaluator's time goes, {args.dataset}", body,
                       {"model_dir": model_dir, "queries": queries, "candidates": candidates, "signature_s": seconds, "times_s": times}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
