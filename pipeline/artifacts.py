"""Finding a local pipeline run's artifacts through its ML Metadata store: by default SQLite at
``<root>/metadata/<pipeline>/metadata.db``; a run started with ``local_runner.py --metadata-config FILE`` (an ML
Metadata ConnectionConfig in text format, e.g. a MySQL server's) keeps its store there, and records the file's path in
``<root>/metadata/<pipeline>/connection.json`` (the path only: the file, which may hold a password, is not copied),
so later runs, the refresh and the summary of that root open the store the pipeline used.

The store, not the folder layout, says which execution of a component finished: a folder glob would also find
the output folder of an execution that failed or was killed half-way (the artifact folder exists from its start),
and would know only LocalDagRunner's ``<root>/tfx/<pipeline>/<node>/<key>/<id>`` layout. Each lookup takes the
newest execution of the component that finished (COMPLETE, or CACHED: a cached execution records the outputs it
reused) and follows its events to the artifacts' URIs.
"""
from __future__ import annotations

import glob
import os
from typing import Dict

FINISHED = ("COMPLETE", "CACHED")


def metadata_path(output_root: str, pipeline_name: str) -> str:
    """Where local_runner.py keeps the run's ML Metadata (SQLite)."""
    return os.path.join(output_root, "metadata", pipeline_name, "metadata.db")


CONNECTION_RECORD = "connection.json"


def connection_record(output_root: str, pipeline_name: str) -> str:
    """Where a root records the connection config file of a store that is not its SQLite file (module docstring)."""
    return os.path.join(output_root, "metadata", pipeline_name, CONNECTION_RECORD)


def read_connection_config(path: str):
    """The ML Metadata ConnectionConfig in text format at ``path``; refuses, naming the file, one that is missing or
    does not parse."""
    from google.protobuf import text_format
    from ml_metadata.proto import metadata_store_pb2

    from data.errors import DataError

    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as error:
        raise DataError(path, f"cannot read the ML Metadata connection config: {error.strerror}") from None
    try:
        config = text_format.Parse(text, metadata_store_pb2.ConnectionConfig())
    except text_format.ParseError as error:
        raise DataError(path, f"not an ML Metadata ConnectionConfig in text format: {error}") from None
    if config.WhichOneof("config") is None:
        raise DataError(path, "the ML Metadata connection config names no store (sqlite { ... } or mysql { ... })")
    return config


def pipeline_connection(output_root: str, pipeline_name: str, config_file=None):
    """The ML Metadata connection a run of ``output_root`` uses: ``config_file`` (recorded for later runs, the
    refresh and the summary), else the one recorded by an earlier run, else SQLite at :func:`metadata_path`."""
    import json

    from tfx.orchestration.metadata import sqlite_metadata_connection_config

    record = connection_record(output_root, pipeline_name)
    if config_file is not None:
        config_file = os.path.abspath(config_file)
        config = read_connection_config(config_file)
        os.makedirs(os.path.dirname(record), exist_ok=True)
        with open(record, "w") as handle:
            json.dump({"connection_config": config_file}, handle)
        return config
    if os.path.exists(record):
        with open(record) as handle:
            return read_connection_config(json.load(handle)["connection_config"])
    return sqlite_metadata_connection_config(metadata_path(output_root, pipeline_name))  # makes the folder


def has_run(output_root: str, pipeline_name: str) -> bool:
    """Whether ``output_root`` holds a run of the pipeline: its SQLite store, or a recorded connection."""
    return os.path.exists(metadata_path(output_root, pipeline_name)) or os.path.exists(connection_record(output_root, pipeline_name))


def metadata_store(output_root: str, pipeline_name: str):
    """The run's ML Metadata store (the one its pipeline used: :func:`pipeline_connection`); SQLite read-only."""
    from ml_metadata import metadata_store as mlmd
    from ml_metadata.proto import metadata_store_pb2

    if not has_run(output_root, pipeline_name):
        raise FileNotFoundError(f"no pipeline metadata at {metadata_path(output_root, pipeline_name)}: run local_runner.py first")
    config = pipeline_connection(output_root, pipeline_name)
    if config.HasField("sqlite"):
        config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return mlmd.MetadataStore(config)


def execution_states(output_root: str, pipeline_name: str, node: str) -> list:
    """The states (COMPLETE, CACHED, FAILED, RUNNING, ...) of every recorded execution of ``node``, sorted."""
    from ml_metadata.proto import metadata_store_pb2

    store = metadata_store(output_root, pipeline_name)
    return sorted(metadata_store_pb2.Execution.State.Name(e.last_known_state) for e in _executions(store, pipeline_name, node))


def _executions(store, pipeline_name: str, node: str) -> list:
    context = store.get_context_by_type_and_name("node", f"{pipeline_name}.{node}")
    return store.get_executions_by_context(context.id) if context is not None else []


def _newest_finished(store, pipeline_name: str, node: str, output_root: str):
    from ml_metadata.proto import metadata_store_pb2

    finished = [
        e for e in _executions(store, pipeline_name, node)
        if metadata_store_pb2.Execution.State.Name(e.last_known_state) in FINISHED
    ]
    if not finished:
        raise FileNotFoundError(f"no finished {node} execution in {metadata_path(output_root, pipeline_name)}: run local_runner.py first")
    return sorted(finished, key=lambda e: (e.create_time_since_epoch, e.id), reverse=True)


def _artifacts_of(store, execution_id: int, inputs: bool) -> Dict[str, object]:
    """{key: Artifact} of one execution's inputs or outputs."""
    from ml_metadata.proto import metadata_store_pb2

    kind = metadata_store_pb2.Event.INPUT if inputs else metadata_store_pb2.Event.OUTPUT
    keys = {
        event.artifact_id: event.path.steps[0].key
        for event in store.get_events_by_execution_ids([execution_id]) if event.type == kind and event.path.steps
    }
    return {keys[artifact.id]: artifact for artifact in store.get_artifacts_by_id(list(keys))}


def latest_artifacts(output_root: str, pipeline_name: str, node: str, inputs: bool = False) -> Dict[str, str]:
    """{key: URI} of the outputs (or, with ``inputs``, the inputs) of the newest finished execution of ``node``."""
    store = metadata_store(output_root, pipeline_name)
    newest = _newest_finished(store, pipeline_name, node, output_root)[0]
    return {key: artifact.uri for key, artifact in _artifacts_of(store, newest.id, inputs).items()}


def pushed_lineage(output_root: str, pipeline_name: str) -> Dict[str, str]:
    """{key: URI} of what the newest model the Pusher pushed was trained from — the prompt-stage Trainer's inputs
    (``examples``, ``transform_graph``, ``base_model``, ...) — and ``model``, that Trainer's output: the served
    model's lineage, which the newest Trainer execution need not be (the Evaluator may have refused it)."""
    from ml_metadata.proto import metadata_store_pb2

    store = metadata_store(output_root, pipeline_name)
    for pusher in _newest_finished(store, pipeline_name, "Pusher", output_root):
        pushed = _artifacts_of(store, pusher.id, inputs=False).get("pushed_model")
        if pushed is None or pushed.custom_properties["pushed"].int_value != 1:
            continue
        model = _artifacts_of(store, pusher.id, inputs=True)["model"]
        # The execution that made the model (later cached executions of the same inputs record it as output too).
        trainer_id = min(
            event.execution_id for event in store.get_events_by_artifact_ids([model.id])
            if event.type == metadata_store_pb2.Event.OUTPUT
        )
        lineage = {key: artifact.uri for key, artifact in _artifacts_of(store, trainer_id, inputs=True).items()}
        return {**lineage, "model": model.uri}
    raise FileNotFoundError(f"the pipeline under {output_root} has pushed no model yet (its Evaluator blessed none)")


def latest_artifact(output_root: str, pipeline_name: str, node: str, key: str) -> str:
    """The URI of output ``key`` of the newest finished execution of ``node``."""
    found = latest_artifacts(output_root, pipeline_name, node)
    if key not in found:
        raise FileNotFoundError(f"{node}'s newest finished execution has no output {key!r} (it has {sorted(found)})")
    return found[key]


def split_files(examples_uri: str, split: str) -> list:
    """The files of one split of an Examples artifact."""
    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    if not files:
        raise FileNotFoundError(f"no {split} examples in {examples_uri}")
    return files


def pushed_model_dir(serving_root: str):
    """The newest version folder the Pusher wrote under ``serving_root`` (what TF Serving loads), or None."""
    if not os.path.isdir(serving_root):
        return None
    versions = sorted((d for d in os.listdir(serving_root) if d.isdigit()), key=int)
    return os.path.join(serving_root, versions[-1]) if versions else None


def saved_model_proto(model_dir: str):
    """The SavedModel protocol buffer of ``model_dir``'s ``saved_model.pb`` (nothing is loaded or run)."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(model_dir, "saved_model.pb"), "rb") as handle:
        saved.ParseFromString(handle.read())
    return saved


def transformed_files(output_root: str, pipeline_name: str, split: str) -> list:
    """The files of one split of the newest finished Transform's transformed examples."""
    return split_files(latest_artifact(output_root, pipeline_name, "Transform", "transformed_examples"), split)


def transform_output_and_train_files(output_root: str, pipeline_name: str):
    """(tft.TFTransformOutput, train files) of the newest finished Transform: what training code outside a Trainer
    run (benchmarks, tests) reads."""
    import tensorflow_transform as tft

    graph = tft.TFTransformOutput(latest_artifact(output_root, pipeline_name, "Transform", "transform_graph"))
    return graph, transformed_files(output_root, pipeline_name, "train")
