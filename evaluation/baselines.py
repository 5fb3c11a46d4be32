"""Non-learned rankers for the evaluation table: random, popularity, a leak-free user-kNN, item-kNN and EASE.

User-kNN is the pinnacle idea without learning: an item's score for user u is the cosine similarity between u
and the item's training likers (binary training-positive vectors), summed and divided by the number of
likers plus ``shrinkage`` (0: the mean; > 0 damps items with few likers). u is never among the likers used.
Item-kNN and EASE score item j for u as x_u W[:, j], x_u u's binary training likes and W an item-item matrix with a
zero diagonal (:class:`ItemItemRanker`): u's own likes never score themselves, and a held-out target, which u never
liked in training, gets no co-occurrence from u.
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


# EASE's lambda, chosen on ML-100K's eval split: whole-catalogue all-target HR@10 20.2 / 20.3 / 18.7 at lambda 100 /
# 300 / 1000 (ease_scores on the eval cases, seed-free).
EASE_LAMBDA = 300.0


def training_likes(train_positives: pd.DataFrame):
    """(users, items, X): the sorted users and items with training positives, and X their binary users x items
    matrix (CSR)."""
    pairs = train_positives[["user_id", "item_id"]].drop_duplicates()
    users = pd.Index(sorted(pairs["user_id"].unique()))
    items = pd.Index(sorted(pairs["item_id"].unique()))
    rows, cols = users.get_indexer(pairs["user_id"]), items.get_indexer(pairs["item_id"])
    return users, items, sparse.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(users), len(items)))


class UserKnnRanker:
    """Popularity-normalised user-kNN over training positives (see module docstring)."""

    def __init__(self, train_positives: pd.DataFrame, shrinkage: float = 0.0):
        self.users, self.items, likes = training_likes(train_positives)
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


def item_cosine(likes: np.ndarray) -> np.ndarray:
    """Item-kNN's item-item matrix: W_ij = cos(X_:i, X_:j) = (X^T X)_ij / (||X_:i|| ||X_:j||) over the binary
    users x items ``likes`` X, with W_ii = 0."""
    norms = np.maximum(np.sqrt(np.diag(likes.T @ likes)), 1e-12)
    weights = (likes.T @ likes) / np.outer(norms, norms)
    np.fill_diagonal(weights, 0.0)
    return weights


class ItemItemRanker:
    """Scores item j for user u as x_u W[:, j] (module docstring); ``weights`` maps the dense training likes X to
    W (:func:`ease_weights`, :func:`item_cosine`). Users and items without training positives score 0. W is
    items x items: a baseline for catalogues of thousands of items."""

    def __init__(self, train_positives: pd.DataFrame, weights):
        self.users, self.items, likes = training_likes(train_positives)
        self.likes = likes
        self.weights = weights(likes.toarray())

    def score(self, user_id: str, item_ids: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(item_ids))
        user = self.users.get_indexer([user_id])[0]
        columns = self.items.get_indexer(item_ids)
        known = columns >= 0
        if user >= 0 and known.any():
            scores[known] = np.asarray(self.likes[user] @ self.weights[:, columns[known]]).ravel()
        return scores


def ease_ranker(train_positives: pd.DataFrame, lam: float = EASE_LAMBDA) -> ItemItemRanker:
    return ItemItemRanker(train_positives, lambda likes: ease_weights(likes, lam))


def item_knn_ranker(train_positives: pd.DataFrame) -> ItemItemRanker:
    return ItemItemRanker(train_positives, item_cosine)
