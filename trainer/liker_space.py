"""The liker space: a low-rank collaborative space in which a user and an item's pinnacle users meet.

Why (docs/cold-start-quality.md): PROMO looks pinnacle users up in the base's user-id embedding, a space in
which a user's neighbours are barely similar (as a kNN it ranks cold items at 20.6 HR@10 on ML-100K eval, the
rank-32 liker space below at 48.8); the scored user never meets them at all.

With L the binary matrix of training positives (users x items) and L~ = D^-1/2 L its rows scaled to unit
length, the truncated SVD L~ ~ U S V^T (rank r) gives
    z_v = U_v S                 every training user's liker-space vector (v's row of L~ V),
    q_j = V_j                   every item's vector, with which any user is folded in from a history H:
    z(H) = sum_{j in H} q_j / sqrt(|H|)       (L~_u V for the unit-length indicator of H),
so z(H_u) . z_v ~ cos(L_u, L_v): the neighbour similarity of user-kNN, in r dimensions. Per item i the space
keeps S_i = sum of z_v over i's training likers and their count n_i; the scored user is left out of them with
the set of training-positive pairs (no leakage: an item's likers never include the user being scored).

Computed in the prompt-stage Trainer from one pass over the transformed training examples (O(positives)
memory, a randomized SVD in one process: 6.8 s and 368 MiB for synthetic-10m's 4.5M positives,
benchmarks/results/liker-space-scale.md; docs/scaling.md says how far one machine goes). Written here
rather than taken from TFT/TFRS: neither provides a truncated SVD analyzer; sklearn's randomized_svd does the
linear algebra.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd


@dataclasses.dataclass
class LikerSpace:
    user_vectors: np.ndarray  # [n_users, r] z_v (zeros for users without training positives and the OOV row)
    item_vectors: np.ndarray  # [n_items + 1, r] q_j at row j + 1 (row 0: history padding)
    liker_sums: np.ndarray  # [n_items, r] S_i
    liker_counts: np.ndarray  # [n_items] n_i
    liked_pairs: np.ndarray  # sorted int64 keys user * n_items + item of every training positive


def liker_space(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int, rank: int, seed: int) -> LikerSpace:
    """The liker space (module docstring) of the training positives (``users[k]``, ``items[k]``), vocabulary
    indices; ``n_users``/``n_items`` count the vocabulary and OOV rows."""
    keys = np.unique(np.asarray(users, np.int64) * n_items + np.asarray(items, np.int64))
    users, items = keys // n_items, keys % n_items
    likes = sparse.csr_matrix((np.ones(len(keys)), (users, items)), shape=(n_users, n_items))
    norms = np.sqrt(np.asarray(likes.sum(axis=1)).ravel())
    scaled = sparse.diags(1.0 / np.maximum(norms, 1.0)) @ likes
    rank = max(1, min(rank, min(scaled.shape) - 1))
    u, s, vt = randomized_svd(scaled, n_components=rank, n_iter=7, random_state=seed)
    user_vectors = (u * s).astype(np.float32)
    item_vectors = np.concatenate([np.zeros((1, rank)), vt.T]).astype(np.float32)
    liker_sums = np.asarray(likes.T @ user_vectors, np.float32)
    counts = np.asarray(likes.sum(axis=0), np.float32).ravel()
    return LikerSpace(user_vectors, item_vectors, liker_sums, counts, keys)
