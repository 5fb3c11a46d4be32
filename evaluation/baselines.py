"""Non-learned rankers for the evaluation table: random, popularity and a leak-free user-kNN.

User-kNN is the pinnacle idea without learning: an item's score for user u is the cosine similarity between u
and the item's training likers (binary training-positive vectors), summed and divided by the number of
likers plus ``shrinkage`` (0: the mean; > 0 damps items with few likers). u is never among the likers used.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse


class RandomRanker:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def score(self, user_id: str, item_ids: np.ndarray) -> np.ndarray:
        return self.rng.random(len(item_ids))


class PopularityRanker:
    """Scores an item by its number of positive training interactions."""

    def __init__(self, train_positives: pd.DataFrame):
        self.counts = train_positives.groupby("item_id").size()

    def score(self, user_id: str, item_ids: np.ndarray) -> np.ndarray:
        return self.counts.reindex(item_ids, fill_value=0).to_numpy(np.float64)


class UserKnnRanker:
    """Popularity-normalised user-kNN over training positives (see module docstring)."""

    def __init__(self, train_positives: pd.DataFrame, shrinkage: float = 0.0):
        pairs = train_positives[["user_id", "item_id"]].drop_duplicates()
        self.users = pd.Index(sorted(pairs["user_id"].unique()))
        self.items = pd.Index(sorted(pairs["item_id"].unique()))
        rows, cols = self.users.get_indexer(pairs["user_id"]), self.items.get_indexer(pairs["item_id"])
        likes = sparse.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(self.users), len(self.items)))
        norms = np.sqrt(np.asarray(likes.sum(axis=1)).ravel())
        normalized = sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ likes
        self.similarity = (normalized @ normalized.T).toarray()
        np.fill_diagonal(self.similarity, 0.0)
        self.likes = likes.tocsc()
        self.likers = np.asarray(likes.sum(axis=0)).ravel()
        self.shrinkage = shrinkage

    def score(self, user_id: str, item_ids: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(item_ids))
        user = self.users.get_indexer([user_id])[0]
        columns = self.items.get_indexer(item_ids)
        known = columns >= 0
        if user < 0 or not known.any():
            return scores
        cols = columns[known]
        liked_by_user = np.asarray(self.likes[user, cols].todense()).ravel()
        total = self.similarity[user] @ self.likes[:, cols]
        likers = self.likers[cols] - liked_by_user  # u is never one of the likers
        scores[known] = np.where(likers > 0, total / (likers + self.shrinkage), 0.0)
        return scores
