"""The training input: what trainer/inputs.py hands the factory, what it reads back, and that its own factory reads
exactly what the TFX Trainer's ``fn_args.data_accessor.tf_dataset_factory`` reads (so the benchmarks train on the
pipeline Trainer's batches)."""
import numpy as np
import pytest
from tfx.components.util import tfxio_utils
from tfx.types import standard_artifacts

from trainer.baselines.common_test import StandInTransformOutput, raw_examples, write_transformed
from trainer.inputs import file_dataset_factory, transformed_dataset
from transforms import features as F

NAMES = (F.USER_INDEX, F.ITEM_INDEX)


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    """(file pattern, the rows written) of a stand-in transformed split, the Transform component's layout."""
    root = tmp_path_factory.mktemp("examples")
    (root / "Split-train").mkdir()
    frame = raw_examples()
    write_transformed(frame, str(root / "Split-train" / "transformed_examples-00000-of-00001.gz"))
    return [str(root / "Split-train" / "*")], frame, str(root)


def batches(dataset):
    rows = [(features, labels) for features, labels in dataset.as_numpy_iterator()]
    features = {name: np.concatenate([f[name] for f, _ in rows]) for name in rows[0][0]}
    return features, np.concatenate([labels for _, labels in rows]).reshape(-1)


def test_the_factory_gets_the_schema_cut_to_the_named_features_and_the_label(examples):
    pattern, frame, _ = examples
    calls = []

    def recording_factory(file_pattern, options, schema):
        calls.append((file_pattern, options, sorted(feature.name for feature in schema.feature)))
        return file_dataset_factory(file_pattern, options, schema)

    features, labels = batches(transformed_dataset(pattern, StandInTransformOutput(), 16, NAMES, False, 7, recording_factory))
    [(file_pattern, options, schema_names)] = calls
    assert file_pattern == pattern and schema_names == sorted(NAMES + (F.LABEL_FLOAT,))
    assert (options.batch_size, options.num_epochs, options.shuffle, options.label_key) == (16, 1, False, F.LABEL_FLOAT)
    assert set(features) == set(NAMES)  # nothing else parsed
    np.testing.assert_array_equal(labels, frame["label"].to_numpy(np.float32))  # file order, one pass


def test_a_seed_fixes_the_shuffled_order_of_one_pass(examples):
    pattern, frame, _ = examples
    read = lambda seed: batches(transformed_dataset(pattern, StandInTransformOutput(), 16, NAMES, True, seed))  # noqa: E731
    (first, labels), (again, _), (other, _) = read(3), read(3), read(4)
    np.testing.assert_array_equal(first[F.ITEM_INDEX], again[F.ITEM_INDEX])
    assert not np.array_equal(first[F.ITEM_INDEX], other[F.ITEM_INDEX])
    assert len(labels) == len(frame) and labels.sum() == frame["label"].sum()


def test_reads_the_same_batches_as_the_tfx_trainers_data_accessor(examples):
    pattern, _, uri = examples
    artifact = standard_artifacts.Examples()
    artifact.uri, artifact.split_names = uri, '["train"]'
    trainer_factory = tfxio_utils.get_tf_dataset_factory_from_artifact([artifact], ["Trainer"])
    ours = batches(transformed_dataset(pattern, StandInTransformOutput(), 16, NAMES, True, 5))
    trainers = batches(transformed_dataset(pattern, StandInTransformOutput(), 16, NAMES, True, 5, trainer_factory))
    for name in NAMES:
        np.testing.assert_array_equal(ours[0][name], trainers[0][name])
    np.testing.assert_array_equal(ours[1], trainers[1])
