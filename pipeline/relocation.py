"""A moved or copied output root reads its own files.

TFX's ML Metadata records every artifact by absolute URI, so after ``mv runs /data/runs`` (or ``cp -r runs
runs-b``) a root's store still names the folder the run was made in: a copy silently reads the original's files
(and a rerun's cache would reuse them), a move fails at the first read. :func:`relocate` finds, in each of the
root's SQLite stores (``<root>/metadata/<pipeline>/metadata.db``), the folder the artifacts were written under (a
local run's pipeline root is ``<root>/tfx/<pipeline>``, local_runner.py) and, when it is not the root's own
folder, rewrites those URIs (and artifact properties naming them, e.g. a blessing's model or a push's
destination) to the root where it now is. local_runner.py and trainer/refresh.py call it under the root's lock,
before anything reads the store. A pipeline rerun after a move recomputes from ImportExampleGen: TFX's cache keys
hold the input folder (under the root) and the input artifacts' URIs, which are new; it does not read, or fail
on, the old folder.

Written here (not in TFX): ML Metadata has no operation that renames artifact URIs; this is an UPDATE of the
SQLite tables TFX's local orchestration writes (``Artifact.uri``, ``ArtifactProperty.string_value``).
"""
from __future__ import annotations

import contextlib
import glob
import os
import sqlite3
from typing import Set


def recorded_roots(db_path: str, pipeline_name: str) -> Set[str]:
    """The output roots the store's artifacts were written under: for each URI ``<R>/tfx/<pipeline>/...``, R."""
    marker = f"/tfx/{pipeline_name}/"
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        uris = [row[0] for row in db.execute("SELECT uri FROM Artifact WHERE instr(uri, ?) > 0", (marker,))]
    return {uri[:uri.index(marker)] for uri in uris}


def rewrite_prefix(db_path: str, old: str, new: str) -> int:
    """Rewrites ``old``/... to ``new``/... in the store's artifact URIs and string artifact properties; returns how
    many artifact URIs changed."""
    old, new = old.rstrip("/") + "/", new.rstrip("/") + "/"
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        changed = db.execute(
            "UPDATE Artifact SET uri = ? || substr(uri, ?) WHERE substr(uri, 1, ?) = ?", (new, len(old) + 1, len(old), old)
        ).rowcount
        db.execute(
            "UPDATE ArtifactProperty SET string_value = ? || substr(string_value, ?) WHERE substr(string_value, 1, ?) = ?",
            (new, len(old) + 1, len(old), old),
        )
        db.commit()
    return changed


def relocate(output_root: str) -> int:
    """Makes every store under ``output_root`` name this folder's artifacts (module docstring); returns how many
    artifact URIs were rewritten (0 when the root has not moved). Prints one line when it rewrites any."""
    root = os.path.abspath(output_root)
    total = 0
    for db_path in sorted(glob.glob(os.path.join(root, "metadata", "*", "metadata.db"))):
        pipeline_name = os.path.basename(os.path.dirname(db_path))
        for old in sorted(recorded_roots(db_path, pipeline_name) - {root}):
            changed = rewrite_prefix(db_path, old, root)
            total += changed
            print(f"[runs] {pipeline_name}'s run was made in {old}: {changed:,} artifact URI(s) now name {root}", flush=True)
    return total
