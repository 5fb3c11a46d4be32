"""pipeline/relocation.py on a real ML Metadata store (the shared pipeline run's copies use it too: tests/conftest.py)."""
import os
import shutil

from ml_metadata import metadata_store as mlmd
from ml_metadata.proto import metadata_store_pb2

from pipeline.relocation import relocate


def _store(path):
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    return mlmd.MetadataStore(config)


def _make_run(root):
    """A store at <root>/metadata/p/metadata.db with two artifacts under <root>/tfx/p and one elsewhere."""
    os.makedirs(root / "metadata" / "p")
    store = _store(root / "metadata" / "p" / "metadata.db")
    kind = store.put_artifact_type(metadata_store_pb2.ArtifactType(name="Model"))
    artifacts = []
    for uri in (f"{root}/tfx/p/Trainer/model/3", f"{root}/tfx/p/Pusher/pushed_model/9", "/shared/datasets/raw"):
        artifact = metadata_store_pb2.Artifact(type_id=kind, uri=uri)
        artifact.custom_properties["pushed_destination"].string_value = f"{root}/serving_model/promo/1"
        artifacts.append(artifact)
    return store.put_artifacts(artifacts)


def test_a_moved_root_names_its_own_artifacts_and_the_original_is_untouched(tmp_path):
    original, moved = tmp_path / "runs", tmp_path / "elsewhere" / "runs"
    ids = _make_run(original)
    os.makedirs(moved.parent)
    shutil.copytree(original, moved)

    assert relocate(str(moved)) == 2  # the two artifacts under the old root; not the one outside it
    artifacts = _store(moved / "metadata" / "p" / "metadata.db").get_artifacts_by_id(ids)
    assert [a.uri for a in artifacts] == [f"{moved}/tfx/p/Trainer/model/3", f"{moved}/tfx/p/Pusher/pushed_model/9",
                                          "/shared/datasets/raw"]
    assert {a.custom_properties["pushed_destination"].string_value for a in artifacts} == {f"{moved}/serving_model/promo/1"}
    assert relocate(str(moved)) == 0  # nothing left to rewrite
    assert relocate(str(original)) == 0  # the original never moved and was not changed
    assert _store(original / "metadata" / "p" / "metadata.db").get_artifacts_by_id(ids)[0].uri.startswith(str(original))
