"""A hash of the code a component runs, put in its ``custom_config`` so that TFX's cache sees code edits.

TFX keys a cached execution on its input artifacts and its settings (exec properties), not on the code that a
``preprocessing_fn`` or ``run_fn`` path names (only a ``module_file``'s content is hashed). With the hash of
the sources in the component's settings, editing them changes the key and the next run reruns that component
(and, through its new output, everything downstream); an unchanged tree keeps the cache.

No TensorFlow import: the runners call this before building the pipeline.
"""
from __future__ import annotations

import hashlib
import os
from typing import Iterable

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "code_version"  # the custom_config entry; the config readers ignore it
# The packages whose code each component imports and runs (trainer/ imports transforms/features.py).
TRANSFORM_SOURCES = ("transforms",)
TRAINER_SOURCES = ("transforms", "trainer")
# CatalogueEvaluator (pipeline/catalogue_evaluator.py) reads examples (data/), scores (evaluation/) and features
# (transforms/); pipeline/ holds it (any pipeline/ edit reruns it: seconds).
CATALOGUE_EVALUATOR_SOURCES = ("data", "evaluation", "pipeline", "transforms")


def source_files(package_dir: str) -> list:
    """The ``.py`` files under ``package_dir``, relative to it, sorted; tests and ``__pycache__`` left out."""
    if not os.path.isdir(package_dir):
        raise FileNotFoundError(f"no source folder {package_dir}")
    found = []
    for folder, subfolders, files in os.walk(package_dir):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in files:
            if name.endswith(".py") and not name.endswith("_test.py"):
                found.append(os.path.relpath(os.path.join(folder, name), package_dir).replace(os.sep, "/"))
    return sorted(found)


def code_version(packages: Iterable[str], root: str = REPO_ROOT) -> str:
    """SHA-256 (hex) over the path and bytes of every source file of ``packages`` (folders under ``root``).

    Paths are relative to ``root``, so the same tree gives the same hash wherever it is checked out.
    """
    digest = hashlib.sha256()
    for package in sorted(set(packages)):
        base = os.path.join(root, package)
        for relative in source_files(base):
            with open(os.path.join(base, relative), "rb") as handle:
                content = handle.read()
            for part in (f"{package}/{relative}".encode(), content):
                digest.update(len(part).to_bytes(8, "big"))
                digest.update(part)
    return digest.hexdigest()
