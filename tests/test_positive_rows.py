"""trainer/positive_rows.py: the softmax base's in-memory input gives, batch by batch, the positives the shuffled file
reader gives (so the trained base is the one the files would give), and trainer/retrieval.training_tables' one pass
gives the tables of the separate passes it replaces."""
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from pipeline import configs
from pipeline.artifacts import latest_artifact, transformed_files
from trainer.base_model import MODEL_INPUTS
from trainer.inputs import training_positives, transformed_dataset
from trainer.positive_rows import interleave_cycle, interleaved_rows, positive_batches
from trainer.retrieval import item_feature_table, training_tables
from transforms import features as F

NAME = configs.pipeline_name("synthetic")


@pytest.mark.parametrize("cycle", [1, 2, 3])
def test_interleaved_rows_is_the_order_of_tf_data_interleave(cycle):
    rng = np.random.default_rng(cycle)
    for _ in range(5):
        counts = rng.integers(0, 40, size=rng.integers(1, 7))
        counts[rng.integers(len(counts))] = 0 if len(counts) > 1 else counts[0]  # an empty file among them
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        order = rng.permutation(len(counts))
        files = tf.data.Dataset.from_tensor_slices(order.astype(np.int64))
        expected = files.interleave(
            lambda f: tf.data.Dataset.range(tf.gather(starts, f), tf.gather(starts, f) + tf.gather(counts, f)),
            cycle_length=cycle, num_parallel_calls=1)
        np.testing.assert_array_equal(interleaved_rows(starts, counts, order, cycle), [int(v) for v in expected])


def test_interleave_cycle_is_the_default_of_the_op():
    cycle = interleave_cycle()
    probe = tf.data.Dataset.range(3 * cycle).interleave(lambda f: tf.data.Dataset.range(f * 10, f * 10 + 2), num_parallel_calls=1)
    # every cycle slot yields its file's first row before any file yields its second
    assert [int(v) for v in probe.take(cycle)] == [10 * f for f in range(cycle)]
    assert cycle >= 1


def _graph_and_train(run):
    return tft.TFTransformOutput(latest_artifact(run, NAME, "Transform", "transform_graph")), transformed_files(run, NAME, "train")


def test_one_pass_gives_the_item_features_and_the_positives_of_two(run):
    graph, train = _graph_and_train(run)
    table, rows = training_tables(graph, train)
    expected_users, expected_items = training_positives(train, graph)
    np.testing.assert_array_equal(table, item_feature_table(graph, train))
    np.testing.assert_array_equal(rows.users, expected_users)
    np.testing.assert_array_equal(rows.items, expected_items)
    assert rows.users.size > 0 and table.any(axis=1).sum() > 1  # positives found, bags filled
    assert rows.row_positive.size == rows.file_rows.sum() and (rows.row_positive >= 0).sum() == rows.users.size


def _split_in_two(files, folder):
    """The records of ``files`` rewritten as two gzipped files of unequal size (a third and two thirds)."""
    records = [r.numpy() for r in tf.data.TFRecordDataset(tf.io.gfile.glob(files), "GZIP")]
    cut = len(records) // 3
    os.makedirs(folder)
    for name, part in (("part-0.gz", records[:cut]), ("part-1.gz", records[cut:])):
        with tf.io.TFRecordWriter(os.path.join(folder, name), "GZIP") as writer:
            for record in part:
                writer.write(record)
    return [os.path.join(folder, "*")]


@pytest.mark.parametrize("files", ["one", "two"])
def test_positive_batches_are_the_shuffled_files_positives_batch_by_batch(run, tmp_path, files):
    graph, train = _graph_and_train(run)
    if files == "two":
        train = _split_in_two(train, str(tmp_path / "train"))
    table, rows = training_tables(graph, train)
    assert len(rows.files) == (2 if files == "two" else len(tf.io.gfile.glob(train)))
    batch_size, seed = 256, 7
    from_files = transformed_dataset(train, graph, batch_size, MODEL_INPUTS, True, seed)
    from_memory = positive_batches(rows, train, table, batch_size, seed)
    for epoch in range(2):  # the second epoch reshuffles: both streams must reshuffle alike
        expected = list(from_files.as_numpy_iterator())
        got = list(from_memory.as_numpy_iterator())
        assert len(got) == len(expected) > 1
        for (want, labels), (have, ones) in zip(expected, got):
            positive = labels.reshape(-1) == 1
            assert ones.shape == (positive.sum(),) and (ones == 1).all()
            for name in MODEL_INPUTS:
                np.testing.assert_array_equal(have[name], want[name][positive], err_msg=f"epoch {epoch}, {name}")
    assert sum(len(b[1]) for b in got) == rows.users.size


def test_positive_batches_hold_int64_inputs_of_the_model(run):
    graph, train = _graph_and_train(run)
    table, rows = training_tables(graph, train)
    features, _ = next(iter(positive_batches(rows, train, table, 64, 0)))
    assert {name: features[name].dtype for name in MODEL_INPUTS} == {name: tf.int64 for name in MODEL_INPUTS}
    assert features[F.HISTORY_INDICES].shape[1] == graph.transformed_feature_spec()[F.HISTORY_INDICES].shape[0]
