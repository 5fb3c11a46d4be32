"""In-process serving latency of the pushed model: p50 / p99 of ``serving_default`` for batch 1 and batch 256, and of
``recommend`` (top-100 items, history excluded) for batch 1 and 64 over the model's catalogue and a 100K-item one.

    python -m benchmarks.serving_latency                 # the newest version under runs/serving_model/promo
    python -m benchmarks.serving_latency --model-dir runs/serving_model/promo/1795695000 --requests 2000

``serving_default``, two paths, both in this process on the CPU:
- ``signature``: the SavedModel's ``serving_default`` called with string tensors (TF Serving's own work per
  request: the Transform graph, both towers, PROMO's pinnacle lists and prompt networks);
- ``rest-body``: the same plus building the JSON ``{"instances": [...]}`` body with serving/client.py and decoding
  it and the reply as serving/in_process.py does (what a REST round trip adds, without the network).
``recommend`` (trainer/retrieval.py), per user row (user_id, user_features, history):
- ``recommend``: the pushed model's signature over its own catalogue (the Transform vocabulary: 1,682 items for
  ML-100K): Transform graph, user side, then TFRS BruteForce's ``query_with_exclusions``;
- ``recommend, synthetic index``: the same user side (the model's ``user_embeddings`` signature) followed by the
  same index class over ``--synthetic-items`` (100,000) random vectors of the model's width with made-up ids: a
  real catalogue of that size is not available, and the index's cost depends only on its size and width (the
  history ids match none of the made-up ones, but the exclusion step compares them all the same);
- ``index only``: the index alone, given precomputed user vectors, over a synthetic catalogue of the model's size
  and of ``--synthetic-items``, to show how the time splits between the user side and the index.
Requests are held-out rows of the prepared test split, cycled. ``--warmup`` calls per batch size are left out.
Target: signature p50 for batch 1 under 5 ms. Writes benchmarks/results/serving-latency-<dataset>.{md,json}.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import DataError, reported
from benchmarks import report
from pipeline import configs
from pipeline.artifacts import pushed_model_dir
from transforms import features as F


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--model-dir", default=None, help="a pushed version folder (default: the newest)")
    parser.add_argument("--requests", type=int, default=1000, help="timed calls per batch size and path")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 256], help="serving_default batch sizes")
    parser.add_argument("--recommend-batch-sizes", type=int, nargs="+", default=[1, 64], help="recommend batch sizes (users)")
    parser.add_argument("--synthetic-items", type=int, default=100_000, help="size of the synthetic recommend index")
    return parser.parse_args(argv)


def latencies(call, batches, warmup: int) -> np.ndarray:
    """Milliseconds of ``call(batch)`` for each of ``batches`` after the first ``warmup``."""
    times = []
    for n, batch in enumerate(batches):
        started = time.perf_counter()
        call(batch)
        if n >= warmup:
            times.append(1000 * (time.perf_counter() - started))
    return np.array(times)


def recommend_latencies(model, rows: pd.DataFrame, args) -> tuple:
    """(results, table lines) of the recommend paths of the module docstring."""
    import tensorflow as tf

    from trainer.retrieval import Recommender

    results, lines = {}, []
    user_side = model.signatures["user_embeddings"]
    catalogue = int(model.recommender.ids.shape[0]) if hasattr(model, "recommender") else None  # the index's ids
    width = int(user_side(**{n: tf.constant(rows[n].tolist()[:1]) for n in F.USER_RAW_FEATURES})["embedding"].shape[1])
    rng = np.random.default_rng(0)

    def synthetic_index(n_items):
        vectors = rng.standard_normal((n_items, width)).astype(np.float32) / np.sqrt(width)
        return Recommender([f"synthetic-{n}" for n in range(n_items)], vectors)

    big = synthetic_index(args.synthetic_items)
    spec = [tf.TensorSpec([None], tf.string, name=n) for n in F.USER_RAW_FEATURES]

    @tf.function(input_signature=spec)
    def recommend_big(user_id, user_features, history):
        return big(user_side(user_id=user_id, user_features=user_features, history=history)["embedding"], history)

    paths = {}
    if "recommend" in model.signatures:
        items = f"{catalogue:,} items" if catalogue else "the model's catalogue"
        paths[f"recommend ({items})"] = (lambda batch: model.signatures["recommend"](**batch), False)
    else:
        print("[latency] this model has no recommend signature (exported before it existed): synthetic rows only", flush=True)
    paths[f"recommend, synthetic index ({args.synthetic_items:,} items)"] = (lambda batch: recommend_big(**batch), False)
    for n_items in sorted({catalogue or 1682, args.synthetic_items}):
        index = big if n_items == args.synthetic_items else synthetic_index(n_items)
        call = tf.function(index.__call__, input_signature=[tf.TensorSpec([None, width], tf.float32), tf.TensorSpec([None], tf.string)])
        paths[f"index only ({n_items:,} items)"] = (lambda batch, call=call: call(*batch), True)
    for size in args.recommend_batch_sizes:
        starts = [(n * size) % max(len(rows) - size, 1) for n in range(args.requests + args.warmup)]
        frames = [rows.iloc[s:s + size] for s in starts]
        tensors = [{n: tf.constant(f[n].tolist()) for n in F.USER_RAW_FEATURES} for f in frames]
        vectors = [(user_side(**t)["embedding"], t[F.HISTORY]) for t in tensors[: args.warmup + 1]]
        vectors = [vectors[n % len(vectors)] for n in range(len(tensors))]  # precomputed once: the index alone is timed
        for path, (call, precomputed) in paths.items():
            print(f"[latency] batch {size}, {path}: {args.requests} calls", flush=True)
            times = latencies(call, vectors if precomputed else tensors, args.warmup)
            p50, p99 = float(np.percentile(times, 50)), float(np.percentile(times, 99))
            results[f"{path}/batch{size}"] = {"p50_ms": p50, "p99_ms": p99, "calls": len(times)}
            lines.append(f"| {path} | {size} | {p50:.2f} | {p99:.2f} | {size / p50 * 1000:,.0f} |")
    return results, lines


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    from serving.client import parse_reply, row_request
    from serving.in_process import InProcessServer

    root = os.path.abspath(args.output_root)
    model_dir = args.model_dir or pushed_model_dir(os.path.join(root, "serving_model", configs.MODEL_NAME))
    if model_dir is None:
        raise DataError(root, "no pushed model under serving_model/: run `python local_runner.py` first")
    rows = pd.read_csv(os.path.join(root, "data", args.dataset, "examples", "test", "examples.csv"), dtype=str, keep_default_na=False)
    server = InProcessServer(model_dir)
    signature = server.model.signatures["serving_default"]
    results, lines = {}, []
    for size in args.batch_sizes:
        starts = [(n * size) % max(len(rows) - size, 1) for n in range(args.requests + args.warmup)]
        frames = [rows.iloc[s:s + size] for s in starts]
        tensors = [{n: tf.constant(f[n].tolist()) for n in F.RAW_STRING_FEATURES} for f in frames]
        records = [f.to_dict("records") for f in frames]
        paths = {
            "signature": (lambda batch: signature(**batch), tensors),
            "rest-body": (lambda batch: parse_reply(server.predict(row_request(batch))), records),
        }
        for path, (call, batches) in paths.items():
            print(f"[latency] batch {size}, {path}: {args.requests} calls", flush=True)
            times = latencies(call, batches, args.warmup)
            p50, p99 = float(np.percentile(times, 50)), float(np.percentile(times, 99))
            results[f"{path}/batch{size}"] = {"p50_ms": p50, "p99_ms": p99, "calls": len(times)}
            lines.append(f"| {path} | {size} | {p50:.2f} | {p99:.2f} | {size / p50 * 1000:,.0f} |")
    recommend_results, recommend_lines = recommend_latencies(server.model, rows, args)
    results |= {f"recommend/{k}": v for k, v in recommend_results.items()}
    p50 = results.get("signature/batch1", {}).get("p50_ms")
    verdict = "" if p50 is None else f"Target: signature p50 for batch 1 < 5 ms: **{p50:.2f} ms, {'met' if p50 < 5 else 'missed'}**."
    body = "\n".join([
        f"Model: `{model_dir}`; requests: rows of the {args.dataset} test split.",
        "",
        "| path | batch | p50 (ms) | p99 (ms) | rows/s at p50 |",
        "|---|---|---|---|---|",
        *lines,
        "",
        verdict,
        "",
        "`recommend` (top 100 items per user, history excluded; trainer/retrieval.py). The synthetic index holds random",
        "vectors of the model's width: its cost depends only on its size and width (benchmarks/serving_latency.py).",
        "",
        "| path | batch (users) | p50 (ms) | p99 (ms) | users/s at p50 |",
        "|---|---|---|---|---|",
        *recommend_lines,
    ])
    print(report.write(f"serving-latency-{args.dataset}", "In-process serving latency", body, {"args": vars(args), "model_dir": model_dir, "results": results}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
