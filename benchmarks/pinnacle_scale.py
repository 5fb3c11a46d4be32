"""Throughput and peak memory of the pinnacle-feedback analyzer (transforms/pinnacle.py) as data grows.

    python -m benchmarks.pinnacle_scale                          # 1M and 10M interactions x 100K items, and an item sweep
    python -m benchmarks.pinnacle_scale --grid 1000000:100000 --batch-rows 10000

Each grid point (interactions:items) runs in its own process: the synthetic generator (data/synthetic.py) makes
the log (repeated user-item pairs merged, then topped up with sampled negatives to the point's row count, as
Transform's input mixes logged interactions and negatives), ids become vocabulary indices as Transform's do, and the analyzer's Beam PTransform runs on the Beam
DirectRunner over batches of --batch-rows rows (tuples of numpy arrays, the form tf.Transform hands a
``ptransform_analyzer``) to the two tables. Reported: generation time, analyzer wall time, rows/s, the process's
peak RSS and the tables' size. This is the step of Transform whose work grows with items (everything else in the
preprocessing_fn is tf.Transform's own vocabulary analyzers). Writes benchmarks/results/pinnacle-scale.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import promo_env  # noqa: F401  (must precede TensorFlow)
from data.errors import reported

DEFAULT_GRID = ["1000000:100000", "10000000:100000", "1000000:10000", "1000000:1000000"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="+", default=DEFAULT_GRID, help="interactions:items points")
    parser.add_argument("--batch-rows", type=int, default=10_000, help="rows per analyzer batch")
    parser.add_argument("--users-per-interaction", type=float, default=0.01, help="users = interactions x this")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one point, print JSON
    return parser.parse_args(argv)


def run_point(interactions: int, items: int, batch_rows: int, users_share: float) -> dict:
    """One grid point in this process (see the module docstring)."""
    import apache_beam as beam
    import numpy as np
    import pandas as pd
    from apache_beam.options.pipeline_options import PipelineOptions

    from data.synthetic import SYNTHETIC, generate
    from transforms import features as F
    from transforms.pinnacle import _PinnacleTables
    from transforms.pinnacle_value import pinnacle_value

    started = time.monotonic()
    log = generate(n_users=max(int(interactions * users_share), 100), n_items=items, n_interactions=interactions)
    frame = log.interactions
    item_index = pd.factorize(frame["item_id"])[0].astype(np.int64)
    user_index = pd.factorize(frame["user_id"])[0].astype(np.int64)
    value = pinnacle_value(frame["cr"], frame["ir"], SYNTHETIC.alpha, SYNTHETIC.beta).to_numpy(np.float32)
    label = frame["label"].to_numpy(np.int64)
    # The log merges repeated (user, item) pairs; top it up to ``interactions`` rows with sampled negatives
    # (label 0), which is what Transform's input holds beside the logged interactions.
    extra = interactions - len(frame)
    rng = np.random.default_rng(1)
    item_index = np.concatenate([item_index, rng.integers(0, item_index.max() + 1, extra)])
    user_index = np.concatenate([user_index, rng.integers(0, user_index.max() + 1, extra)])
    value, label = np.concatenate([value, np.zeros(extra, np.float32)]), np.concatenate([label, np.zeros(extra, np.int64)])
    logged = len(frame)
    batches = [
        (item_index[s:s + batch_rows], user_index[s:s + batch_rows], value[s:s + batch_rows], label[s:s + batch_rows])
        for s in range(0, interactions, batch_rows)
    ]
    del log, frame
    generated = time.monotonic() - started
    started = time.monotonic()
    with beam.Pipeline(options=PipelineOptions(["--direct_running_mode=in_memory"])) as pipeline:
        tables = pipeline | beam.Create(batches, reshuffle=False) | _PinnacleTables(F.PINNACLE_K, seed=0)
        _ = tables[0] | "CheckRows" >> beam.Map(lambda table, rows: _check(table.shape[0] == rows + 1), rows=int(item_index.max() + 1))
    analyzed = time.monotonic() - started
    return {
        "interactions": interactions, "logged_rows": logged, "items": items, "items_seen": int(item_index.max() + 1),
        "users": int(user_index.max() + 1), "positives": int(label.sum()), "generate_s": generated,
        "analyzer_s": analyzed, "rows_per_s": interactions / analyzed,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "table_mib": (item_index.max() + 2) * (2 * F.PINNACLE_K + 1) * 8 / 2**20,  # int64 [items + OOV, k + 1] and [.., k]
    }


def _check(ok: bool) -> None:
    if not ok:
        raise AssertionError("the pinnacle table does not have one row per item plus the OOV row")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.one:
        interactions, items = (int(x) for x in args.one.split(":"))
        print("RESULT " + json.dumps(run_point(interactions, items, args.batch_rows, args.users_per_interaction)), flush=True)
        return 0
    from benchmarks import report

    points = []
    for point in args.grid:
        print(f"[pinnacle-scale] {point} (interactions:items) ...", flush=True)
        command = [sys.executable, "-m", "benchmarks.pinnacle_scale", "--one", point, "--batch-rows", str(args.batch_rows),
                   "--users-per-interaction", str(args.users_per_interaction)]
        done = subprocess.run(command, capture_output=True, text=True)
        lines = [l for l in done.stdout.splitlines() if l.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(done.stderr[-3000:], file=sys.stderr)
            points.append({"point": point, "error": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"})
            continue
        points.append(json.loads(lines[-1][len("RESULT "):]))
        print(f"[pinnacle-scale] {points[-1]}", flush=True)
    rows = []
    for p in points:
        if "error" in p:
            rows.append(f"| {p['point']} | failed: {p['error']} | | | | | |")
            continue
        rows.append(
            f"| {p['interactions']:,} ({p['logged_rows']:,} + {p['interactions'] - p['logged_rows']:,}) | {p['items']:,} ({p['items_seen']:,} seen) | {p['users']:,} | {p['analyzer_s']:.1f} | "
            f"{p['rows_per_s']:,.0f} | {p['peak_rss_mib']:,.0f} | {p['table_mib']:.1f} |"
        )
    body = "\n".join([
        f"Beam DirectRunner in-process, batches of {args.batch_rows:,} rows, k = 10; one process per point.",
        "",
        "| rows (logged + sampled negatives) | items | users | analyzer wall (s) | rows/s | peak RSS (MiB) | tables (MiB) |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ])
    print(report.write("pinnacle-scale", "Pinnacle analyzer: throughput and peak memory by scale", body, {"args": vars(args), "points": points}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
