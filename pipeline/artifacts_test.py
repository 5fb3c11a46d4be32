"""Artifact lookup through ML Metadata, on a hand-made store: finished executions only, and the pushed lineage."""
import os

import pytest
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import artifacts

NAME = "promo-test"


class Store:
    """A local run's metadata store, written the way TFX records executions (node contexts, events with keys)."""

    def __init__(self, root, name=NAME):
        self.name = name
        path = artifacts.metadata_path(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)  # a second Store on the same run adds to it
        config = pb.ConnectionConfig()
        config.sqlite.filename_uri = path
        self.store = metadata_store.MetadataStore(config)
        self.execution_type = self.store.put_execution_type(pb.ExecutionType(name="Component"))
        self.artifact_type = self.store.put_artifact_type(pb.ArtifactType(name="Artifact"))
        self.context_type = self.store.put_context_type(pb.ContextType(name="node"))
        self.time = 0

    def execution(self, node, state, inputs=None, outputs=None, pushed=None):
        """Records one execution of ``node``; ``inputs``: {key: artifact id}; ``outputs``: {key: uri of a new
        artifact, or the id of one recorded before (what a cached execution records)}; returns {key: artifact id}
        of the outputs."""
        context = self.store.get_context_by_type_and_name("node", f"{self.name}.{node}")
        if context is None:
            [context_id] = self.store.put_contexts([pb.Context(type_id=self.context_type, name=f"{self.name}.{node}")])
        else:
            context_id = context.id
        self.time += 1
        execution = pb.Execution(type_id=self.execution_type, last_known_state=state, create_time_since_epoch=self.time)
        [execution_id] = self.store.put_executions([execution])
        self.store.put_attributions_and_associations([], [pb.Association(context_id=context_id, execution_id=execution_id)])
        created = {}
        for key, uri in (outputs or {}).items():
            if isinstance(uri, int):
                created[key] = uri
                continue
            artifact = pb.Artifact(type_id=self.artifact_type, uri=uri)
            if key == "pushed_model":
                artifact.custom_properties["pushed"].int_value = int(pushed)
            [created[key]] = self.store.put_artifacts([artifact])
        events = [(key, artifact_id, pb.Event.INPUT) for key, artifact_id in (inputs or {}).items()]
        events += [(key, artifact_id, pb.Event.OUTPUT) for key, artifact_id in created.items()]
        for key, artifact_id, kind in events:
            event = pb.Event(artifact_id=artifact_id, execution_id=execution_id, type=kind)
            event.path.steps.add().key = key
            self.store.put_events([event])
        return created


def test_the_newest_finished_execution_counts_not_a_newer_failed_one(tmp_path):
    store = Store(str(tmp_path))
    store.execution("Transform", pb.Execution.COMPLETE, outputs={"transform_graph": "/t/1"})
    store.execution("Transform", pb.Execution.CACHED, outputs={"transform_graph": "/t/1"})
    store.execution("Transform", pb.Execution.FAILED, outputs={"transform_graph": "/t/3"})  # its folder exists too
    assert artifacts.latest_artifact(str(tmp_path), NAME, "Transform", "transform_graph") == "/t/1"
    assert artifacts.execution_states(str(tmp_path), NAME, "Transform") == ["CACHED", "COMPLETE", "FAILED"]
    with pytest.raises(FileNotFoundError, match="no output 'model'"):
        artifacts.latest_artifact(str(tmp_path), NAME, "Transform", "model")
    with pytest.raises(FileNotFoundError, match="no finished BaseTrainer"):
        artifacts.latest_artifact(str(tmp_path), NAME, "BaseTrainer", "model")


def test_pushed_lineage_follows_the_pushed_model_back_to_its_trainers_inputs(tmp_path):
    store = Store(str(tmp_path))
    graph = store.execution("Transform", pb.Execution.COMPLETE, outputs={"transform_graph": "/graph", "transformed_examples": "/ex"})
    base = store.execution("BaseTrainer", pb.Execution.COMPLETE, outputs={"model": "/base"})
    inputs = {"transform_graph": graph["transform_graph"], "examples": graph["transformed_examples"], "base_model": base["model"]}
    served = store.execution("PromoTrainer", pb.Execution.COMPLETE, inputs=inputs, outputs={"model": "/promo/1"})
    store.execution("Pusher", pb.Execution.COMPLETE, inputs={"model": served["model"]}, outputs={"pushed_model": "/push/1"}, pushed=True)
    # A cached rerun records the same model as its output.
    store.execution("PromoTrainer", pb.Execution.CACHED, inputs=inputs, outputs={"model": served["model"]})
    # A newer model the Evaluator refused: trained and "pushed" with pushed=0; the served one stays the lineage.
    refused = store.execution("PromoTrainer", pb.Execution.COMPLETE, inputs=inputs, outputs={"model": "/promo/2"})
    store.execution("Pusher", pb.Execution.COMPLETE, inputs={"model": refused["model"]}, outputs={"pushed_model": "/push/2"}, pushed=False)
    lineage = artifacts.pushed_lineage(str(tmp_path), NAME)
    assert lineage == {"transform_graph": "/graph", "examples": "/ex", "base_model": "/base", "model": "/promo/1"}
    assert artifacts.latest_artifact(str(tmp_path), NAME, "PromoTrainer", "model") == "/promo/2"


def test_a_run_without_metadata_or_push_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="run local_runner.py first"):
        artifacts.latest_artifact(str(tmp_path), NAME, "Transform", "transform_graph")
    store = Store(str(tmp_path))
    model = store.execution("PromoTrainer", pb.Execution.COMPLETE, outputs={"model": "/promo/1"})
    store.execution("Pusher", pb.Execution.COMPLETE, inputs={"model": model["model"]}, outputs={"pushed_model": "/p"}, pushed=False)
    with pytest.raises(FileNotFoundError, match="pushed no model"):
        artifacts.pushed_lineage(str(tmp_path), NAME)


def test_a_root_whose_store_is_elsewhere_is_read_through_its_recorded_connection(tmp_path):
    """--metadata-config: the store lives outside the root (a SQLite file standing in for a MySQL server here); the
    root records the config's path, and every later lookup of that root opens that store."""
    server = Store(str(tmp_path / "server"))
    server.execution("Transform", pb.Execution.COMPLETE, outputs={"transform_graph": "/elsewhere/graph"})
    config = tmp_path / "connection.pbtxt"
    config.write_text(f'sqlite {{ filename_uri: "{artifacts.metadata_path(str(tmp_path / "server"), NAME)}" }}\n')
    root = str(tmp_path / "runs")
    assert not artifacts.has_run(root, NAME)
    given = artifacts.pipeline_connection(root, NAME, str(config))
    assert given.sqlite.filename_uri.endswith(os.path.join("server", "metadata", NAME, "metadata.db"))
    assert artifacts.has_run(root, NAME) and not os.path.exists(artifacts.metadata_path(root, NAME))
    assert artifacts.pipeline_connection(root, NAME) == given  # a later run without the option: the recorded one
    assert artifacts.latest_artifact(root, NAME, "Transform", "transform_graph") == "/elsewhere/graph"
    assert "password" not in open(artifacts.connection_record(root, NAME)).read() and str(config) in open(artifacts.connection_record(root, NAME)).read()


def test_without_a_connection_config_a_root_keeps_its_store_in_sqlite_beside_the_run(tmp_path):
    config = artifacts.pipeline_connection(str(tmp_path), NAME)
    assert config.sqlite.filename_uri == artifacts.metadata_path(str(tmp_path), NAME)
    assert os.path.isdir(os.path.dirname(config.sqlite.filename_uri)) and not artifacts.has_run(str(tmp_path), NAME)


@pytest.mark.parametrize("text, message", [
    (None, "cannot read"), ("sqlite { no_such_field: 1 }", "not an ML Metadata ConnectionConfig"), ("", "names no store"),
])
def test_a_bad_connection_config_is_refused_naming_the_file_and_nothing_is_recorded(tmp_path, text, message):
    from data.errors import DataError

    config = tmp_path / "connection.pbtxt"
    if text is not None:
        config.write_text(text)
    with pytest.raises(DataError, match=message) as raised:
        artifacts.pipeline_connection(str(tmp_path / "runs"), NAME, str(config))
    assert str(config) in str(raised.value)
    assert not os.path.exists(artifacts.connection_record(str(tmp_path / "runs"), NAME))
