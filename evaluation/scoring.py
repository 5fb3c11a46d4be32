"""Scoring evaluation cases with any ranker, including a pushed SavedModel through its serving signature."""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
import pandas as pd

from evaluation.metrics import rank_of_positive, ranking_metrics
from evaluation.protocol import Case

class SavedModelRanker:
    """Scores (user, items) with a pushed model's ``serving_default`` signature and raw features.

    ``histories`` maps user_id -> the leak-free history string of the user's held-out positive (the prepared
    test examples' ``history``); candidates are items the user never touched, so none is in it.
    """

    def __init__(self, model_dir: str, users: pd.DataFrame, items: pd.DataFrame, histories: Dict[str, str], batch_size: int = 8192):
        import tensorflow as tf

        self.tf = tf
        self.signature = tf.saved_model.load(model_dir).signatures["serving_default"]
        self.user_features = users.set_index("user_id")["user_features"].to_dict()
        self.item_features = items.set_index("item_id")["item_features"].to_dict()
        self.histories = histories
        self.batch_size = batch_size

    def score_many(self, user_ids: Sequence[str], item_ids: Sequence[str]) -> np.ndarray:
        tf = self.tf
        out = []
        for start in range(0, len(user_ids), self.batch_size):
            users = list(user_ids[start:start + self.batch_size])
            items = list(item_ids[start:start + self.batch_size])
            result = self.signature(
                user_id=tf.constant(users), item_id=tf.constant(items),
                user_features=tf.constant([self.user_features.get(u, "") for u in users]),
                item_features=tf.constant([self.item_features.get(i, "") for i in items]),
                history=tf.constant([self.histories.get(u, "") for u in users]),
            )
            out.append(result["score"].numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def score(self, user_id: str, item_ids: np.ndarray) -> np.ndarray:
        return self.score_many([user_id] * len(item_ids), list(item_ids))


def flatten_cases(cases: List[Case]):
    """All (user, item) pairs of ``cases``, each case's positive first, and where each case starts."""
    users, items, starts = [], [], []
    for case in cases:
        starts.append(len(items))
        users += [case.user_id] * (1 + len(case.negatives))
        items += [case.item_id] + list(case.negatives)
    return users, items, np.array(starts + [len(items)])


def case_ranks(ranker, cases: List[Case]) -> np.ndarray:
    """The positive's rank in every case; batched through ``score_many`` when the ranker has it."""
    if hasattr(ranker, "score_many"):
        users, items, starts = flatten_cases(cases)
        scores = ranker.score_many(users, items)
        return np.array([rank_of_positive(scores[a], scores[a + 1:b]) for a, b in zip(starts[:-1], starts[1:])])
    return np.array([
        rank_of_positive(s[0], s[1:]) for s in (ranker.score(c.user_id, np.concatenate([[c.item_id], c.negatives])) for c in cases)
    ])


def evaluate(ranker, cases: List[Case]) -> Dict[str, Dict[str, float]]:
    """HR@5/10 and NDCG@5/10 for cold target items, warm target items and all."""
    ranks = case_ranks(ranker, cases)
    cold = np.array([c.is_cold for c in cases])
    return {"cold": ranking_metrics(ranks[cold]), "warm": ranking_metrics(ranks[~cold]), "all": ranking_metrics(ranks)}
