"""The Trainers' training input held in memory: every training row's model inputs, read once, replayed each epoch.

Read from the files, every epoch parses every training row again, and parsing is most of an epoch (ML-100K: ~6 of
~7 s of a BaseTrainer epoch). So each Trainer reads the transformed training examples once (the pass it makes
anyway for the training likes, the item feature table and, in the PromoTrainer, the per-item tables of
trainer/item_tables.py) and keeps what its steps take: each
row's user index, item index, history, label and cold flag, and each user's and item's feature bag. The softmax
base learns from each batch's positives only (~1 row in 5.6 on ML-100K), so it keeps only those; the prompt stage
and the pointwise base keep every row.

The batches are the file reader's batches: :func:`replayed_batches` replays the order in which tfx_bsl's
``make_tf_record_dataset`` (what ``TensorFlowDataset`` with ``shuffle`` reads through, the TFX Trainer's
``data_accessor`` included) visits the rows (the files listed and shuffled with the seed, interleaved as it
interleaves them, the rows shuffled in a buffer of ``SHUFFLE_BUFFER`` with the seed, cut into ``batch_size``
rows) on row numbers instead of records, and keeps each batch's kept rows in their order. Same seed, same batches:
the trained model is the one the files would give (tests/test_memory_input.py compares the two streams batch by
batch over two epochs, on one file and on two). Why not TFX's own reader: it has no way to read once and replay;
why not any shuffle of the rows: that trains another model (other batches) than the one the benchmarks' tables
measured.

Memory: per kept row 8 bytes for its two indices, 4 per history column (int32), 4 for the label and 1 for the cold
flag; 4 per training row (its number among the kept rows); one feature bag per user and per item. At 10M
interactions (~25M rows, ~4.5M positives, 20 history columns): ~0.5 GB for the softmax base, ~2.5 GB for the prompt
stage (arithmetic, not measured).
"""
from __future__ import annotations

import dataclasses
from typing import List, Optional, Sequence

import numpy as np
import tensorflow as tf

from trainer.item_tables import TABLE_FEATURES, ItemTables
from trainer.inputs import READER_THREADS, SHUFFLE_BUFFER, DatasetFactory, file_dataset_factory, transformed_dataset
from transforms import features as F

# What a pass reads and replayed_batches can give: the scoring models' inputs and the cold flag
COLUMNS = (F.USER_INDEX, F.USER_FEATURE_INDICES, F.HISTORY_INDICES, F.ITEM_INDEX, F.ITEM_FEATURE_INDICES, F.IS_COLD)


@dataclasses.dataclass
class TrainingRows:
    """The kept training rows' inputs and where they sit among all training rows.

    ``files``: the training files as ``tf.io.matching_files`` lists the patterns (rows are numbered in this order);
    ``file_rows`` [files]: rows per file; ``row_kept`` [rows] int32: the row's number among the kept rows, -1 for a
    row not kept; ``users``, ``items`` [K] int64, ``history`` [K, W] int32, ``labels`` [K] float32 and ``is_cold``
    [K] int8: each kept row's inputs; ``user_features`` [users, MAX_USER_TOKENS] and ``item_features`` [items,
    MAX_ITEM_TOKENS] int64: each user's and item's feature bag (a later row wins; every row of an id carries its
    bag), the latter also what trainer/retrieval.py calls the item feature table; ``keep_all``: every row kept, or
    the positives only; ``item_tables``: the prompt stage's per-item tables when the pass was asked for them.
    """

    keep_all: bool
    files: List[bytes]
    file_rows: np.ndarray
    row_kept: np.ndarray
    users: np.ndarray
    items: np.ndarray
    history: np.ndarray
    labels: np.ndarray
    is_cold: np.ndarray
    user_features: np.ndarray
    item_features: np.ndarray
    item_tables: Optional[ItemTables] = None

    @property
    def likes(self):
        """(users, items) of every training positive, in file order (trainer/inputs.py: training_positives)."""
        positive = self.labels == 1
        return self.users[positive], self.items[positive]


def read_training_rows(tf_transform_output, train_files: List[str], keep_all: bool,
                       dataset_factory: DatasetFactory = file_dataset_factory, with_item_tables: bool = False) -> TrainingRows:
    """One pass over ``train_files`` (file by file, through ``dataset_factory``): the :class:`TrainingRows` of every
    row (``keep_all``) or of the positives only; ``with_item_tables``: also the prompt stage's per-item tables
    (trainer/item_tables.py), from the same pass."""
    from trainer.base_model import VocabularySizes
    from trainer.retrieval import keep_item_features

    sizes = VocabularySizes.from_transform_output(tf_transform_output)
    files = [bytes(f) for f in tf.io.matching_files(train_files).numpy()]
    user_features = np.zeros((sizes.users, F.MAX_USER_TOKENS), np.int64)
    item_features = np.zeros((sizes.items, F.MAX_ITEM_TOKENS), np.int64)
    tables = ItemTables.empty(sizes.items) if with_item_tables else None
    names = tuple(dict.fromkeys(COLUMNS + (TABLE_FEATURES if with_item_tables else ())))
    file_rows, kept, columns = [], [], {name: [] for name in ("users", "items", "history", "labels", "is_cold")}
    for name in files:
        rows = 0
        dataset = transformed_dataset([name.decode()], tf_transform_output, 8192, names, False, dataset_factory=dataset_factory)
        for features, label in dataset.as_numpy_iterator():
            keep_item_features(item_features, features)
            if tables is not None:
                tables.keep(features)
            user_features[features[F.USER_INDEX]] = features[F.USER_FEATURE_INDICES]
            label = label.reshape(-1)
            keep = np.ones(label.size, bool) if keep_all else label == 1
            kept.append(keep)
            columns["users"].append(features[F.USER_INDEX][keep])
            columns["items"].append(features[F.ITEM_INDEX][keep])
            columns["history"].append(features[F.HISTORY_INDICES][keep].astype(np.int32))
            columns["labels"].append(label[keep].astype(np.float32))
            columns["is_cold"].append(features[F.IS_COLD][keep].astype(np.int8))
            rows += label.size
        file_rows.append(rows)
    width = tf_transform_output.transformed_feature_spec()[F.HISTORY_INDICES].shape[0]
    empty = {"users": np.zeros(0, np.int64), "items": np.zeros(0, np.int64), "history": np.zeros((0, width), np.int32),
             "labels": np.zeros(0, np.float32), "is_cold": np.zeros(0, np.int8)}
    kept = np.concatenate(kept) if kept else np.zeros(0, bool)
    row_kept = np.full(kept.size, -1, np.int32)
    row_kept[kept] = np.arange(kept.sum(), dtype=np.int32)
    return TrainingRows(keep_all, files, np.asarray(file_rows, np.int64), row_kept,
                        **{k: np.concatenate(v) if v else empty[k] for k, v in columns.items()},
                        user_features=user_features, item_features=item_features, item_tables=tables)


def interleaved_rows(starts: np.ndarray, counts: np.ndarray, order: np.ndarray, cycle: int) -> np.ndarray:
    """The row numbers, in the order ``Dataset.interleave(cycle_length=cycle, block_length=1)`` yields them, of files
    visited in ``order`` whose rows are ``starts[f] .. starts[f] + counts[f] - 1``.

    tf.data's interleave: ``cycle`` slots visited in turn; a visit to an open slot yields its file's next row, or,
    the file done, closes the slot; a visit to an empty slot opens the next file there and yields from it at once.
    Why not the op itself on row numbers: it costs ~30 us per row (10 s per ML-100K epoch). Rounds in which every
    slot yields are laid out at once; tests/test_memory_input.py checks the result against the op.
    """
    pending = [int(f) for f in order[::-1]]  # pop() gives the next file
    slot_file, slot_next = [-1] * cycle, [0] * cycle
    chunks, k = [], 0
    while pending or any(f >= 0 for f in slot_file):
        open_slots = [s for s in range(cycle) if slot_file[s] >= 0]
        if k == 0 and open_slots and (len(open_slots) == cycle or not pending):
            rounds = min(counts[slot_file[s]] - slot_next[s] for s in open_slots)
            if rounds > 0:  # every open slot yields one row per round, in slot order
                firsts = np.array([starts[slot_file[s]] + slot_next[s] for s in open_slots], np.int64)
                chunks.append((firsts[np.newaxis, :] + np.arange(rounds, dtype=np.int64)[:, np.newaxis]).ravel())
                for s in open_slots:
                    slot_next[s] += rounds
                continue
        if slot_file[k] >= 0:
            f = slot_file[k]
            if slot_next[k] < counts[f]:
                chunks.append(np.array([starts[f] + slot_next[k]], np.int64))
                slot_next[k] += 1
            else:
                slot_file[k] = -1
            k = (k + 1) % cycle
        elif pending:
            slot_file[k], slot_next[k] = pending.pop(), 0
        else:
            k = (k + 1) % cycle
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int64)


def interleave_cycle(n_inputs: int) -> int:
    """The cycle length tf.data's ``interleave`` takes, over ``n_inputs`` inputs, when given none and READER_THREADS
    parallel calls (as tfx_bsl calls it; TF then cycles over min(parallel calls, cores) inputs, so 1 today): read
    off the op on ``n_inputs + 1`` two-element inputs. A cycle above ``n_inputs`` orders them as ``n_inputs + 1``
    does, so that is the most it returns."""
    probe = tf.data.Dataset.range(n_inputs + 1).interleave(lambda f: tf.data.Dataset.from_tensor_slices([f, f]),
                                                           num_parallel_calls=READER_THREADS)
    firsts = [int(v) for v in probe.take(n_inputs + 2)]
    return firsts.index(0, 1)


def row_numbers(rows: TrainingRows, train_files: List[str], batch_size: int, seed: int) -> tf.data.Dataset:
    """Batches of row numbers in the order the shuffled file reader reads the rows (module docstring): tfx_bsl's
    ``make_tf_record_dataset`` steps (files listed and shuffled with ``seed``, interleaved, rows shuffled with
    ``seed`` in a SHUFFLE_BUFFER, batched) with each file's records replaced by its row numbers."""
    counts = rows.file_rows
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    position = {name: i for i, name in enumerate(rows.files)}
    cycle = interleave_cycle(len(rows.files))

    def epoch_rows(names):  # TF keeps this function for the process's life: it must not hold the rows themselves
        return interleaved_rows(starts, counts, np.array([position[bytes(n)] for n in names]), cycle)

    names = tf.data.Dataset.list_files(tf.convert_to_tensor(train_files), shuffle=True, seed=seed)
    numbers = names.batch(len(rows.files)).map(
        lambda batch: tf.ensure_shape(tf.numpy_function(epoch_rows, [batch], tf.int64, stateful=False), [None]))
    numbers = numbers.flat_map(tf.data.Dataset.from_tensor_slices)
    return numbers.shuffle(SHUFFLE_BUFFER, seed).batch(batch_size)


def replayed_batches(rows: TrainingRows, train_files: List[str], batch_size: int, seed: int, names: Sequence[str]
                     ) -> tf.data.Dataset:
    """``(features, labels)`` batches of the kept rows of :func:`row_numbers`' batches (in their order), with the
    features ``names`` (of COLUMNS): what trainer/inputs.py's ``transformed_dataset`` gives for ``train_files``
    shuffled with ``seed`` in batches of ``batch_size``, restricted to the kept rows."""
    unknown = sorted(set(names) - set(COLUMNS))
    if unknown:
        raise ValueError(f"replayed batches hold {COLUMNS}, not {unknown}")
    row_kept = tf.constant(rows.row_kept)
    users, items = tf.constant(rows.users, tf.int64), tf.constant(rows.items, tf.int64)
    history, labels, is_cold = tf.constant(rows.history), tf.constant(rows.labels), tf.constant(rows.is_cold)
    user_features, item_features = tf.constant(rows.user_features, tf.int64), tf.constant(rows.item_features, tf.int64)

    def gather(numbers):
        kept = tf.gather(row_kept, numbers)
        kept = tf.boolean_mask(kept, kept >= 0)
        user, item = tf.gather(users, kept), tf.gather(items, kept)
        columns = {
            F.USER_INDEX: lambda: user,
            F.USER_FEATURE_INDICES: lambda: tf.gather(user_features, user),
            F.HISTORY_INDICES: lambda: tf.cast(tf.gather(history, kept), tf.int64),
            F.ITEM_INDEX: lambda: item,
            F.ITEM_FEATURE_INDICES: lambda: tf.gather(item_features, item),
            F.IS_COLD: lambda: tf.cast(tf.gather(is_cold, kept), tf.int64),
        }
        return {name: columns[name]() for name in names}, tf.gather(labels, kept)

    return row_numbers(rows, train_files, batch_size, seed).map(gather).prefetch(tf.data.AUTOTUNE)
