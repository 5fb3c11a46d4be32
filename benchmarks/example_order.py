"""Does ExampleGen keep the prepared examples' order? TFX's stock write path against pipeline/example_gen.py.

Runs, ``--repeats`` times each, (a) TFX's own ExampleGen write (``tfx.components.example_gen.write_split.WriteSplit``:
Reshuffle, then WriteToTFRecord) on Beam's DirectRunner with one worker, and (b) the order-preserving copy the
pipeline uses, over one prepared split, and counts the *order breaks* of each output: places where a record is
followed by one that came earlier in the input. Each random-key collision in the Reshuffle makes about one.

    python -m benchmarks.example_order                        # ML-100K's train split, 3 repeats
    python -m benchmarks.example_order --split eval --repeats 5
"""
from __future__ import annotations

import argparse
import collections
import glob
import os
import tempfile
import time
from typing import Dict, List

import promo_env  # noqa: F401  (before TensorFlow)
from data.errors import reported
import apache_beam as beam
import tensorflow as tf
from apache_beam.options.pipeline_options import PipelineOptions
from tfx.components.example_gen import write_split

from benchmarks import report
from pipeline import configs
from pipeline.example_gen import copy_split


def read_records(paths: List[str]) -> List[bytes]:
    return [bytes(r.numpy()) for r in tf.data.TFRecordDataset(paths, compression_type="GZIP")]


def order_breaks(source: List[bytes], output: List[bytes]) -> int:
    """How often ``output`` (a permutation of ``source``) steps back to a record that came earlier in ``source``."""
    positions: Dict[bytes, collections.deque] = collections.defaultdict(collections.deque)
    for index, record in enumerate(source):
        positions[record].append(index)  # repeated records take their input positions in turn
    ranks = [positions[record].popleft() for record in output]
    return sum(1 for a, b in zip(ranks, ranks[1:]) if b < a)


def stock_write(pattern: str, out_dir: str) -> None:
    """TFX's ImportExampleGen read and write over ``pattern`` (one Beam worker) into ``out_dir``."""
    with beam.Pipeline(options=PipelineOptions(configs.local_beam_args(workers=1))) as pipeline:
        _ = (pipeline
             | beam.io.ReadFromTFRecord(pattern)
             | write_split.WriteSplit(out_dir, "tfrecords_gzip"))


def copy_write(pattern: str, out_dir: str) -> None:
    """The pipeline's order-preserving ExampleGen copy over ``pattern`` into ``out_dir``."""
    copy_split(sorted(glob.glob(pattern)), out_dir)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--split", default="train", choices=("train", "eval", "test"))
    parser.add_argument("--output-root", default="runs", help="where local_runner / data.prepare put the data")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    pattern = os.path.join(args.output_root, "data", args.dataset, "examples", args.split, "*.tfrecord.gz")
    files = sorted(glob.glob(pattern))
    if not files:
        parser.error(f"no prepared examples under {args.output_root}/data/{args.dataset}/examples/{args.split}; "
                     f"run `python -m data.prepare --dataset {args.dataset}` (or local_runner.py) first")
    source = read_records(files)
    writers = {"stock": stock_write, "copy": copy_write}
    rows, outputs = [], {name: [] for name in writers}
    for repeat in range(args.repeats):
        for name, write in writers.items():
            with tempfile.TemporaryDirectory() as out_dir:
                start = time.time()
                write(pattern, out_dir)
                seconds = time.time() - start
                output = read_records(sorted(glob.glob(os.path.join(out_dir, "*.gz"))))
            if sorted(output) != sorted(source):
                raise RuntimeError(f"{name} repeat {repeat}: the output holds other records than the input")
            outputs[name].append(output)
            rows.append({"writer": name, "repeat": repeat, "records": len(output),
                         "order_breaks": order_breaks(source, output),
                         "same_as_first_repeat": output == outputs[name][0], "seconds": round(seconds, 1)})
            print(f"{name} repeat {repeat}: {rows[-1]['order_breaks']} order breaks in {len(output):,} records, "
                  f"{seconds:.1f} s", flush=True)
    body = "\n".join([
        f"Input: `{args.output_root}/data/{args.dataset}/examples/{args.split}` ({len(source):,} records, "
        f"{len(files)} file(s)). `stock` = TFX's ExampleGen write (Reshuffle + WriteToTFRecord, DirectRunner, one "
        "worker); `copy` = `pipeline/example_gen.py`. An order break is a record followed by one that came earlier "
        "in the input.", "",
        "| writer | repeat | records | order breaks | same order as repeat 0 | seconds |", "|---|---|---|---|---|---|",
        *[f"| {r['writer']} | {r['repeat']} | {r['records']:,} | {r['order_breaks']} | {r['same_as_first_repeat']} | "
          f"{r['seconds']} |" for r in rows],
    ])
    print(report.write(f"example-order-{args.dataset}-{args.split}", "ExampleGen: is the example order kept?", body,
                       {"dataset": args.dataset, "split": args.split, "records": len(source), "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(reported(main))
