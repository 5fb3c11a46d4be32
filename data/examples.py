"""Building the examples ExampleGen ingests: features, leak-free history and sampled negatives.

Every example carries user_id, item_id, timestamp, label, cr, ir, the user's and the item's feature bags and
``history``: the user's most recent positive *training* items strictly earlier than the example (at most
``history_length``, HISTORY_LENGTH by default and MAX_HISTORY for the whole-history bag; oldest first), never
containing the example's own item. Nothing from eval/test rows feeds any history.
Training examples are the training interactions plus ``n_train_negatives`` sampled items per positive (items
the user has no training interaction with); eval/test examples are the held-out positive plus
``n_eval_negatives`` items the user never interacted with.

The ranking eval set (:func:`build_ranking_examples`, what the Evaluator gates on) holds one query per eval
positive (a seeded sample of RANKING_QUERIES of them on large data): the positive and evaluation.protocol's
``sampled`` negatives, each row carrying the query's id and whether its positive is a cold item. It is built here
as a row per candidate (its examples.csv) and written as one listwise tf.Example per query (data/tfrecords.py).
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import pandas as pd

from data.canonical import InteractionLog
from data.splits import EVAL, TEST, TRAIN, cold_items
from data.tfrecords import QUERY_ID, QUERY_IS_COLD
from evaluation.protocol import SAMPLED_NEGATIVES, build_cases
from transforms.features import HISTORY_LENGTH  # no TensorFlow import: names and sizes only

# Sampled negatives per positive: per training positive, and per held-out (eval/test) positive.
TRAIN_NEGATIVES = 4
EVAL_NEGATIVES = 4

EXAMPLE_COLUMNS = (
    "user_id", "item_id", "timestamp", "label", "cr", "ir", "user_features", "item_features", "history",
)

# The ranking eval set: its split's name, and the two columns its rows add to EXAMPLE_COLUMNS. A query is one
# eval positive with its negatives; QUERY_IS_COLD is 1 when that positive is a cold item, on every row of the
# query (the per-row Transform flag is_cold would split a query between slices).
EVAL_RANKING = "eval_ranking"
RANKING_NEGATIVES = SAMPLED_NEGATIVES  # per query: the paper's protocol, as benchmarks.quality ranks
# Queries of the ranking eval set at most: the Evaluator scores (1 + RANKING_NEGATIVES) rows per query on one
# machine's DirectRunner too. ML-100K (942) and ML-1M (6,040) keep every eval positive; KuaiRand-Pure (27K users)
# and the synthetic 1M/10M sets are sampled (the query count's standard error of NDCG@10 is then ~0.003).
RANKING_QUERIES = 20_000


def catalogue(items: pd.DataFrame, interactions: pd.DataFrame) -> pd.Index:
    """Every item id known to a log (its item table and its interactions), sorted."""
    return pd.Index(sorted(set(items["item_id"]) | set(interactions["item_id"])))


def sample_negatives(
    users: np.ndarray, seen_keys: np.ndarray, n_items: int, per_row: int, rng: np.random.Generator, rounds: int = 20
) -> tuple:
    """For each user code in ``users``, ``per_row`` item codes with ``user * n_items + item`` not in ``seen_keys``.

    ``seen_keys`` must be sorted. Returns (row index into ``users``, item code); draws still colliding after
    ``rounds`` retries are dropped.
    """
    rows = np.repeat(np.arange(len(users)), per_row)
    items = rng.integers(0, n_items, rows.size)
    for _ in range(rounds):
        keys = users[rows] * n_items + items
        position = np.minimum(np.searchsorted(seen_keys, keys), max(len(seen_keys) - 1, 0))
        clash = seen_keys[position] == keys if len(seen_keys) else np.zeros(rows.size, bool)
        if not clash.any():
            break
        items[clash] = rng.integers(0, n_items, int(clash.sum()))
    else:
        keep = ~clash
        rows, items = rows[keep], items[keep]
    return rows, items


def _keys(frame: pd.DataFrame, user_codes: pd.Index, item_codes: pd.Index) -> np.ndarray:
    users = user_codes.get_indexer(frame["user_id"]).astype(np.int64)
    items = item_codes.get_indexer(frame["item_id"]).astype(np.int64)
    return np.unique(users * len(item_codes) + items)


def _with_negatives(positives, seen_keys, user_codes, item_codes, per_row, rng) -> pd.DataFrame:
    users = user_codes.get_indexer(positives["user_id"]).astype(np.int64)
    rows, items = sample_negatives(users, seen_keys, len(item_codes), per_row, rng)
    source = positives.iloc[rows]
    negatives = pd.DataFrame(
        {
            "user_id": source["user_id"].to_numpy(),
            "item_id": item_codes[items].to_numpy(),
            "timestamp": source["timestamp"].to_numpy(),
            "label": 0,
            "cr": 0.0,
            "ir": 0.0,
        }
    )
    return negatives


def histories(examples: pd.DataFrame, train_positives: pd.DataFrame, length: int) -> pd.Series:
    """The leak-free ``history`` string of every example (see the module docstring): at most ``length`` items, oldest
    first. Examples of one user at one point of their history share its string unless their own item is in it."""
    result = pd.Series("", index=examples.index, dtype=object)
    ordered = train_positives.sort_values(["user_id", "timestamp"], kind="stable")
    by_user = {u: (g["timestamp"].to_numpy(), g["item_id"].to_numpy()) for u, g in ordered.groupby("user_id", sort=False)}
    for user, group in examples.groupby("user_id", sort=False):
        if user not in by_user:
            continue
        times, items = by_user[user]
        ends = np.searchsorted(times, group["timestamp"].to_numpy(), side="left")
        windows = {}  # end -> (the last length + 1 items before it, as a set, and its last length joined)
        values = []
        for end, own_item in zip(ends, group["item_id"].to_numpy()):
            if end not in windows:
                window = items[max(0, end - length - 1):end]
                windows[end] = (window, set(window), " ".join(window[-length:]))
            window, members, joined = windows[end]
            values.append(" ".join([i for i in window if i != own_item][-length:]) if own_item in members else joined)
        result.loc[group.index] = values
    return result


def build_examples(
    log: InteractionLog,
    split_frame: pd.DataFrame,
    n_train_negatives: int = TRAIN_NEGATIVES,
    n_eval_negatives: int = EVAL_NEGATIVES,
    history_length: int = HISTORY_LENGTH,
    seed: int = 0,
) -> Dict[str, pd.DataFrame]:
    """Returns ``{"train": ..., "eval": ..., "test": ...}`` example frames with :data:`EXAMPLE_COLUMNS`.

    The train rows come in a seeded random order. Built in order they would be every logged interaction, then
    every sampled negative; the pipeline keeps the file's order (pipeline/example_gen.py) and the Trainers'
    shuffle buffer (50,000 examples) is smaller than a split, so the last part of each epoch would be negatives
    only.
    """
    rng = np.random.default_rng(seed)
    user_codes = pd.Index(sorted(split_frame["user_id"].unique()))
    item_codes = catalogue(log.items, log.interactions)
    train = split_frame[split_frame["split"] == TRAIN]
    train_seen = _keys(train, user_codes, item_codes)
    all_seen = _keys(split_frame, user_codes, item_codes)
    train_positives = train[train["label"] == 1]

    parts = {
        TRAIN: [train, _with_negatives(train_positives, train_seen, user_codes, item_codes, n_train_negatives, rng)],
    }
    for name in (EVAL, TEST):
        held_out = split_frame[split_frame["split"] == name]
        parts[name] = [held_out, _with_negatives(held_out, all_seen, user_codes, item_codes, n_eval_negatives, rng)]

    result = {}
    for name, frames in parts.items():
        examples = pd.concat(frames, ignore_index=True)[["user_id", "item_id", "timestamp", "label", "cr", "ir"]]
        history = histories(examples, train_positives, history_length)
        result[name] = _with_features(examples, log, history).loc[:, list(EXAMPLE_COLUMNS)]
    result[TRAIN] = result[TRAIN].iloc[rng.permutation(len(result[TRAIN]))].reset_index(drop=True)
    return result


def _with_features(examples: pd.DataFrame, log: InteractionLog, history) -> pd.DataFrame:
    """``examples`` with the user's and the item's feature bags and ``history`` (one string per row) added."""
    examples = examples.copy()
    examples["user_features"] = examples["user_id"].map(log.users.set_index("user_id")["user_features"]).fillna("")
    examples["item_features"] = examples["item_id"].map(log.items.set_index("item_id")["item_features"]).fillna("")
    examples["history"] = np.asarray(history, dtype=object)
    return examples


def build_ranking_examples(
    log: InteractionLog,
    split_frame: pd.DataFrame,
    n_negatives: int = RANKING_NEGATIVES,
    history_length: int = HISTORY_LENGTH,
    seed: int = 0,
    max_queries: Optional[int] = None,
) -> pd.DataFrame:
    """The ranking eval set: EXAMPLE_COLUMNS plus QUERY_ID and QUERY_IS_COLD, one query per eval positive (at most
    ``max_queries`` of them: a uniform sample, seeded, kept in split order, when there are more).

    A query is the positive (label 1, its logged cr and ir) and ``n_negatives`` items the user never touched in
    any split (label 0), drawn uniformly from the catalogue: the cases of evaluation.protocol's ``sampled`` view
    of the eval split for ``seed``, which benchmarks.quality --split eval ranks too. The negatives keep their drawn
    order and the positive goes to a uniformly drawn place among them (seeded; drawn for every eval positive before
    the cap, so a kept query is the same with or without it): a ranker that ties candidates (TFMA keeps a tie's
    list order) gains nothing from it, as it would if the positive always came first. Every row
    of a query shares its timestamp (so its history) and the cold flag of its positive (data.splits.cold_items,
    the rule Transform's is_cold follows). Query ids number the queries 0, 1, ... in the split's order.
    """
    items = catalogue(log.items, split_frame)
    cold = cold_items(split_frame, items, log.config.cold_threshold)
    cases = build_cases(split_frame, items, cold, "sampled", n_negatives, seed, split=EVAL)
    if not cases:
        raise ValueError("no eval positives to rank: every user has fewer than three positives (data.splits)")
    positives = split_frame[(split_frame["split"] == EVAL) & (split_frame["label"] == 1)]
    sizes = np.array([1 + len(case.negatives) for case in cases], dtype=np.int64)
    place = np.random.default_rng([seed, len(cases), 1]).integers(0, sizes)
    if max_queries is not None and len(cases) > max_queries:  # the Evaluator's cost grows with the queries
        keep = np.sort(np.random.default_rng([seed, len(cases)]).choice(len(cases), max_queries, replace=False))
        cases, positives, sizes, place = [cases[k] for k in keep], positives.iloc[keep], sizes[keep], place[keep]
    query = np.repeat(np.arange(len(cases)), sizes)
    is_positive = np.zeros(len(query), bool)
    is_positive[np.r_[0, np.cumsum(sizes)[:-1]] + place] = True  # each query's positive row
    rows = pd.DataFrame({
        "user_id": positives["user_id"].to_numpy()[query],
        "item_id": np.concatenate([[*case.negatives[:k], case.item_id, *case.negatives[k:]] for case, k in zip(cases, place)]),
        "timestamp": positives["timestamp"].to_numpy()[query],
        "label": is_positive.astype(np.int64),
        "cr": np.where(is_positive, positives["cr"].to_numpy()[query], 0.0),
        "ir": np.where(is_positive, positives["ir"].to_numpy()[query], 0.0),
        QUERY_ID: query,
        QUERY_IS_COLD: np.array([case.is_cold for case in cases], dtype=np.int64)[query],
    })
    # One history per query, the positive's: a negative is an item the user never touched, so it is in none of
    # the user's training positives and the negative's own history (module docstring) is the positive's.
    train_positives = split_frame[(split_frame["split"] == TRAIN) & (split_frame["label"] == 1)]
    history = histories(positives.reset_index(drop=True), train_positives, history_length).to_numpy()[query]
    return _with_features(rows, log, history).loc[:, [*EXAMPLE_COLUMNS, QUERY_ID, QUERY_IS_COLD]]
