"""A seeded synthetic interaction log for tests and scale runs.

Items have power-law popularity (Zipf exponent ``zipf_a``), so most items form a long cold tail; each item
has one genre and a quality tier, each user two favourite genres and an age group. A user's interaction
picks, with probability ``affinity``, an item of a favourite genre (by popularity) and otherwise any item
(by popularity); it is positive with high probability for favourite genres, low otherwise. Value signals:
CR a play ratio, IR a like flag, both higher for positives. Vectorised, so 10M interactions are feasible.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from data.canonical import DatasetConfig, InteractionLog

SYNTHETIC = DatasetConfig("synthetic", 20, 1.0, 1.0, "label column", "play ratio", "like flag")


def _by_popularity(rng, popularity, genre_of_item, genres, n_genres):
    """Samples one item per entry of ``genres`` (genre -1 = any genre), weighted by popularity."""
    out = np.empty(len(genres), dtype=np.int64)
    for genre in range(-1, n_genres):
        rows = np.flatnonzero(genres == genre)
        if rows.size == 0:
            continue
        pool = np.arange(len(popularity)) if genre < 0 else np.flatnonzero(genre_of_item == genre)
        cumulative = np.cumsum(popularity[pool])
        picks = np.searchsorted(cumulative, rng.random(rows.size) * cumulative[-1], side="right")
        out[rows] = pool[np.minimum(picks, pool.size - 1)]
    return out


def generate(
    n_users: int = 500,
    n_items: int = 800,
    n_interactions: int = 20_000,
    n_genres: int = 8,
    zipf_a: float = 1.1,
    affinity: float = 0.7,
    seed: int = 0,
) -> InteractionLog:
    """Returns a synthetic :class:`InteractionLog`; the same arguments always give the same log."""
    rng = np.random.default_rng(seed)
    genre_of_item = rng.integers(0, n_genres, n_items)
    popularity = 1.0 / np.arange(1, n_items + 1) ** zipf_a
    rng.shuffle(popularity)
    favourites = np.stack([rng.integers(0, n_genres, n_users), rng.integers(0, n_genres, n_users)], axis=1)

    users = rng.integers(0, n_users, n_interactions)
    wants_favourite = rng.random(n_interactions) < affinity
    favourite_pick = favourites[users, rng.integers(0, 2, n_interactions)]
    genres = np.where(wants_favourite, favourite_pick, -1)
    items = _by_popularity(rng, popularity, genre_of_item, genres, n_genres)
    liked_genre = (favourites[users] == genre_of_item[items][:, None]).any(axis=1)
    label = (rng.random(n_interactions) < np.where(liked_genre, 0.85, 0.1)).astype(np.int64)
    timestamps = np.sort(rng.integers(1_600_000_000, 1_700_000_000, n_interactions))
    play_ratio = np.clip(rng.beta(2, 2, n_interactions) + 0.3 * label, 0.0, 1.0)
    like = (rng.random(n_interactions) < 0.3 * label).astype(np.float64)

    interactions = pd.DataFrame(
        {
            "user_id": np.char.add("u", users.astype(str)),
            "item_id": np.char.add("i", items.astype(str)),
            "timestamp": timestamps,
            "label": label,
            "cr": play_ratio,
            "ir": like,
        }
    )
    user_ids = np.arange(n_users)
    user_table = pd.DataFrame(
        {
            "user_id": np.char.add("u", user_ids.astype(str)),
            "user_features": [f"age={a} region={r}" for a, r in zip(rng.integers(0, 6, n_users), rng.integers(0, 10, n_users))],
        }
    )
    item_ids = np.arange(n_items)
    item_table = pd.DataFrame(
        {
            "item_id": np.char.add("i", item_ids.astype(str)),
            "item_features": [f"genre={g} tier={t}" for g, t in zip(genre_of_item, rng.integers(0, 3, n_items))],
        }
    )
    return InteractionLog(SYNTHETIC, interactions, user_table, item_table)
