"""How long a pipeline run on a larger synthetic log would take here, from measured component rates.

    python -m benchmarks.pipeline_estimate                           # 10M interactions, 100K items
    python -m benchmarks.pipeline_estimate --interactions 1000000 --items 100000

An estimate, not a run: each component's examples/s comes from the measured ML-100K run
(benchmarks/results/pipeline-ml-100k.json and the prepared example files under --output-root); the larger log is
generated (data/synthetic.py) to count its positives, and so its examples (every interaction plus
--train-negatives sampled negatives per positive); each component's time is scaled linearly with examples.
Pipeline components stream their data, so it is time, not memory, that stops a 10M run on this machine; the
pinnacle analyzer's memory at that scale is measured by benchmarks/pinnacle_scale.py.
Writes benchmarks/results/pipeline-estimate-<interactions>.{md,json}.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import promo_env  # noqa: F401
from benchmarks import report
from benchmarks.pipeline_timings import ORDER


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--train-negatives", type=int, default=4)
    parser.add_argument("--output-root", default="runs", help="where the measured ML-100K run's prepared data is")
    args = parser.parse_args(argv)
    from data.synthetic import generate

    with open(os.path.join(report.RESULTS, "pipeline-ml-100k.json")) as handle:
        measured = json.load(handle)["timings"]["components_s"]
    files = glob.glob(os.path.join(args.output_root, "data", "ml-100k", "examples", "*", "examples.csv"))
    if not files:
        raise SystemExit(f"no prepared ML-100K examples under {args.output_root}: run `python local_runner.py` first")
    measured_examples = sum(sum(1 for _ in open(f)) - 1 for f in files)
    log = generate(n_users=max(args.interactions // 100, 100), n_items=args.items, n_interactions=args.interactions)
    positives = int(log.interactions["label"].sum())
    examples = len(log.interactions) + args.train_negatives * positives
    scale = examples / measured_examples
    rows, total = [], 0.0
    for name in ORDER:
        if name not in measured:
            continue
        seconds = measured[name] * scale if measured[name] >= 1.0 else measured[name]
        total += seconds
        rate = f"{measured_examples / measured[name]:,.0f}" if measured[name] >= 1.0 else "-"
        rows.append(f"| {name} | {measured[name]:.1f} | {rate} | {seconds / 3600:.2f} |")
    body = "\n".join([
        f"**An estimate, not a run.** Measured: ML-100K, {measured_examples:,} examples (results/pipeline-ml-100k.md). "
        f"Target log: {args.interactions:,} synthetic interactions over {args.items:,} items, {len(log.interactions):,} after "
        f"merging repeats, {positives:,} positives -> ~{examples:,} examples ({scale:.0f}x).",
        "",
        "| component | measured on ML-100K (s) | examples/s | estimated (h) |",
        "|---|---|---|---|",
        *rows,
        f"| **total** | | | **{total / 3600:.1f}** |",
        "",
        "Data preparation (history strings and TFRecord writing in Python) comes on top.",
    ])
    name = f"pipeline-estimate-{args.interactions}"
    print(report.write(name, "Pipeline wall time on a larger log, estimated from measured rates", body,
                       {"args": vars(args), "measured_examples": measured_examples, "examples": examples, "estimated_s": total}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
