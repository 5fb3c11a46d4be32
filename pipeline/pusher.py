"""TFX's Pusher, except that it does not push again the model that is already served.

With the Evaluator's baseline the latest blessed model (pipeline/pipeline.py), the first rerun of an unchanged
pipeline finds the cached PromoTrainer model blessed by the run before: the Evaluator reruns, compares the model
with itself and blesses it again, and TFX's Pusher would copy it to a new version folder. This executor records
that push as the newest version already there when that version holds the same files, byte for byte, and pushes
as TFX's does otherwise (a new model, or an older model blessed again after another was pushed).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils
from tfx.v1.components import Pusher


def _files(root: str) -> Dict[str, int]:
    """Every file under ``root``: its path relative to ``root`` -> its size in bytes."""
    result = {}
    for directory, _, names in fileio.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            result[os.path.relpath(path, root)] = fileio.stat(path).length
    return result


def same_files(left: str, right: str) -> bool:
    """Whether folders ``left`` and ``right`` hold the same files with the same bytes."""
    files = _files(left)
    if files != _files(right):
        return False
    for name in files:
        with fileio.open(os.path.join(left, name), "rb") as a, fileio.open(os.path.join(right, name), "rb") as b:
            if a.read() != b.read():
                return False
    return True


def newest_version(base_directory: str) -> Optional[str]:
    """The numbered version folder under ``base_directory`` with the highest number, or None."""
    if not fileio.isdir(base_directory):
        return None
    versions = [name.rstrip("/") for name in fileio.listdir(base_directory) if name.rstrip("/").isdigit()]
    return os.path.join(base_directory, max(versions, key=int)) if versions else None


class UnchangedModelExecutor(pusher_executor.Executor):
    """Pushes as TFX's Pusher executor, unless the blessed model is byte for byte the newest version pushed to the
    filesystem destination: then the push is recorded as that version and nothing is copied."""

    def Do(self, input_dict: Dict[str, List[types.Artifact]], output_dict: Dict[str, List[types.Artifact]],
           exec_properties: Dict[str, Any]) -> None:
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], destination)
        served = newest_version(destination.filesystem.base_directory) if destination.HasField("filesystem") else None
        if served is None or not self.CheckBlessing(input_dict) or not same_files(self.GetModelPath(input_dict), served):
            super().Do(input_dict, output_dict, exec_properties)
            return
        model_push = artifact_utils.get_single_instance(output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        self._MarkPushed(model_push, pushed_destination=served, pushed_version=os.path.basename(served))


class UnchangedModelPusher(Pusher):
    """TFX's Pusher (same spec, inputs and outputs) with :class:`UnchangedModelExecutor`."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(UnchangedModelExecutor)
