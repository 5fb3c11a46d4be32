"""Time and memory of PROMO-LS's liker space (trainer/liker_space.py) as the log grows.

    python -m benchmarks.liker_space_scale                       # synthetic-1m and synthetic-10m
    python -m benchmarks.liker_space_scale --datasets synthetic-1m --rank 64

The liker space (a rank-r truncated SVD of the training like-matrix, each item's liker sum and count) is computed
in one process, inside the prompt-stage Trainer. Each dataset runs in its own process: data/datasets.py generates
its log, its positives (every split's, a slight overstatement of the training positives the Trainer factorises)
become indices (users and items that have a positive, plus an OOV row each: the Trainer's vocabularies also hold
items with negatives only, rows of zeros here), and ``liker_space`` runs on them as the Trainer calls it. Reported:
the call's wall time, the peak of the memory it allocates (tracemalloc, which sees numpy's and scipy's arrays),
the process's peak RSS, and the bytes per positive and per row (user or item) that the first two datasets give, from which the
largest log one machine factorises follows. Writes benchmarks/results/liker-space-scale.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from data.errors import reported

DEFAULT_DATASETS = ["synthetic-1m", "synthetic-10m"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS, help="data/datasets.py names")
    parser.add_argument("--rank", type=int, default=None, help="r (default: PromoConfig's liker_rank)")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one dataset, print JSON
    return parser.parse_args(argv)


def run_one(dataset: str, rank: int) -> dict:
    """One dataset in this process (module docstring)."""
    import tracemalloc

    import numpy as np
    import pandas as pd

    from data import datasets
    from trainer.liker_space import liker_space

    started = time.monotonic()
    log = datasets.load(dataset, None)
    positives = log.interactions[log.interactions["label"] == 1]
    users = pd.factorize(positives["user_id"])[0].astype(np.int64)
    items = pd.factorize(positives["item_id"])[0].astype(np.int64)
    n_users, n_items = int(users.max()) + 2, int(items.max()) + 2  # + the OOV row, as the vocabularies have
    del log, positives
    generated = time.monotonic() - started
    tracemalloc.start()
    started = time.monotonic()
    space = liker_space(users, items, n_users, n_items, rank, seed=0)
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "dataset": dataset, "positives": int(len(space.liked_pairs)), "users": n_users, "items": n_items, "rank": rank,
        "generate_s": generated, "liker_space_s": elapsed, "peak_alloc_mib": peak / 2**20,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def memory_model(points) -> dict:
    """Bytes per positive and per row (user + item) of the step's peak allocation, fitted exactly through the first
    two points (the cost is linear in both: the sparse matrix and its keys per positive, the SVD's dense factors
    and the liker sums per row)."""
    import numpy as np

    a = np.array([[p["positives"], p["users"] + p["items"]] for p in points[:2]], float)
    b = np.array([p["peak_alloc_mib"] * 2**20 for p in points[:2]])
    per_positive, per_row = np.linalg.solve(a, b)
    return {"bytes_per_positive": float(per_positive), "bytes_per_row": float(per_row)}


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.rank is None:
        from trainer.promo_model import PromoConfig

        args.rank = PromoConfig().liker_rank
    if args.one:
        print("RESULT " + json.dumps(run_one(args.one, args.rank)), flush=True)
        return 0
    from benchmarks import report

    points = []
    for dataset in args.datasets:
        print(f"[liker-space-scale] {dataset} ...", flush=True)
        done = subprocess.run([sys.executable, "-m", "benchmarks.liker_space_scale", "--one", dataset, "--rank", str(args.rank)],
                              capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(done.stderr[-3000:], file=sys.stderr)
            raise RuntimeError(f"{dataset}: exit {done.returncode}")
        points.append(json.loads(lines[-1][len("RESULT "):]))
        print(f"[liker-space-scale] {points[-1]}", flush=True)
    rows = [f"| {p['dataset']} | {p['positives']:,} | {p['users']:,} | {p['items']:,} | {p['liker_space_s']:.1f} | "
            f"{p['peak_alloc_mib']:,.0f} | {p['peak_rss_mib']:,.0f} |" for p in points]
    lines = [
        f"`trainer/liker_space.liker_space` at rank {args.rank}, one process per dataset, on its positives (all splits).",
        "",
        "| dataset | positives | users (+ OOV) | items with a positive (+ OOV) | wall (s) | peak allocation of the step (MiB) | process peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]
    data = {"args": vars(args), "points": points}
    if len(points) >= 2 and points[0]["positives"] != points[1]["positives"]:
        model = memory_model(points)
        data["memory_model"] = model
        lines += ["", f"Fitted through the first two rows: {model['bytes_per_positive']:.0f} bytes per positive and "
                      f"{model['bytes_per_row']:,.0f} bytes per user or item row at rank {args.rank}."]
    print(report.write("liker-space-scale", "Liker space: time and memory by scale", "\n".join(lines), data))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
