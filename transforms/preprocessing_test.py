"""Runs the real preprocessing_fn through tf.Transform's Beam implementation on a tiny hand-made dataset."""
import functools

import numpy as np
import pytest
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_metadata.proto.v0 import schema_pb2
from google.protobuf import text_format
from tensorflow_transform.tf_metadata import dataset_metadata

from pipeline import configs
from transforms import features as F
from transforms.pinnacle import tables_in_memory
from transforms.pinnacle_value import pinnacle_value
from transforms.preprocessing import preprocessing_fn


def _row(user, item, label, history="", user_features="age=1", item_features="genre=x", ir=0.5):
    row = {"user_id": [user], "item_id": [item], "timestamp": [1], "label": [label], "cr": [0.0], "ir": [ir]}
    row.update({k: [v] if v else [] for k, v in (("history", history), ("user_features", user_features), ("item_features", item_features))})
    return row


TRAIN = [
    _row("u1", "a", 1, ir=0.2), _row("u2", "a", 1, ir=0.9), _row("u3", "a", 1, ir=0.5),  # a: 3 positives -> warm
    _row("u1", "b", 1, history="a"),  # b: 1 training positive -> cold at threshold 1
    _row("u2", "c", 0, history="a b", user_features=""),  # c: only a negative -> cold
    _row("u4", "c", 0),  # u4 has no positive feedback on a: a's only possible negative-feedback user
]
SERVE = [
    _row("u1", "a", 1, history="b c zzz"),
    _row("new_user", "new_item", 0, history="", user_features="", item_features="genre=x genre=unseen"),
]


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    schema = text_format.Parse(open(configs.SCHEMA_PATH).read(), schema_pb2.Schema())
    metadata = dataset_metadata.DatasetMetadata(schema)
    out = str(tmp_path_factory.mktemp("tft"))
    # As the pipeline passes it: with the code hash (pipeline/code_version.py), which preprocessing_fn ignores.
    fn = functools.partial(preprocessing_fn, custom_config={"cold_threshold": 1, "code_version": "0" * 64})
    with tft_beam.Context(temp_dir=out + "/tmp", force_tf_compat_v1=False):
        transform_fn = (TRAIN, metadata) | tft_beam.AnalyzeDataset(fn)
        (rows, _) = ((SERVE, metadata), transform_fn) | tft_beam.TransformDataset()
        _ = transform_fn | tft_beam.WriteTransformFn(out)
    return rows, tft.TFTransformOutput(out)


def test_cold_flag_comes_from_training_positive_counts(transformed):
    rows, _ = transformed
    assert rows[0][F.IS_COLD] == 0  # a: 3 positives > threshold 1
    assert rows[1][F.IS_COLD] == 1  # never seen in training


def test_vocabularies_map_known_ids_and_send_unknown_to_the_oov_bucket(transformed):
    rows, output = transformed
    items = output.vocabulary_by_name(F.ITEM_VOCAB)
    users = output.vocabulary_by_name(F.USER_VOCAB)
    assert rows[0][F.ITEM_INDEX] == items.index(b"a")
    assert rows[0][F.USER_INDEX] == users.index(b"u1")
    assert rows[1][F.ITEM_INDEX] == len(items)  # the single OOV bucket
    assert rows[1][F.USER_INDEX] == len(users)


def test_history_is_padded_shifted_item_indices(transformed):
    rows, output = transformed
    items = output.vocabulary_by_name(F.ITEM_VOCAB)
    history = np.asarray(rows[0][F.HISTORY_INDICES])
    assert history.shape == (F.HISTORY_LENGTH,)
    expected = [items.index(b"b") + 1, items.index(b"c") + 1, len(items) + 1]  # oldest first; zzz is OOV
    assert list(history[:3]) == expected and not history[3:].any()  # as wide as the window: padded at the end
    assert not np.asarray(rows[1][F.HISTORY_INDICES]).any()


def test_feature_bags_are_padded_token_indices(transformed):
    rows, output = transformed
    tokens = output.vocabulary_by_name(F.ITEM_TOKEN_VOCAB)
    bag = np.asarray(rows[1][F.ITEM_FEATURE_INDICES])
    assert bag.shape == (F.MAX_ITEM_TOKENS,)
    assert list(bag[:2]) == [tokens.index(b"genre=x") + 1, len(tokens) + 1] and not bag[2:].any()
    assert not np.asarray(rows[1][F.USER_FEATURE_INDICES]).any()  # no user features -> all padding


@pytest.mark.parametrize("whole_history", [False, True])
def test_history_keeps_the_most_recent_items_when_too_long(tmp_path, whole_history):
    """5 a's, then c's, then b's: the last HISTORY_LENGTH (b's only) by default, the last MAX_HISTORY (c's, then the
    b's in the last HISTORY_LENGTH columns: the recent window) with whole_history."""
    long_history = " ".join(["a"] * 5 + ["c"] * (F.MAX_HISTORY - F.HISTORY_LENGTH) + ["b"] * F.HISTORY_LENGTH)
    schema = text_format.Parse(open(configs.SCHEMA_PATH).read(), schema_pb2.Schema())
    fn = functools.partial(preprocessing_fn, custom_config={"cold_threshold": 1, "whole_history": whole_history})
    with tft_beam.Context(temp_dir=str(tmp_path / "tmp"), force_tf_compat_v1=False):
        (rows, _), transform_fn = (TRAIN + [_row("u9", "a", 0, history=long_history)], dataset_metadata.DatasetMetadata(schema)) | tft_beam.AnalyzeAndTransformDataset(fn)
        _ = transform_fn | tft_beam.WriteTransformFn(str(tmp_path / "out"))
    items = tft.TFTransformOutput(str(tmp_path / "out")).vocabulary_by_name(F.ITEM_VOCAB)
    b, c = (items.index(name) + 1 for name in (b"b", b"c"))
    older = [c] * (F.MAX_HISTORY - F.HISTORY_LENGTH) if whole_history else []
    assert np.asarray(rows[-1][F.HISTORY_INDICES]).tolist() == older + [b] * F.HISTORY_LENGTH
    short = np.asarray(rows[0][F.HISTORY_INDICES])  # history "": all padding, as wide
    assert short.shape == (F.MAX_HISTORY if whole_history else F.HISTORY_LENGTH,) and not short.any()


def test_pinnacle_candidates_rank_positive_users_by_value(transformed):
    rows, output = transformed
    users = output.vocabulary_by_name(F.USER_VOCAB)
    candidates = np.asarray(rows[0][F.PINNACLE_CANDIDATES])
    assert candidates.shape == (F.PINNACLE_K + 1,)
    expected = [users.index(u) + 1 for u in (b"u2", b"u3", b"u1")]  # ir 0.9 > 0.5 > 0.2
    assert candidates[:3].tolist() == expected and not candidates[3:].any()
    assert not np.asarray(rows[1][F.PINNACLE_CANDIDATES]).any()  # an unseen item has no list


def test_negative_users_of_an_item_have_no_positive_feedback_on_it(transformed):
    rows, output = transformed
    users = output.vocabulary_by_name(F.USER_VOCAB)
    negatives = [u for u in np.asarray(rows[0][F.NEGATIVE_USERS]).tolist() if u]
    assert [users[u - 1] for u in negatives] == [b"u4"]


def test_in_memory_tables_equal_the_beam_analyzers(transformed, tmp_path):
    """trainer/refresh.py recomputes the lists in one process: it must give Transform's rows for the same data."""
    _, output = transformed
    users = {u: n for n, u in enumerate(output.vocabulary_by_name(F.USER_VOCAB))}
    items = {i: n for n, i in enumerate(output.vocabulary_by_name(F.ITEM_VOCAB))}
    arrays = (
        np.array([items[r["item_id"][0].encode()] for r in TRAIN]), np.array([users[r["user_id"][0].encode()] for r in TRAIN]),
        np.array([pinnacle_value(r["cr"][0], r["ir"][0], 1.0, 1.0) for r in TRAIN]), np.array([r["label"][0] for r in TRAIN]),
    )
    pinnacle, negatives = tables_in_memory(*arrays, n_rows=len(items) + 1, n_users=len(users), k=F.PINNACLE_K, seed=0)
    schema = text_format.Parse(open(configs.SCHEMA_PATH).read(), schema_pb2.Schema())
    fn = functools.partial(preprocessing_fn, custom_config={"cold_threshold": 1})
    with tft_beam.Context(temp_dir=str(tmp_path), force_tf_compat_v1=False):
        (rows, _), _ = (TRAIN, dataset_metadata.DatasetMetadata(schema)) | tft_beam.AnalyzeAndTransformDataset(fn)
    for row in rows:
        assert np.asarray(row[F.PINNACLE_CANDIDATES]).tolist() == pinnacle[row[F.ITEM_INDEX]].tolist()
        assert np.asarray(row[F.NEGATIVE_USERS]).tolist() == negatives[row[F.ITEM_INDEX]].tolist()
    assert not pinnacle[-1].any() and not negatives[-1].any()  # the OOV row
