"""trainer/memory_input.py: the Trainers' in-memory input gives, batch by batch, what the shuffled file reader gives
(every row for the prompt stage, the positives for the softmax base), so the trained model is the one the files would
give; and its one pass gives the tables of the separate passes it replaces."""
import os

import numpy as np
import pytest
import tensorflow as tf

from pipeline import configs
from pipeline.artifacts import transform_output_and_train_files
from trainer.base_model import MODEL_INPUTS
from trainer.inputs import training_positives, transformed_dataset
from trainer.memory_input import COLUMNS, interleave_cycle, interleaved_rows, read_training_rows, replayed_batches
from trainer.retrieval import item_feature_table
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


@pytest.mark.parametrize("n_inputs", [1, 2, 5])
def test_interleave_cycle_orders_the_inputs_as_the_readers_interleave(n_inputs):
    from trainer.inputs import READER_THREADS

    cycle = interleave_cycle(n_inputs)
    assert 1 <= cycle <= n_inputs + 1
    counts, starts = np.array([3] * n_inputs), np.arange(n_inputs) * 3
    reader = tf.data.Dataset.range(n_inputs).interleave(lambda f: tf.data.Dataset.range(f * 3, f * 3 + 3),
                                                        num_parallel_calls=READER_THREADS)
    np.testing.assert_array_equal(interleaved_rows(starts, counts, np.arange(n_inputs), cycle), [int(v) for v in reader])


def _graph_and_train(run):
    return transform_output_and_train_files(run, NAME)


@pytest.mark.parametrize("keep_all", [False, True])
def test_one_pass_gives_the_item_features_and_the_positives_of_two(run, keep_all):
    graph, train = _graph_and_train(run)
    rows = read_training_rows(graph, train, keep_all)
    expected_users, expected_items = training_positives(train, graph)
    np.testing.assert_array_equal(rows.item_features, item_feature_table(graph, train))
    users, items = rows.likes
    np.testing.assert_array_equal(users, expected_users)
    np.testing.assert_array_equal(items, expected_items)
    assert users.size > 0 and rows.item_features.any(axis=1).sum() > 1  # positives found, bags filled
    kept = rows.row_kept >= 0
    assert rows.row_kept.size == rows.file_rows.sum() and kept.sum() == rows.users.size
    assert kept.all() if keep_all else (rows.labels == 1).all()
    assert rows.keep_all == keep_all
    assert rows.item_tables is None  # not asked for


def test_the_pass_with_item_tables_gives_the_separate_passes_tables(run):
    """The PromoTrainer's one pass fills the per-item tables its separate pass over the files used to (refresh.py
    still makes that pass, promo_task.item_tables); the rows are those of the pass without them."""
    from trainer.promo_task import item_tables

    graph, train = _graph_and_train(run)
    rows = read_training_rows(graph, train, True, with_item_tables=True)
    expected = item_tables(graph, train)
    for field in ("pinnacle", "negatives", "features", "is_cold"):
        np.testing.assert_array_equal(getattr(rows.item_tables, field), getattr(expected, field), err_msg=field)
    assert rows.item_tables.pinnacle.any() and not rows.item_tables.is_cold.all()  # filled, not left empty
    plain = read_training_rows(graph, train, True)
    for field in ("row_kept", "users", "items", "history", "labels", "is_cold", "item_features"):
        np.testing.assert_array_equal(getattr(rows, field), getattr(plain, field), err_msg=field)


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


@pytest.mark.parametrize("files,keep_all", [("one", False), ("two", False), ("one", True), ("two", True)])
def test_replayed_batches_are_the_shuffled_files_batches_rows_kept(run, tmp_path, files, keep_all):
    graph, train = _graph_and_train(run)
    if files == "two":
        train = _split_in_two(train, str(tmp_path / "train"))
    rows = read_training_rows(graph, train, keep_all)
    assert len(rows.files) == (2 if files == "two" else len(tf.io.gfile.glob(train)))
    batch_size, seed = 256, 7
    from_files = transformed_dataset(train, graph, batch_size, COLUMNS, True, seed)
    from_memory = replayed_batches(rows, train, batch_size, seed, COLUMNS)
    for epoch in range(2):  # the second epoch reshuffles: both streams must reshuffle alike
        expected = list(from_files.as_numpy_iterator())
        got = list(from_memory.as_numpy_iterator())
        assert len(got) == len(expected) > 1
        for (want, want_labels), (have, labels) in zip(expected, got):
            kept = np.ones(want_labels.size, bool) if keep_all else want_labels.reshape(-1) == 1
            assert labels.dtype == want_labels.dtype and labels.shape == want_labels[kept].shape
            np.testing.assert_array_equal(labels, want_labels[kept])
            for name in COLUMNS:
                assert have[name].dtype == want[name].dtype, name
                np.testing.assert_array_equal(have[name], want[name][kept], err_msg=f"epoch {epoch}, {name}")
    assert sum(len(b[1]) for b in got) == rows.users.size
    if keep_all:
        assert 0 < (rows.labels == 1).sum() < rows.labels.size  # positives and negatives both replayed


def test_replayed_batches_give_only_the_names_asked_and_refuse_others(run):
    graph, train = _graph_and_train(run)
    rows = read_training_rows(graph, train, False)
    features, _ = next(iter(replayed_batches(rows, train, 64, 0, MODEL_INPUTS)))
    assert sorted(features) == sorted(MODEL_INPUTS)
    assert features[F.HISTORY_INDICES].shape[1] == graph.transformed_feature_spec()[F.HISTORY_INDICES].shape[0]
    with pytest.raises(ValueError, match="pinnacle_candidates"):
        replayed_batches(rows, train, 64, 0, (F.USER_INDEX, F.PINNACLE_CANDIDATES))
