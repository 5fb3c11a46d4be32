"""Non-learned rankers for the evaluation table: random, popularity, a leak-free user-kNN and EASE.

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


def ease_weights(likes: np.ndarray, lam: float) -> np.ndarray:
    """EASE's item-item matrix (Steck, "Embarrassingly Shallow Autoencoders", WWW 2019): with X = ``likes`` (users x
    items, binary training positives), B = argmin ||X - X B||^2 + lam ||B||^2 subject to diag(B) = 0 is
    P = (X^T X + lam I)^-1, B = -P / diag(P) (column-wise), diag(B) = 0."""
    inverse = np.linalg.inv(likes.T @ likes + lam * np.eye(likes.shape[1]))
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    return weights


def ease_scores(train_positives: pd.DataFrame, users, items, lam: float):
    """EASE in closed form (:func:`ease_weights`), and each item's training positives: the score of user u and item
    j is (X B)_uj. Returns (scores [len(users), len(items)], n [len(items)]) for ``users`` and ``items`` in order;
    users and items without training positives score 0. An O(items^3) inversion: a baseline for catalogues of
    thousands of items, not millions. Leak-free: an item's own column never scores itself (diag 0) and X holds
    training positives only.
    """
    items = pd.Index(items)
    pairs = train_positives[["user_id", "item_id"]].drop_duplicates()
    pairs = pairs[items.get_indexer(pairs["item_id"]) >= 0]
    everyone = pd.Index(sorted(set(pairs["user_id"]) | set(users)))  # X: every training user, not only the scored
    likes = np.zeros((len(everyone), len(items)))
    likes[everyone.get_indexer(pairs["user_id"]), items.get_indexer(pairs["item_id"])] = 1.0
    return likes[everyone.get_indexer(users)] @ ease_weights(likes, lam), likes.sum(axis=0)
