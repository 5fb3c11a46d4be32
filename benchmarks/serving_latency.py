"""In-process serving latency of the pushed model: p50 / p99 for batch 1 and batch 256.

    python -m benchmarks.serving_latency                 # the newest version under runs/serving_model/promo
    python -m benchmarks.serving_latency --model-dir runs/serving_model/promo/1795695000 --requests 2000

Two paths, both in this process on the CPU:
- ``signature``: the SavedModel's ``serving_default`` called with string tensors (TF Serving's own work per
  request: the Transform graph, both towers, PROMO's pinnacle lists and prompt networks);
- ``rest-body``: the same plus building the JSON ``{"instances": [...]}`` body with serving/client.py and decoding
  it and the reply as serving/in_process.py does (what a REST round trip adds, without the network).
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
import local_runner
from benchmarks import report
from pipeline import configs
from transforms import features as F


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--output-root", default="runs")
    parser.add_argument("--model-dir", default=None, help="a pushed version folder (default: the newest)")
    parser.add_argument("--requests", type=int, default=1000, help="timed calls per batch size and path")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 256])
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


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    from serving.client import parse_reply, row_request
    from serving.in_process import InProcessServer

    root = os.path.abspath(args.output_root)
    model_dir = args.model_dir or local_runner.pushed_model_dir(os.path.join(root, "serving_model", configs.MODEL_NAME))
    if model_dir is None:
        raise SystemExit(f"no pushed model under {root}/serving_model: run `python local_runner.py` first")
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
    ])
    print(report.write(f"serving-latency-{args.dataset}", "In-process serving latency", body, {"args": vars(args), "model_dir": model_dir, "results": results}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
