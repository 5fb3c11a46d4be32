"""The softmax base's training input held in memory: every training positive's model inputs, read once.

The softmax objective (trainer/base_retrieval.py) learns from the positives of each batch only (~1 row in 5.6 on
ML-100K); read from the files, every epoch parses every row, and parsing is most of an epoch (ML-100K: ~6 of ~7 s
of a BaseTrainer epoch). So the Trainer's one pass over the transformed training examples (which it makes anyway
for the item feature table and the training likes: trainer/retrieval.py training_tables) keeps each positive's
user index, item index and history, and each user's feature bag, and the epochs run from memory.

The batches are the file reader's batches, positives only: :func:`positive_batches` replays the order in which
tfx_bsl's ``make_tf_record_dataset`` (what ``TensorFlowDataset`` with ``shuffle`` reads through, the TFX Trainer's
``data_accessor`` included) visits the rows (the files listed and shuffled with the seed, interleaved as it
interleaves them, the rows shuffled in a buffer of ``SHUFFLE_BUFFER`` with the seed, cut into ``batch_size``
rows) on row numbers instead of records, and keeps each batch's positives in their order. Same seed, same
batches: the trained base is the one the files would give (tests/test_positive_rows.py compares the two streams
batch by batch over two epochs, on one file and on two). Why not TFX's own reader: it has no way to read once and
replay; why not any shuffle of the positives: that trains another model (other batches) than the one the
benchmarks' tables measured.

Memory: 8 bytes per positive for its two indices, 4 per history column (int32), 4 per training row (its positive's
number), and one feature bag per user: ~0.5 GB at 10M interactions (4.5M positives, 25M rows, 20 history columns).
"""
from __future__ import annotations

import dataclasses
from typing import List

import numpy as np
import tensorflow as tf

from trainer.inputs import SHUFFLE_BUFFER, DatasetFactory, file_dataset_factory, transformed_dataset
from transforms import features as F

READ_COLUMNS = (F.USER_INDEX, F.USER_FEATURE_INDICES, F.HISTORY_INDICES, F.ITEM_INDEX, F.ITEM_FEATURE_INDICES)


@dataclasses.dataclass
class PositiveRows:
    """The training positives' model inputs and where they sit among the training rows.

    ``files``: the training files as ``tf.io.matching_files`` lists the patterns (rows are numbered in this order);
    ``file_rows`` [files]: rows per file; ``row_positive`` [rows] int32: the row's number among the positives, -1
    for a row that is not one; ``users``, ``items`` [P] int64 and ``history`` [P, W] int32: each positive's inputs;
    ``user_features`` [users, MAX_USER_TOKENS] int64: each user's feature bag (a user's rows all carry its bag).
    """

    files: List[bytes]
    file_rows: np.ndarray
    row_positive: np.ndarray
    users: np.ndarray
    items: np.ndarray
    history: np.ndarray
    user_features: np.ndarray

    @property
    def likes(self):
        """(users, items) of every training positive, in file order (trainer/inputs.py: training_positives)."""
        return self.users, self.items


def read_positive_rows(tf_transform_output, train_files: List[str], item_features: np.ndarray, n_users: int,
                       dataset_factory: DatasetFactory = file_dataset_factory) -> PositiveRows:
    """One pass over ``train_files`` (file by file, through ``dataset_factory``): the :class:`PositiveRows`, and
    every row's item feature bag written into ``item_features`` at its item index (a later row wins)."""
    from trainer.retrieval import keep_item_features

    files = [bytes(f) for f in tf.io.matching_files(train_files).numpy()]
    user_features = np.zeros((n_users, F.MAX_USER_TOKENS), np.int64)
    file_rows, labels, users, items, history = [], [], [], [], []
    for name in files:
        rows = 0
        dataset = transformed_dataset([name.decode()], tf_transform_output, 8192, READ_COLUMNS, False, dataset_factory=dataset_factory)
        for features, label in dataset.as_numpy_iterator():
            keep_item_features(item_features, features)
            user_features[features[F.USER_INDEX]] = features[F.USER_FEATURE_INDICES]
            positive = label.reshape(-1) == 1
            labels.append(positive)
            users.append(features[F.USER_INDEX][positive])
            items.append(features[F.ITEM_INDEX][positive])
            history.append(features[F.HISTORY_INDICES][positive].astype(np.int32))
            rows += positive.size
        file_rows.append(rows)
    positive = np.concatenate(labels) if labels else np.zeros(0, bool)
    row_positive = np.full(positive.size, -1, np.int32)
    row_positive[positive] = np.arange(positive.sum(), dtype=np.int32)
    width = tf_transform_output.transformed_feature_spec()[F.HISTORY_INDICES].shape[0]
    return PositiveRows(
        files, np.asarray(file_rows, np.int64), row_positive,
        np.concatenate(users) if users else np.zeros(0, np.int64), np.concatenate(items) if items else np.zeros(0, np.int64),
        np.concatenate(history) if history else np.zeros((0, width), np.int32), user_features,
    )


def interleaved_rows(starts: np.ndarray, counts: np.ndarray, order: np.ndarray, cycle: int) -> np.ndarray:
    """The row numbers, in the order ``Dataset.interleave(cycle_length=cycle, block_length=1)`` yields them, of files
    visited in ``order`` whose rows are ``starts[f] .. starts[f] + counts[f] - 1``.

    tf.data's interleave: ``cycle`` slots visited in turn; a visit to an open slot yields its file's next row, or,
    the file done, closes the slot; a visit to an empty slot opens the next file there and yields from it at once.
    Why not the op itself on row numbers: it costs ~30 us per row (10 s per ML-100K epoch). Rounds in which every
    slot yields are laid out at once; tests/test_positive_rows.py checks the result against the op.
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


def interleave_cycle() -> int:
    """The cycle length tf.data's ``interleave`` uses when given none (as tfx_bsl calls it): read off the op on
    eight two-element inputs (it defaults to the machine's schedulable cores)."""
    probe = tf.data.Dataset.range(8).interleave(lambda f: tf.data.Dataset.from_tensor_slices([f, f]), num_parallel_calls=1)
    firsts = [int(v) for v in probe.take(8)]
    return firsts.index(0, 1)


def row_numbers(rows: PositiveRows, train_files: List[str], batch_size: int, seed: int) -> tf.data.Dataset:
    """Batches of row numbers in the order the shuffled file reader reads the rows (module docstring): tfx_bsl's
    ``make_tf_record_dataset`` steps (files listed and shuffled with ``seed``, interleaved, rows shuffled with
    ``seed`` in a SHUFFLE_BUFFER, batched) with each file's records replaced by its row numbers."""
    starts = np.concatenate([[0], np.cumsum(rows.file_rows)[:-1]]).astype(np.int64)
    position = {name: i for i, name in enumerate(rows.files)}
    cycle = interleave_cycle()

    def epoch_rows(names):
        return interleaved_rows(starts, rows.file_rows, np.array([position[bytes(n)] for n in names]), cycle)

    names = tf.data.Dataset.list_files(tf.convert_to_tensor(train_files), shuffle=True, seed=seed)
    numbers = names.batch(len(rows.files)).map(
        lambda batch: tf.ensure_shape(tf.numpy_function(epoch_rows, [batch], tf.int64, stateful=False), [None]))
    numbers = numbers.flat_map(tf.data.Dataset.from_tensor_slices)
    return numbers.shuffle(SHUFFLE_BUFFER, seed).batch(batch_size)


def positive_batches(rows: PositiveRows, train_files: List[str], item_features: np.ndarray, batch_size: int, seed: int
                     ) -> tf.data.Dataset:
    """``(features, labels)`` batches of the positives of :func:`row_numbers`' batches (in their order), with the
    base model's inputs (trainer/base_model.py MODEL_INPUTS) and labels 1: what the softmax objective takes from the
    file reader's batches of ``batch_size`` rows shuffled with ``seed``."""
    row_positive = tf.constant(rows.row_positive)
    users, items = tf.constant(rows.users, tf.int64), tf.constant(rows.items, tf.int64)
    history, user_features = tf.constant(rows.history), tf.constant(rows.user_features, tf.int64)
    item_table = tf.constant(item_features, tf.int64)

    def gather(numbers):
        positives = tf.gather(row_positive, numbers)
        positives = tf.boolean_mask(positives, positives >= 0)
        user, item = tf.gather(users, positives), tf.gather(items, positives)
        features = {
            F.USER_INDEX: user,
            F.USER_FEATURE_INDICES: tf.gather(user_features, user),
            F.HISTORY_INDICES: tf.cast(tf.gather(history, positives), tf.int64),
            F.ITEM_INDEX: item,
            F.ITEM_FEATURE_INDICES: tf.gather(item_table, item),
        }
        return features, tf.ones_like(user, tf.float32)

    return row_numbers(rows, train_files, batch_size, seed).map(gather).prefetch(tf.data.AUTOTUNE)
