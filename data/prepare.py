"""Turns a dataset into the files the pipeline ingests, and prints its Table-1 summary.

    python -m data.prepare --dataset ml-100k --out runs/data/ml-100k
    python -m data.prepare --dataset ml-1m --data-dir /path/to/ml-1m --out runs/data/ml-1m

Writes, under ``--out``:
  examples/{train,eval,test}/examples-*.tfrecord.gz  what ImportExampleGen reads, in order (data/tfrecords.py)
  examples/{train,eval,test}/examples.csv   the same examples, readable (see data/examples.py)
  canonical/{interactions,users,items}.csv  the canonical log with its ``split`` column (for evaluation)
  summary.json, summary.md                  the Table-1-style summary
  manifest.json                             the settings; a rerun with the same settings reuses the files
Everything is written to a temporary folder first and moved into place at the end, so an interrupted or
failed run never leaves half-written data beside earlier results.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Dict, Optional

from data import datasets
from data.canonical import InteractionLog
from data.examples import build_examples, catalogue
from data.splits import TEST, TRAIN, cold_items, leave_one_out
from data.tfrecords import write_examples


# Bump when the files written here change, so cached preparations are redone.
# 3: duplicates merged; 4: train rows in a seeded random order; 5: several TFRecord files per split.
FORMAT_VERSION = 5


@dataclasses.dataclass(frozen=True)
class PrepareSettings:
    dataset: str = "ml-100k"
    data_dir: Optional[str] = None
    n_train_negatives: int = 4
    n_eval_negatives: int = 4
    history_length: int = 20
    seed: int = 0
    examples_per_file: int = 250_000  # TFRecord files per split hold at most this many rows (data/tfrecords.py)


def summarize(log: InteractionLog, split_frame) -> Dict[str, object]:
    """Table-1-style numbers (paper Table 1) plus the cold-start figures of §5.1."""
    items = catalogue(log.items, log.interactions)
    cold = cold_items(split_frame, items, log.config.cold_threshold)
    test = split_frame[split_frame["split"] == TEST]
    fields = log.feature_fields()
    return {
        "dataset": log.config.name,
        "users": int(log.interactions["user_id"].nunique()),
        "items": int(log.interactions["item_id"].nunique()),
        "interactions": int(len(log.interactions)),
        "merged_duplicates": int(log.merged_duplicates),
        "positives": int(log.interactions["label"].sum()),
        "user_feature_fields": fields["user"],
        "item_feature_fields": fields["item"],
        "cold_threshold": log.config.cold_threshold,
        "alpha": log.config.alpha,
        "beta": log.config.beta,
        "cold_items": int(len(cold)),
        "cold_item_share": round(len(cold) / max(len(items), 1), 4),
        "train_interactions": int((split_frame["split"] == TRAIN).sum()),
        "test_cases": int(len(test)),
        "cold_test_cases": int(test["item_id"].isin(cold).sum()),
        "positive_rule": log.config.positive_rule,
    }


def summary_markdown(summary: Dict[str, object]) -> str:
    header = "| dataset | users | items | interactions | positives | user feats | item feats | cold items (share) | test cases | cold test cases |"
    row = (
        f"| {summary['dataset']} | {summary['users']:,} | {summary['items']:,} | {summary['interactions']:,} | "
        f"{summary['positives']:,} | {summary['user_feature_fields']} | {summary['item_feature_fields']} | "
        f"{summary['cold_items']:,} ({summary['cold_item_share']:.1%}) | {summary['test_cases']:,} | {summary['cold_test_cases']:,} |"
    )
    return "\n".join([header, "|" + "---|" * 10, row]) + "\n"


def prepare(settings: PrepareSettings, out_dir: str, log: Optional[InteractionLog] = None) -> Dict[str, object]:
    """Writes the prepared dataset to ``out_dir`` (see module docstring) and returns its summary.

    Reuses ``out_dir`` untouched when its manifest records the same settings. ``log`` overrides loading
    ``settings.dataset`` (tests and benchmarks pass a generated log).
    """
    manifest = dataclasses.asdict(settings) | {"format_version": FORMAT_VERSION}
    manifest_path = os.path.join(out_dir, "manifest.json")
    if log is None and os.path.exists(manifest_path):
        with open(manifest_path) as handle:
            if json.load(handle) == manifest:
                with open(os.path.join(out_dir, "summary.json")) as summary_file:
                    return json.load(summary_file)
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[data] {message} ({time.monotonic() - started:.0f} s)", flush=True)

    if log is None:
        log = datasets.load(settings.dataset, settings.data_dir)
    progress(f"{settings.dataset}: {len(log.interactions):,} interactions loaded; splitting and sampling negatives")
    split_frame = leave_one_out(log.interactions)
    examples = build_examples(
        log, split_frame, settings.n_train_negatives, settings.n_eval_negatives, settings.history_length, settings.seed
    )
    summary = summarize(log, split_frame)

    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".prepare-", dir=parent)
    try:
        for split, frame in examples.items():
            progress(f"writing {len(frame):,} {split} examples")
            os.makedirs(os.path.join(staging, "examples", split))
            frame.to_csv(os.path.join(staging, "examples", split, "examples.csv"), index=False)
            write_examples(frame, os.path.join(staging, "examples", split), settings.examples_per_file)
        os.makedirs(os.path.join(staging, "canonical"))
        split_frame.to_csv(os.path.join(staging, "canonical", "interactions.csv"), index=False)
        log.users.to_csv(os.path.join(staging, "canonical", "users.csv"), index=False)
        log.items.to_csv(os.path.join(staging, "canonical", "items.csv"), index=False)
        with open(os.path.join(staging, "summary.json"), "w") as handle:
            json.dump(summary, handle, indent=2)
        with open(os.path.join(staging, "summary.md"), "w") as handle:
            handle.write(summary_markdown(summary))
        with open(os.path.join(staging, "manifest.json"), "w") as handle:
            json.dump(manifest, handle, indent=2)
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k", choices=sorted(datasets.LOADERS))
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's published files")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--train-negatives", type=int, default=4, help="sampled negatives per training positive")
    parser.add_argument("--eval-negatives", type=int, default=4, help="sampled negatives per eval/test positive")
    parser.add_argument("--history-length", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples-per-file", type=int, default=PrepareSettings.examples_per_file,
                        help="most rows in one TFRecord file of a split (more files: more parallel Beam reads)")
    args = parser.parse_args(argv)
    settings = PrepareSettings(
        args.dataset, args.data_dir, args.train_negatives, args.eval_negatives, args.history_length, args.seed,
        args.examples_per_file,
    )
    summary = prepare(settings, args.out)
    print(summary_markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
