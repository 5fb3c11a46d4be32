"""Finding real MovieLens-100K: a given directory, the cache, GroupLens, or the RecBole wheel.

Order: ``--data-dir`` when given; else the cache (``~/.cache/promo/ml-100k`` or ``$PROMO_CACHE``); else
download ``ml-100k.zip`` from GroupLens; where that host can't be reached, fetch the registry wheel
``recbole==1.2.1`` with ``pip download --no-deps`` and read its copy of the data as files (the package is
never installed or imported). The GroupLens licence forbids redistribution: the data is cached on the
user's machine and never committed.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from typing import Optional

from data.canonical import InteractionLog
from data.errors import DataError
from data.io import refuse_folder
from data.movielens import load_ml100k, verify_ml100k

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
RECBOLE_WHEEL = "recbole==1.2.1"
GROUPLENS_FILES = ("u.data", "u.item", "u.user")
RECBOLE_FILES = ("ml-100k.inter", "ml-100k.item", "ml-100k.user")


def cache_dir() -> str:
    return os.path.join(os.environ.get("PROMO_CACHE", os.path.expanduser("~/.cache/promo")), "ml-100k")


def _log(message: str) -> None:
    print(f"[data] {message}", file=sys.stderr, flush=True)


def _fetch_grouplens(target: str, timeout: float) -> None:
    with urllib.request.urlopen(GROUPLENS_URL, timeout=timeout) as response:
        payload = response.read()
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        for name in GROUPLENS_FILES:
            _write_atomically(os.path.join(target, name), archive.read(f"ml-100k/{name}"))


def _fetch_recbole(target: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, RECBOLE_WHEEL],
            check=True,
        )
        wheel = next(os.path.join(tmp, f) for f in os.listdir(tmp) if f.endswith(".whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name in RECBOLE_FILES:
                _write_atomically(os.path.join(target, name), archive.read(f"recbole/dataset_example/ml-100k/{name}"))


def _write_atomically(path: str, payload: bytes) -> None:
    """Writes to a temporary name then renames, so an interrupted fetch never leaves half a file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + ".partial"
    with open(partial, "wb") as handle:
        handle.write(payload)
    os.replace(partial, path)


def _has_files(directory: str) -> bool:
    grouplens = all(os.path.exists(os.path.join(directory, n)) for n in GROUPLENS_FILES)
    recbole = all(os.path.exists(os.path.join(directory, n)) for n in RECBOLE_FILES)
    return grouplens or recbole


def load_real_ml100k(data_dir: Optional[str] = None, download_timeout: float = 10.0) -> InteractionLog:
    """Returns verified ML-100K (100,000 ratings, 943 users, 1,682 items), fetching and caching it if needed."""
    if data_dir:
        log = load_ml100k(data_dir)
        verify_ml100k(log, data_dir)
        return log
    target = cache_dir()
    for name in GROUPLENS_FILES + RECBOLE_FILES:  # a folder there would fail the fetch's rename as "unreachable"
        refuse_folder(os.path.join(target, name))
    if not _has_files(target):
        try:
            _log(f"downloading {GROUPLENS_URL}")
            _fetch_grouplens(target, download_timeout)
        except OSError as err:
            _log(f"GroupLens unreachable ({err}); taking the copy inside the {RECBOLE_WHEEL} wheel")
            try:
                _fetch_recbole(target)
            except (subprocess.CalledProcessError, StopIteration, KeyError) as wheel_err:
                raise DataError(target, f"could not fetch MovieLens-100K from GroupLens or {RECBOLE_WHEEL}: {wheel_err}")
        _log(f"cached MovieLens-100K in {target}")
    log = load_ml100k(target)
    verify_ml100k(log, target)
    return log
