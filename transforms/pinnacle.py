"""Pinnacle feedback (paper §4.1.1, Eq. 4) computed in Beam as a tf.Transform analyzer.

For every item of the training split: its top-(k+1) positive users by value v(u,i) = alpha*CR + beta*IR (Eq. 4)
and k negative-feedback users (users without any positive training interaction with it), sampled with a
seed. k+1 users are kept so that a consumer can drop the user being scored and still have k ("take the
next-ranked user instead"). Both tables are built in one distributed pass: batches are pre-aggregated per
item with numpy, grouped by item across workers, and only the final per-item rows (k+1 and k users) are
collected onto one worker to form the tables, which become constants of the Transform graph.

Table rows are indexed by item vocabulary index; the last row (the OOV bucket) is empty. Entries are user
vocabulary index + 1, with 0 meaning "no user". Ties in value are broken by the smaller user index.

One definition, two drivers: the value is transforms/pinnacle_value.pinnacle_value (Eq. 4) and one item's rows are
``item_lists`` (``rank_pinnacle_users``, ``sample_negative_users``), the reference. The Beam analyzer
(``_PinnacleTables``, in the Transform) and ``tables_in_memory`` (one process, for trainer/refresh.py) only group
the rows per item and call ``item_lists``; transforms/preprocessing_test.py
(test_in_memory_tables_equal_the_beam_analyzers) checks that both give the same tables for the same data. The
trainer reads the tables and leaves the scored user out at scoring time (trainer/promo_layers.PinnacleLists).
"""
from __future__ import annotations

from typing import Iterable, Tuple

import apache_beam as beam
import numpy as np
import tensorflow as tf
import tensorflow_transform as tft


def _per_item_in_batch(batch) -> Iterable[Tuple[int, Tuple[np.ndarray, np.ndarray]]]:
    """One batch -> (item, (positive users, their values)) for every item in it (empty arrays: no positives)."""
    items, users, values, labels = (np.asarray(a).reshape(-1) for a in batch)
    if items.size == 0:
        return
    positive = labels == 1
    order = np.argsort(items, kind="stable")
    items, users, values, positive = items[order], users[order], values[order], positive[order]
    boundaries = np.flatnonzero(np.diff(items)) + 1
    for item_users, item_values, item_positive, item in zip(
        np.split(users, boundaries), np.split(values, boundaries), np.split(positive, boundaries), items[np.r_[0, boundaries]]
    ):
        yield int(item), (item_users[item_positive], item_values[item_positive])


def rank_pinnacle_users(users: np.ndarray, values: np.ndarray, length: int) -> np.ndarray:
    """Distinct users by their best value, highest first (ties: smaller user index), first ``length``, + 1."""
    if users.size == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((users, -values))  # by value desc, then user asc
    users = users[order]
    _, first = np.unique(users, return_index=True)
    distinct = users[np.sort(first)]
    return distinct[:length].astype(np.int64) + 1


def sample_negative_users(positive_users: np.ndarray, n_users: int, k: int, seed: int, item: int) -> np.ndarray:
    """``k`` distinct users (index + 1) without positive feedback on ``item``; fewer when too few exist."""
    excluded = set(np.asarray(positive_users).tolist())
    if n_users - len(excluded) <= k:
        return np.array([u for u in range(n_users) if u not in excluded], np.int64) + 1
    rng = np.random.default_rng([seed, item])
    picked = []
    while len(picked) < k:
        for user in rng.integers(0, n_users, 2 * k).tolist():
            if user not in excluded:
                excluded.add(user)
                picked.append(user)
                if len(picked) == k:
                    break
    return np.array(picked, np.int64) + 1


def _pad(row: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros(length, np.int64)
    out[: min(length, row.size)] = row[:length]
    return out


def item_lists(item: int, users: np.ndarray, values: np.ndarray, n_users: int, k: int, seed: int):
    """One item's row of both tables: (item, top-(k+1) positive users, k sampled negative users), all + 1."""
    users, values = np.asarray(users, np.int64), np.asarray(values, np.float64)
    return item, rank_pinnacle_users(users, values, k + 1), sample_negative_users(users, n_users, k, seed, item)


def assemble_tables(rows, n_rows: int, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """``item_lists`` rows -> (pinnacle [n_rows, k + 1], negatives [n_rows, k]); rows without data stay empty."""
    pinnacle = np.zeros((n_rows, k + 1), np.int64)
    negatives = np.zeros((n_rows, k), np.int64)
    for item, ranked, sampled in rows:
        pinnacle[item] = _pad(ranked, k + 1)
        negatives[item] = _pad(sampled, k)
    return pinnacle, negatives


def tables_in_memory(items, users, values, labels, n_rows: int, n_users: int, k: int, seed: int):
    """The analyzer's two tables computed in one process from whole arrays (trainer/refresh.py uses it to
    add new feedback); the same rows as the Beam analyzer for the same data, ``n_users`` and ``seed``."""
    rows = [
        item_lists(item, item_users, item_values, n_users, k, seed)
        for item, (item_users, item_values) in _per_item_in_batch((items, users, values, labels))
    ]
    return assemble_tables(rows, n_rows, k)


class _PinnacleTables(beam.PTransform):
    def __init__(self, k: int, seed: int):
        super().__init__()
        self.k, self.seed = k, seed

    def expand(self, batches):
        k, seed = self.k, self.seed
        n_users = (
            batches
            | "MaxUser" >> beam.Map(lambda b: int(np.max(b[1])) if np.size(b[1]) else -1)
            | "GlobalMaxUser" >> beam.CombineGlobally(lambda xs: max(xs, default=-1))
            | "Count" >> beam.Map(lambda m: m + 1)
        )

        def item_rows(item_and_parts, n_users):
            item, parts = item_and_parts
            return item_lists(item, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), n_users, k, seed)

        def tables(rows):
            return assemble_tables(rows, max((r[0] for r in rows), default=-1) + 2, k)  # + the empty OOV row

        both = (
            batches
            | "PerItemInBatch" >> beam.FlatMap(_per_item_in_batch)
            | "GroupByItem" >> beam.GroupByKey()
            | "ItemRows" >> beam.Map(item_rows, n_users=beam.pvalue.AsSingleton(n_users))
            | "Collect" >> beam.combiners.ToList()
            | "Tables" >> beam.Map(tables)
        )
        return (
            both | "PinnacleTable" >> beam.Map(lambda t: t[0]),
            both | "NegativeTable" >> beam.Map(lambda t: t[1]),
        )


def pinnacle_tables(item_index, user_index, value, label, k: int, seed: int):
    """Analyzer: ``(pinnacle [n_items + 1, k + 1], negatives [n_items + 1, k])`` int64 tables (see module doc)."""
    return tft.experimental.ptransform_analyzer(
        inputs=[item_index, user_index, tf.cast(value, tf.float32), label],
        ptransform=_PinnacleTables(k, seed),
        output_dtypes=[tf.int64, tf.int64],
        output_shapes=[[None, k + 1], [None, k]],
        name="pinnacle_tables",
    )
