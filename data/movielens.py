"""MovieLens-100K and MovieLens-1M in their published formats.

ML-100K comes in two real layouts, both read here:
- GroupLens ``ml-100k.zip``: ``u.data`` (tab: user, item, rating, timestamp), ``u.item`` (pipe-separated,
  19 genre flags), ``u.user`` (pipe: id, age, gender, occupation, zip);
- RecBole's atomic files ``ml-100k.inter`` / ``.item`` / ``.user`` (tab-separated with typed headers),
  row-for-row the same ratings.
ML-1M: ``ratings.dat``, ``users.dat``, ``movies.dat``, ``::``-separated.
GroupLens files are read as Latin-1 (u.item and movies.dat hold Latin-1 titles; one encoding per dataset, so
an id reads the same in every file); RecBole's as UTF-8.

Positives are ratings >= 4. The value signals of Eq. 4 are IR = rating / 5 and CR = 0 (MovieLens logs no
consumption), so alpha = 0 and beta = 1.
"""
from __future__ import annotations

import os

import pandas as pd

from data.canonical import DatasetConfig, InteractionLog
from data.errors import DataError
from data.io import UNIX_SECONDS, Number, join_tokens, read_delimited, tokens

GENRES = (
    "unknown Action Adventure Animation Children's Comedy Crime Documentary Drama Fantasy Film-Noir Horror "
    "Musical Mystery Romance Sci-Fi Thriller War Western"
).split()
ML100K_SIZE = {"interactions": 100_000, "users": 943, "items": 1_682}

ML100K = DatasetConfig("ml-100k", 20, 0.0, 1.0, "rating >= 4", "none (CR = 0)", "rating / 5")
ML1M = DatasetConfig("ml-1m", 50, 0.0, 1.0, "rating >= 4", "none (CR = 0)", "rating / 5")
RATINGS = {"rating": Number(1, 5), "timestamp": UNIX_SECONDS}  # the published 1-5 stars
AGE = Number(0, 150, integer=True)
GROUPLENS_ENCODING = "latin-1"


def _ratings_to_interactions(frame: pd.DataFrame) -> pd.DataFrame:
    rating = frame["rating"].astype(float)
    return pd.DataFrame(
        {
            "user_id": frame["user_id"],
            "item_id": frame["item_id"],
            "timestamp": frame["timestamp"].astype("int64"),
            "label": (rating >= 4).astype("int64"),
            "cr": 0.0,
            "ir": rating / 5.0,
        }
    )


def _age_bucket(age: pd.Series) -> pd.Series:
    """ML-100K's exact ages mapped onto ML-1M's published age groups (1, 18, 25, 35, 45, 50, 56)."""
    bins = [-1, 17, 24, 34, 44, 49, 55, 200]
    return pd.cut(age.astype(float), bins=bins, labels=["1", "18", "25", "35", "45", "50", "56"]).astype(str)


def _user_table(user_id, age_group, gender, occupation, zip_code) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": user_id,
            "user_features": join_tokens(
                {
                    "age": tokens("age", age_group),
                    "gender": tokens("gender", gender),
                    "occupation": tokens("occupation", occupation),
                    "zip": tokens("zip", zip_code.str.strip().str[:1]),
                }
            ),
        }
    )


def _item_table(item_id, year: pd.Series, genre_lists: pd.Series) -> pd.DataFrame:
    decade = (pd.to_numeric(year, errors="coerce") // 10 * 10).astype("Int64").astype(str).replace("<NA>", "")
    genre_tokens = genre_lists.apply(lambda gs: " ".join(f"genre={g}" for g in gs))
    return pd.DataFrame(
        {
            "item_id": item_id,
            "item_features": join_tokens({"genre": genre_tokens, "decade": tokens("decade", decade)}),
        }
    )


def _load_grouplens_100k(data_dir: str) -> InteractionLog:
    ratings = read_delimited(
        os.path.join(data_dir, "u.data"), "\t", ["user_id", "item_id", "rating", "timestamp"],
        ids=["user_id", "item_id"], numeric=RATINGS, encoding=GROUPLENS_ENCODING,
    )
    item_columns = ["item_id", "title", "release_date", "video_release_date", "url"] + GENRES
    items = read_delimited(
        os.path.join(data_dir, "u.item"), "|", item_columns, ids=["item_id"], encoding=GROUPLENS_ENCODING,
    )
    users = read_delimited(
        os.path.join(data_dir, "u.user"), "|", ["user_id", "age", "gender", "occupation", "zip"],
        ids=["user_id"], numeric={"age": AGE}, encoding=GROUPLENS_ENCODING,
    )
    genre_lists = items[GENRES].apply(lambda row: [g for g in GENRES if row[g] == "1"], axis=1)
    return InteractionLog(
        ML100K,
        _ratings_to_interactions(ratings),
        _user_table(users["user_id"], _age_bucket(users["age"]), users["gender"], users["occupation"], users["zip"]),
        _item_table(items["item_id"], items["release_date"].str[-4:], genre_lists),
    )


def _load_recbole_100k(data_dir: str) -> InteractionLog:
    def atomic(name, ids, present=(), numeric=None):
        path = os.path.join(data_dir, f"ml-100k.{name}")
        return read_delimited(path, "\t", ids=ids, present=present, numeric=numeric, rename_header=lambda c: c.split(":")[0])

    ratings = atomic("inter", ["user_id", "item_id"], numeric=RATINGS)
    items = atomic("item", ["item_id"], present=["release_year", "class"])
    users = atomic("user", ["user_id"], present=["gender", "occupation", "zip_code"], numeric={"age": AGE})
    return InteractionLog(
        ML100K,
        _ratings_to_interactions(ratings),
        _user_table(users["user_id"], _age_bucket(users["age"]), users["gender"], users["occupation"], users["zip_code"]),
        _item_table(items["item_id"], items["release_year"], items["class"].str.split()),
    )


def load_ml100k(data_dir: str) -> InteractionLog:
    """Reads ML-100K from ``data_dir`` in either published layout (GroupLens or RecBole)."""
    if os.path.exists(os.path.join(data_dir, "u.data")):
        log = _load_grouplens_100k(data_dir)
    elif os.path.exists(os.path.join(data_dir, "ml-100k.inter")):
        log = _load_recbole_100k(data_dir)
    else:
        raise DataError(data_dir, "no ML-100K files here (expected u.data/u.item/u.user or ml-100k.inter/.item/.user)")
    return log


def verify_ml100k(log: InteractionLog, source: str) -> None:
    """Fails loudly unless the log has exactly the published 100,000 / 943 / 1,682."""
    found = {
        "interactions": len(log.interactions),
        "users": log.interactions["user_id"].nunique(),
        "items": log.interactions["item_id"].nunique(),
    }
    if found != ML100K_SIZE:
        raise DataError(source, f"not the published MovieLens-100K: expected {ML100K_SIZE}, found {found}")


def load_ml1m(data_dir: str) -> InteractionLog:
    """Reads GroupLens ML-1M (``ratings.dat``, ``users.dat``, ``movies.dat``; ``::``-separated)."""
    ratings = read_delimited(
        os.path.join(data_dir, "ratings.dat"), "::", ["user_id", "item_id", "rating", "timestamp"],
        ids=["user_id", "item_id"], numeric=RATINGS, encoding=GROUPLENS_ENCODING,
    )
    users = read_delimited(
        os.path.join(data_dir, "users.dat"), "::", ["user_id", "gender", "age", "occupation", "zip"],
        ids=["user_id"], encoding=GROUPLENS_ENCODING,
    )
    movies = read_delimited(
        os.path.join(data_dir, "movies.dat"), "::", ["item_id", "title", "genres"], ids=["item_id"],
        encoding=GROUPLENS_ENCODING,
    )
    year = movies["title"].str.extract(r"\((\d{4})\)\s*$")[0].fillna("")
    return InteractionLog(
        ML1M,
        _ratings_to_interactions(ratings),
        _user_table(users["user_id"], users["age"], users["gender"], users["occupation"], users["zip"]),
        _item_table(movies["item_id"], year, movies["genres"].str.split("|")),
    )
