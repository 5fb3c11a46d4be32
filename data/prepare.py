"""Turns a dataset into the files the pipeline ingests, and prints its Table-1 summary.

    python -m data.prepare --dataset ml-100k --out runs/data/ml-100k
    python -m data.prepare --dataset ml-1m --data-dir /path/to/ml-1m --out runs/data/ml-1m

Writes, under ``--out``:
  examples/{train,eval,test}/examples-*.tfrecord.gz  what ImportExampleGen reads, in order (data/tfrecords.py)
  examples/eval_ranking/examples-*.tfrecord.gz    the ranking eval set the Evaluator gates on (eval positives
                                            with sampled negatives: one listwise example per query;
                                            data/examples.py, data/tfrecords.py)
  examples/{train,eval,test,eval_ranking}/examples.csv   the same examples, readable, one row per example (for
                                            eval_ranking: per candidate, with its query_id)
  canonical/{interactions,users,items}.csv  the canonical log with its ``split`` column (for evaluation)
  summary.json, summary.md                  the Table-1-style summary
  manifest.json                             settings, input-file fingerprints, every output's size
A rerun reuses ``--out`` when the settings and the input files (size, mtime, first and last MiB) are the same
and every output file is there at its recorded size.

Nothing of the user's is lost: ``--out`` must be empty, absent or an earlier preparation (it has a
manifest), and outside ``--data-dir``. Everything is written to ``.prepare-<name>.new-*`` beside it first; the
old folder is renamed aside, the new one renamed in, then the old one deleted. A run killed at any point leaves
either the earlier preparation or the new complete one once the next run has started (:func:`recover`), and
that run deletes every temporary folder a dead run left. One preparation writes a folder at a time: a second
one is refused naming the first (data/outputs.py). A ``--out`` that is a symbolic link is prepared into the
link's target; the link stays.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from typing import Dict, List, Optional

from data import datasets
from data.canonical import InteractionLog
from data.errors import DataError, reported
from data.outputs import check_output_folder, exclusive, folder_lock, make_staging_folder, owner_alive, owner_tag, remove_leftover
from data.examples import (
    EVAL_NEGATIVES, EVAL_RANKING, QUERY_ID, RANKING_NEGATIVES, RANKING_QUERIES, TRAIN_NEGATIVES, build_examples, build_ranking_examples, catalogue,
)
from data.splits import EVAL, TEST, TRAIN, cold_items, leave_one_out
from data.tfrecords import write_examples, write_ranking_examples
from transforms.features import HISTORY_LENGTH  # no TensorFlow import: names and sizes only


# Bump when the files written here change, so cached preparations are redone.
# 3: duplicates merged; 4: train rows in a seeded random order; 5: several TFRecord files per split;
# 6: the eval_ranking split; 7: eval_ranking as one listwise example per query; 8: eval_ranking's positive at a
# seeded place among its query's candidates (was first).
FORMAT_VERSION = 8
MANIFEST = "manifest.json"
# Temporary folders beside --out: <prefix><name>.new-* (being written), <prefix><name>.old-* (being replaced).
LEFTOVER_PREFIX = ".prepare-"
FINGERPRINT_BLOCK = 1 << 20


@dataclasses.dataclass(frozen=True)
class PrepareSettings:
    dataset: str = "ml-100k"
    data_dir: Optional[str] = None
    n_train_negatives: int = TRAIN_NEGATIVES
    n_eval_negatives: int = EVAL_NEGATIVES
    n_ranking_negatives: int = RANKING_NEGATIVES  # per query of the ranking eval set (eval_ranking)
    max_ranking_queries: int = RANKING_QUERIES  # queries of eval_ranking at most (a seeded sample of eval positives)
    # Earlier training likes per example: the recent window the model reads; up to MAX_HISTORY (100) feed the
    # whole-history bag of TowerConfig.history_bag (off by default: trainer/base_model.py).
    history_length: int = HISTORY_LENGTH
    seed: int = 0
    examples_per_file: int = 250_000  # TFRecord files per split hold at most this many examples (eval_ranking: queries)

    def __post_init__(self):
        for name, least in SETTING_MINIMUMS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")


SETTING_MINIMUMS = {
    "n_train_negatives": 0, "n_eval_negatives": 1, "n_ranking_negatives": 1, "max_ranking_queries": 1, "history_length": 1, "seed": 0, "examples_per_file": 1,
}


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

    Reuses ``out_dir`` untouched when its manifest records the same settings and the same input files, and
    every output file it lists is there at its recorded size. ``log`` overrides loading ``settings.dataset``
    (tests and benchmarks pass a generated log; nothing is reused then). Raises OutputBusy while another process
    prepares the same folder.
    """
    check_out_dir(out_dir, settings.data_dir)
    with exclusive(folder_lock(out_dir), out_dir, "--out"):
        return _prepare_locked(settings, os.path.realpath(out_dir), log)


def _prepare_locked(settings: PrepareSettings, out_dir: str, log: Optional[InteractionLog]) -> Dict[str, object]:
    recover(out_dir)
    source = datasets.input_dir(settings.dataset, settings.data_dir) if log is None else None
    wanted = {"settings": dataclasses.asdict(settings), "format_version": FORMAT_VERSION}
    if log is None:
        reused = _reusable_summary(out_dir, wanted | {"inputs": fingerprint(source)})
        if reused is not None:
            return reused
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[data] {message} ({time.monotonic() - started:.0f} s)", flush=True)

    if log is None:
        log = datasets.load(settings.dataset, settings.data_dir)
    progress(f"{settings.dataset}: {len(log.interactions):,} interactions loaded; splitting and sampling negatives")
    split_frame = leave_one_out(log.interactions)
    if not (split_frame["split"] == EVAL).any():
        raise DataError(source or settings.dataset, "no user has three positive interactions, so there is nothing to "
                        "evaluate or test (each user's last positive is the test case, the one before it the eval case)")
    examples = build_examples(
        log, split_frame, settings.n_train_negatives, settings.n_eval_negatives, settings.history_length, settings.seed
    )
    examples[EVAL_RANKING] = build_ranking_examples(
        log, split_frame, settings.n_ranking_negatives, settings.history_length, settings.seed, settings.max_ranking_queries
    )
    summary = summarize(log, split_frame)

    parent, base = _parent_and_name(out_dir)
    os.makedirs(parent, exist_ok=True)
    staging = make_staging_folder(parent, f"{LEFTOVER_PREFIX}{base}.new")
    try:
        for split, frame in examples.items():
            if split == EVAL_RANKING:  # one listwise example per query (data/tfrecords.py)
                count, write = f"{frame[QUERY_ID].nunique():,} queries ({len(frame):,} candidates) as", write_ranking_examples
            else:
                count, write = f"{len(frame):,}", write_examples
            progress(f"writing {count} {split} examples")
            os.makedirs(os.path.join(staging, "examples", split))
            frame.to_csv(os.path.join(staging, "examples", split, "examples.csv"), index=False)
            write(frame, os.path.join(staging, "examples", split), settings.examples_per_file)
        os.makedirs(os.path.join(staging, "canonical"))
        split_frame.to_csv(os.path.join(staging, "canonical", "interactions.csv"), index=False)
        log.users.to_csv(os.path.join(staging, "canonical", "users.csv"), index=False)
        log.items.to_csv(os.path.join(staging, "canonical", "items.csv"), index=False)
        with open(os.path.join(staging, "summary.json"), "w") as handle:
            json.dump(summary, handle, indent=2)
        with open(os.path.join(staging, "summary.md"), "w") as handle:
            handle.write(summary_markdown(summary))
        manifest = wanted | {"inputs": fingerprint(source), "outputs": _output_sizes(staging)}
        _write_json_atomically(os.path.join(staging, MANIFEST), manifest)  # last: a staging folder with a
        # manifest is complete
        _swap_in(staging, out_dir)
    finally:
        if os.path.exists(staging):
            shutil.rmtree(staging)
    return summary


def check_out_dir(out_dir: str, data_dir: Optional[str]) -> None:
    """Refuses an ``out_dir`` that preparation may not replace: a file, a folder that holds anything but an
    earlier preparation (no manifest), a path below a file, the ``data_dir`` itself or a folder inside it or
    around it."""
    check_output_folder(out_dir, "--out")
    out = os.path.realpath(out_dir)
    if data_dir:
        source = os.path.realpath(data_dir)
        if out == source or out.startswith(source + os.sep) or source.startswith(out + os.sep):
            raise DataError(out_dir, f"--out must be outside --data-dir {data_dir} and not contain it: preparation "
                            "replaces the whole output folder")
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, MANIFEST)):
        raise DataError(out_dir, "this folder is not empty and is not an earlier preparation (no manifest.json): "
                        "refusing to replace it; choose another --out")


def recover(out_dir: str) -> None:
    """Finishes or undoes a preparation that was killed while replacing ``out_dir``, then deletes its leftovers.

    The replacement renames the old folder aside, renames the complete new one in, and deletes the old one;
    when ``out_dir`` is missing, the newest complete leftover (new before old) is renamed into place. A leftover
    whose writer still runs (its owner tag, data/outputs.py) is left alone; a leftover link is removed as a link.
    """
    parent, base = _parent_and_name(out_dir)
    if not os.path.isdir(parent):
        return
    leftovers = sorted(
        (os.path.join(parent, name) for name in os.listdir(parent)
         if name.startswith(f"{LEFTOVER_PREFIX}{base}.") and not owner_alive(name)),
        key=lambda path: ".new-" not in os.path.basename(path),
    )
    if not os.path.exists(out_dir):
        complete = [path for path in leftovers if _read_complete_manifest(path) is not None]
        if complete:
            print(f"[data] restoring the preparation interrupted in {complete[0]}", flush=True)
            os.replace(complete[0], out_dir)
            leftovers.remove(complete[0])
    for path in leftovers:
        print(f"[data] deleting {path}, left by an interrupted preparation", flush=True)
        remove_leftover(path)


def fingerprint(directory: Optional[str]) -> Dict[str, List[object]]:
    """What identifies the input files of a preparation: for every regular file directly in ``directory``,
    [size, mtime in ns, SHA-256 of its first and last MiB]. Empty for a generated dataset (``None``)."""
    if not directory or not os.path.isdir(directory):
        return {}
    result = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.startswith(".") or name.endswith(".partial") or not os.path.isfile(path):
            continue
        stat = os.stat(path)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            digest.update(handle.read(FINGERPRINT_BLOCK))
            handle.seek(max(stat.st_size - FINGERPRINT_BLOCK, 0))
            digest.update(handle.read(FINGERPRINT_BLOCK))
        result[name] = [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]
    return result


def _reusable_summary(out_dir: str, wanted: Dict[str, object]) -> Optional[Dict[str, object]]:
    manifest = _read_complete_manifest(out_dir)
    if manifest is None or {key: manifest.get(key) for key in wanted} != wanted:
        return None
    with open(os.path.join(out_dir, "summary.json")) as handle:
        return json.load(handle)


def _read_complete_manifest(folder: str) -> Optional[Dict[str, object]]:
    """The folder's manifest when every output file it lists is there at its recorded size, else None."""
    try:
        with open(os.path.join(folder, MANIFEST)) as handle:
            manifest = json.load(handle)
        outputs = manifest["outputs"]
        complete = all(os.path.getsize(os.path.join(folder, path)) == size for path, size in outputs.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return manifest if complete else None


def _output_sizes(folder: str) -> Dict[str, int]:
    sizes = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            sizes[os.path.relpath(path, folder)] = os.path.getsize(path)
    return dict(sorted(sizes.items()))


def _swap_in(staging: str, out_dir: str) -> None:
    """Replaces ``out_dir`` by the complete ``staging`` folder so that a kill at any point leaves a state
    :func:`recover` repairs: old aside, new in, old deleted."""
    parent, base = _parent_and_name(out_dir)
    aside = None
    if os.path.exists(out_dir):
        aside = os.path.join(parent, f"{LEFTOVER_PREFIX}{base}.old{owner_tag()}{uuid.uuid4().hex[:8]}")
        os.replace(out_dir, aside)
    os.replace(staging, out_dir)
    if aside is not None:
        shutil.rmtree(aside)


def _write_json_atomically(path: str, payload: Dict[str, object]) -> None:
    with open(path + ".partial", "w") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(path + ".partial", path)


def _parent_and_name(out_dir: str):
    out = os.path.abspath(out_dir)
    return os.path.dirname(out), os.path.basename(out)


def at_least(least: int):
    """An argparse type: a whole number >= ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value

    return parse


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ml-100k", choices=sorted(datasets.LOADERS))
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's published files")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--train-negatives", type=at_least(0), default=PrepareSettings.n_train_negatives,
                        help="sampled negatives per training positive")
    parser.add_argument("--eval-negatives", type=at_least(1), default=PrepareSettings.n_eval_negatives,
                        help="sampled negatives per eval/test positive")
    parser.add_argument("--ranking-negatives", type=at_least(1), default=PrepareSettings.n_ranking_negatives,
                        help="sampled negatives per query of the ranking eval set the Evaluator gates on")
    parser.add_argument("--ranking-queries", type=at_least(1), default=PrepareSettings.max_ranking_queries,
                        help="most queries of that set (a seeded sample of the eval positives when there are more)")
    parser.add_argument("--history-length", type=at_least(1), default=PrepareSettings.history_length,
                        help="most earlier training likes in an example's history (the model reads the last 20; up to 100 "
                             "with the base's history_bag)")
    parser.add_argument("--seed", type=at_least(0), default=0)
    parser.add_argument("--examples-per-file", type=at_least(1), default=PrepareSettings.examples_per_file,
                        help="most examples in one TFRecord file of a split (eval_ranking: queries; more files: more parallel Beam reads)")
    args = parser.parse_args(argv)
    settings = PrepareSettings(
        dataset=args.dataset, data_dir=args.data_dir, n_train_negatives=args.train_negatives,
        n_eval_negatives=args.eval_negatives, n_ranking_negatives=args.ranking_negatives,
        max_ranking_queries=args.ranking_queries, history_length=args.history_length, seed=args.seed,
        examples_per_file=args.examples_per_file,
    )

    def run() -> int:
        print(summary_markdown(prepare(settings, args.out)))
        return 0

    return reported(run)


if __name__ == "__main__":
    sys.exit(main())
