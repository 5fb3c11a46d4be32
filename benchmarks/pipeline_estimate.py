"""How long a pipeline run on a larger synthetic log would take here, from measured component rates.

    python -m benchmarks.pipeline_estimate                           # 10M interactions, from the synthetic-1m run
    python -m benchmarks.pipeline_estimate --measured ml-100k --interactions 1000000

An estimate, not a run: each component's examples/s comes from a run measured by benchmarks/pipeline_timings.py
(benchmarks/results/pipeline-<measured>.json); the larger log is generated (data/synthetic.py) to count its
positives, and so its examples (every interaction plus --train-negatives sampled negatives per positive); each
component's time is scaled linearly with examples. Pipeline components stream their data, so it is time, not
memory, that stops a 10M run on this machine; the pinnacle analyzer's memory at that scale is measured by
benchmarks/pinnacle_scale.py. Writes benchmarks/results/pipeline-estimate-<interactions>.{md,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import promo_env  # noqa: F401
from data.errors import reported
from benchmarks import report
from benchmarks.pipeline_timings import ORDER, prepared_examples
from data.examples import TRAIN_NEGATIVES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--train-negatives", type=int, default=TRAIN_NEGATIVES)
    parser.add_argument("--measured", default="synthetic-1m", help="the dataset of the measured run to scale from")
    parser.add_argument("--output-root", default="runs", help="where that run's prepared data is (results before "
                        "the example count was recorded in them)")
    args = parser.parse_args(argv)
    from data.synthetic import generate

    with open(os.path.join(report.RESULTS, f"pipeline-{args.measured}.json")) as handle:
        result = json.load(handle)
    measured = result["timings"]["components_s"]
    measured_examples = result.get("examples") or prepared_examples(os.path.abspath(args.output_root), args.measured)
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
    prepare_s = result.get("prepare_s", 0.0) * scale if result.get("prepare_s", 0.0) >= 1.0 else None
    body = "\n".join([
        f"**An estimate, not a run.** Measured: {args.measured}, {measured_examples:,} examples "
        f"(results/pipeline-{args.measured}.md). "
        f"Target log: {args.interactions:,} synthetic interactions over {args.items:,} items, {len(log.interactions):,} after "
        f"merging repeats, {positives:,} positives -> ~{examples:,} examples ({scale:.0f}x).",
        "",
        f"| component | measured on {args.measured} (s) | examples/s | estimated (h) |",
        "|---|---|---|---|",
        *rows,
        f"| **total** | | | **{total / 3600:.1f}** |",
        "",
        f"Data preparation (history strings and TFRecord writing in Python) comes on top: ~{prepare_s / 3600:.1f} h "
        f"at the measured rate." if prepare_s else "Data preparation (history strings and TFRecord writing in Python) comes on top.",
    ])
    name = f"pipeline-estimate-{args.interactions}"
    print(report.write(name, "Pipeline wall time on a larger log, estimated from measured rates", body,
                       {"args": vars(args), "measured_examples": measured_examples, "examples": examples, "estimated_s": total,
                        "estimated_prepare_s": prepare_s}))
    return 0


if __name__ == "__main__":
    sys.exit(reported(main))
