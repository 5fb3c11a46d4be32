"""The serving signatures refuse bad requests with an InvalidArgumentError that says what is wrong.

They are the tf.functions export_serving_model saves (called here without saving, which takes half a minute),
of a tiny two-tower model and a stand-in for the Transform graph that hashes ids and tokens: the checks under
test run before the Transform layer.
"""
import random

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2
from tensorflow_transform.tf_metadata import schema_utils

from pipeline import configs
from trainer.base_model import TowerConfig, VocabularySizes, build_two_tower
from trainer.export import _whole_examples, serving_signatures
from transforms import features as F
from transforms.preprocessing import dense_strings

SIZES = VocabularySizes(users=5, items=5, user_tokens=5, item_tokens=5)
ROWS = {
    "user_id": ["u1", "u2"], "item_id": ["a", "b"], "user_features": ["age=1", ""], "item_features": ["", "genre=x"],
    "history": ["a b", ""],
}


class _HashingTransform(tf.keras.layers.Layer):
    """Raw features -> the transformed features of the raw ones given (ids and tokens hashed into ``sizes``).
    trainer/retrieval_test.py looks ids up in a vocabulary instead by overriding ``ids`` and ``history``."""

    def __init__(self, sizes: VocabularySizes = SIZES, **kwargs):
        super().__init__(**kwargs)
        self.sizes = sizes

    def ids(self, raw, name, buckets):
        return tf.strings.to_hash_bucket_fast(dense_strings(raw[name]), buckets)

    def bag(self, raw, name, buckets, length):
        tokens = tf.strings.split(dense_strings(raw[name]))
        return (tf.strings.to_hash_bucket_fast(tokens, buckets - 1) + 1).to_tensor(0, shape=[None, length])

    def history(self, raw):
        return self.bag(raw, F.HISTORY, self.sizes.items, F.HISTORY_LENGTH)

    def call(self, raw):
        transformed = {}
        if F.USER_ID in raw:
            transformed[F.USER_INDEX] = self.ids(raw, F.USER_ID, self.sizes.users)
            transformed[F.USER_FEATURE_INDICES] = self.bag(raw, F.USER_FEATURES, self.sizes.user_tokens, F.MAX_USER_TOKENS)
            transformed[F.HISTORY_INDICES] = self.history(raw)
        if F.ITEM_ID in raw:
            transformed[F.ITEM_INDEX] = self.ids(raw, F.ITEM_ID, self.sizes.items)
            transformed[F.ITEM_FEATURE_INDICES] = self.bag(raw, F.ITEM_FEATURES, self.sizes.item_tokens, F.MAX_ITEM_TOKENS)
        return transformed


class _TransformOutput:
    """The two methods of tft.TFTransformOutput that export_serving_model calls."""

    def raw_feature_spec(self):
        schema = text_format.Parse(open(configs.SCHEMA_PATH).read(), schema_pb2.Schema())
        return schema_utils.schema_as_feature_spec(schema).feature_spec

    def transform_features_layer(self):
        return _HashingTransform()


@pytest.fixture(scope="module")
def signatures():
    return serving_signatures(build_two_tower(SIZES, TowerConfig(4, 4, 4)), _TransformOutput())


def _example(**values) -> bytes:
    """A serialized tf.Example of ``values``: a str as a bytes list ('' as an empty one), a float or int as a list of one."""
    feature = {}
    for name, value in values.items():
        if isinstance(value, str):
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()] if value else []))
        elif isinstance(value, float):
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[value]))
        else:
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _examples():
    """ROWS as serialized tf.Examples, each with a float feature ``ir`` whose bytes are not UTF-8."""
    return [_example(**{name: ROWS[name][i] for name in F.RAW_STRING_FEATURES}, ir=1.5) for i in range(2)]


def _damaged_examples():
    """A serialized example cut inside its float, cut where its ``ir`` entry starts, and bytes that are no proto."""
    whole = _examples()[0]
    ir_entry = _example(ir=1.5)[2:]  # the Example without its features field's tag and length: the one map entry
    ir_at = whole.index(ir_entry)
    return [whole[:ir_at + len(ir_entry) - 1], whole[:ir_at], b"\xff\xfe not a proto"]


def _call(signature, columns):
    return signature(**{name: tf.constant(values) for name, values in columns.items()})


def test_requests_with_equal_lengths_and_whole_examples_are_scored_alike(signatures):
    raw = _call(signatures["serving_default"], ROWS)["score"].numpy()
    from_examples = signatures["serving_tf_example"](tf.constant(_examples()))["score"].numpy()
    assert raw.shape == (2,)
    np.testing.assert_allclose(raw, from_examples, rtol=1e-6)


def _ranking_example(user: int, items, item_features) -> bytes:
    """ROWS[user]'s user as a listwise example with the candidates ``items`` (data/tfrecords.py: to_ranking_example)."""
    from data.tfrecords import to_ranking_example

    query = {name: ROWS[name][user] for name in F.USER_RAW_FEATURES}
    return to_ranking_example(query | {"item_id": items, "item_features": item_features, "label": [0] * len(items),
                                       "query_id": user, "query_is_cold": 0})


def test_rank_tf_example_gives_each_candidates_logit_and_its_percentile_rank_and_no_score_to_pads(signatures):
    candidates = {"item_id": ["a", "b", "zz"], "item_features": ["", "genre=x", "genre=y"]}
    pairs = {name: [ROWS[name][user] for user in (0, 0, 0, 1, 1)] for name in F.USER_RAW_FEATURES}
    pairs |= {name: candidates[name] + candidates[name][:2] for name in F.ITEM_RAW_FEATURES}
    probability = _call(signatures["serving_default"], pairs)["score"].numpy().astype(np.float64)
    expected = np.log(probability / (1 - probability))  # serving_default's score is the logit's sigmoid
    assert len(set(expected[:3])) == 3 and expected[3] != expected[4]
    examples = [_ranking_example(0, candidates["item_id"], candidates["item_features"]),
                _ranking_example(1, ["a", "b", F.PAD_ITEM], ["", "genre=x", ""]),  # a padded query
                _ranking_example(1, ["a", "b"], ["", "genre=x"])]  # a shorter one: its missing place is no candidate
    got = signatures["rank_tf_example"](tf.constant(examples))
    logits, scores = got["logit"].numpy(), got["score"].numpy()
    assert logits.shape == scores.shape == (3, 3)
    np.testing.assert_allclose(logits[0], expected[:3], atol=1e-4)
    np.testing.assert_allclose(logits[1:, :2], [expected[3:]] * 2, atol=1e-4)
    assert (logits[1:, 2] == np.finfo(np.float32).min).all() and (scores[1:, 2] == 0).all()
    # Percentile ranks (L + E/2) / n: 3 candidates score 1/6, 3/6, 5/6 by their logits; 2 score 1/4, 3/4.
    np.testing.assert_allclose(scores[0], (np.argsort(np.argsort(expected[:3])) + 0.5) / 3, rtol=1e-6)
    np.testing.assert_allclose(scores[1:, :2], [(np.argsort(np.argsort(expected[3:])) + 0.5) / 2] * 2, rtol=1e-6)


def test_percentile_ranks_order_rows_as_their_logits_whatever_their_scale_and_tie_equal_logits():
    from trainer.export import percentile_ranks

    logits = tf.constant([[30.0, 31.0, 29.0, 0.0],  # saturated logits: their sigmoids would all be 1.0 in float32
                          [2.0, 2.0, 1.0, 2.0],  # three tied: (1 + 3/2) / 4 each, the lowest (0 + 1/2) / 4
                          [-5.0, 7.0, 0.0, 0.0]])  # two candidates, then two non-candidates
    candidate = tf.constant([[True, True, True, False], [True] * 4, [True, True, False, False]])
    got = percentile_ranks(logits, candidate).numpy()
    np.testing.assert_allclose(got, [[3 / 6, 5 / 6, 1 / 6, 0.0], [5 / 8, 5 / 8, 1 / 8, 5 / 8], [1 / 4, 3 / 4, 0.0, 0.0]])
    assert (tf.sigmoid(logits[0, :3]).numpy() == 1.0).all()


def test_rank_tf_example_refuses_examples_whose_candidate_lists_differ_in_length_naming_them(signatures):
    good = _ranking_example(0, ["a", "b"], ["", ""])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"rows \[1\] of examples have not one item_features value per item_id"):
        signatures["rank_tf_example"](tf.constant([good, _ranking_example(1, ["a", "b"], [""]), good]))


@pytest.mark.parametrize("signature, lengths", [
    ("serving_default", {"user_id": 2, "item_id": 2, "user_features": 2, "item_features": 2, "history": 3}),
    ("serving_default", {"user_id": 1, "item_id": 3, "user_features": 1, "item_features": 3, "history": 1}),  # no broadcast
    ("user_embeddings", {"user_id": 2, "user_features": 1, "history": 2}),
    ("item_embeddings", {"item_id": 3, "item_features": 2}),
])
def test_inputs_of_different_lengths_are_refused_naming_each_input_and_its_length(signatures, signature, lengths):
    columns = {name: (ROWS[name] * 2)[:length] for name, length in lengths.items()}
    named = ", ".join(f"{name}={length}" for name, length in lengths.items())
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"inputs must have one value per row; got lengths {named}"):
        _call(signatures[signature], columns)


@pytest.mark.parametrize("signature", ["serving_tf_example", "rank_tf_example", "transform_features"])
def test_truncated_or_garbled_examples_are_refused_naming_their_rows(signatures, signature):
    whole = _examples()[0]
    for bad in _damaged_examples():
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"rows \[1\] of examples are not whole serialized tf.Examples"):
            signatures[signature](tf.constant([whole, bad, whole]))


SERIALIZED = [
    _example(user_id="u1", item_id="a", history="a b", ir=1.5, label=1),
    _example(user_id="x" * 300, ir=-2.0, timestamp=2**40),  # lengths of two varint bytes, a long int
    _example(user_id="", item_features=""),  # an empty bytes list
    _example(),  # no features
    b"",  # an empty Example
    tf.train.Example(features=tf.train.Features(feature={"": tf.train.Feature()})).SerializeToString(),  # empty key, no kind
]


def _damaged(rng):
    """Every truncation of SERIALIZED and random edits of them (byte changes, insertions, deletions)."""
    rows = [row[:cut] for row in SERIALIZED for cut in range(len(row))]
    for row in SERIALIZED:
        for _ in range(200):
            edited = bytearray(row)
            for _ in range(rng.randint(1, 3)):
                at, kind = rng.randrange(len(edited) + 1), rng.random()
                if kind < 0.4 and at < len(edited):
                    edited[at] = rng.randrange(256)
                elif kind < 0.7 or not edited:
                    edited.insert(at, rng.randrange(256))
                else:
                    del edited[min(at, len(edited) - 1)]
            rows.append(bytes(edited))
    return rows


def _parser_rejects(serialized: bytes) -> bool:
    """Whether tf.io.parse_example fails to read ``serialized`` as a tf.Example (its error quotes the bytes)."""
    try:
        tf.io.parse_example([serialized], {"user_id": tf.io.VarLenFeature(tf.string)})
    except UnicodeDecodeError:
        return True
    except tf.errors.InvalidArgumentError as error:
        return "Could not parse example input" in str(error)
    return False


def test_serialized_examples_are_whole_and_every_row_the_parser_rejects_is_not():
    assert _whole_examples(tf.constant(SERIALIZED)).numpy().all()
    damaged = _damaged(random.Random(0))
    whole = _whole_examples(tf.constant(damaged)).numpy()
    missed = [row for row, ok in zip(damaged, whole) if ok and _parser_rejects(row)]
    assert not missed
    assert not whole.all()
