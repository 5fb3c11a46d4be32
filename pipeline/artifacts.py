"""Finding a local pipeline run's newest artifacts (LocalDagRunner layout: <root>/tfx/<pipeline>/<node>/<key>/<id>)."""
from __future__ import annotations

import glob
import os


def latest_artifact(output_root: str, pipeline_name: str, node: str, key: str) -> str:
    candidates = glob.glob(os.path.join(output_root, "tfx", pipeline_name, node, key, "*"))
    candidates = [c for c in candidates if os.path.basename(c).isdigit()]
    if not candidates:
        raise FileNotFoundError(f"no {node}/{key} artifact under {output_root}/tfx/{pipeline_name}: run local_runner.py first")
    return max(candidates, key=lambda c: int(os.path.basename(c)))


def pushed_model_dir(serving_root: str):
    """The newest version folder the Pusher wrote under ``serving_root`` (what TF Serving loads), or None."""
    if not os.path.isdir(serving_root):
        return None
    versions = sorted((d for d in os.listdir(serving_root) if d.isdigit()), key=int)
    return os.path.join(serving_root, versions[-1]) if versions else None


def transformed_files(output_root: str, pipeline_name: str, split: str) -> list:
    examples = latest_artifact(output_root, pipeline_name, "Transform", "transformed_examples")
    files = sorted(glob.glob(os.path.join(examples, f"Split-{split}", "*")))
    if not files:
        raise FileNotFoundError(f"no transformed {split} examples in {examples}")
    return files
