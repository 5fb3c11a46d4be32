"""Exporting a trained model with the signatures TF Serving and the Evaluator call.

- ``serving_default``: raw, JSON-friendly string features (user_id, item_id, user_features, item_features,
  history; one string per row, '' when a bag is empty) -> ``score``, the predicted probability.
- ``serving_tf_example``: serialized tf.Example rows -> ``score``.
- ``rank_tf_example``: serialized *listwise* tf.Examples, each a user (user_id, user_features, history: one value
  each) and its candidates (item_id, item_features: one value per candidate, data/tfrecords.py) -> ``logit``
  [B, candidates], the model's logit of each (user, candidate) pair (serving_tf_example's score is its sigmoid),
  and ``score`` [B, candidates], each candidate's percentile rank among its example's candidates
  (:func:`percentile_ranks`: in (0, 1], ordered as the logits). A PAD_ITEM candidate, and each place after a
  shorter example's last candidate, is no candidate: score 0, logit float32's lowest. What TFX's Evaluator ranks
  (one example per query): the percentile rank, because a float32 probability rounds to exactly 1.0 once the
  logit passes ~17 (at 100K items most candidates do: ties everywhere) and TFMA's AUC buckets scores in [0, 1].
- ``transform_features``: serialized tf.Example rows -> the transformed features (e.g. ``is_cold``, which the
  Transform graph computes).
- ``user_embeddings`` (user_id, user_features, history) and ``item_embeddings`` (item_id, item_features) ->
  ``embedding``: vectors whose inner product is the model's logit, for an approximate-nearest-neighbour
  index. (PROMO's item vector is computed without removing any user from the item's pinnacle list; the
  served score removes the scored user, so the two can differ slightly for users on that list.)
- ``recommend`` (user_id, user_features, history, as for ``user_embeddings``) -> ``item_ids`` and ``scores``
  [B, RECOMMEND_K]: the top items of the whole catalogue by ``serving_default``'s probability, never one of the
  row's history, highest first (trainer/retrieval.py: which items, their vectors, where it equals serving_default).
- ``recommend_<point>`` for each of the model's ``operating_points`` (PROMO-LS: ``recommend_cold_first``): the same
  index ranked with the user side at another exposure (trainer/promo_ls.py, Eq. LS-6): one trained model, several
  cold-exposure settings, each a signature TF Serving calls by name.
The Transform graph travels inside the SavedModel, so a request needs only raw ids and features.
Every signature fails with an InvalidArgumentError that says what is wrong with the request: inputs of
different lengths (naming each input and its length), or rows of ``examples`` that are not whole
serialized tf.Examples (naming the rows).
Files given as ``extra_files`` go to ``assets.extra/`` (TF Serving ignores that folder; trainer/refresh.py
reads the prompt stage's settings from there).
"""
from __future__ import annotations

import functools
import os
from typing import Dict, Optional

import numpy as np
import tensorflow as tf
from tensorflow import keras

from trainer.base_model import ITEM_INPUTS, MODEL_INPUTS, USER_INPUTS
from trainer.retrieval import RECOMMEND_K, Recommender, build_recommender
from transforms import features as F
from transforms.preprocessing import dense_strings

SCORE = "score"
LOGIT = "logit"
EMBEDDING = "embedding"


def embedding_functions(model: keras.Model):
    """(user, item) functions of transformed features whose row-wise inner product is the logit."""
    if hasattr(model, "user_embedding"):  # the prompt-stage model
        return model.user_embedding, model.item_embedding
    return model.get_layer("user_tower"), model.get_layer("item_tower")


def _serving_raw_spec(tf_transform_output):
    spec = tf_transform_output.raw_feature_spec()
    return {name: spec[name] for name in F.RAW_STRING_FEATURES}


def _raw_from_strings(strings, raw_spec):
    """Dense [B] strings -> the raw feature dict the Transform layer expects ('' = absent for bags)."""
    raw = {}
    for name, value in strings.items():
        column = tf.reshape(value, [-1, 1])
        raw[name] = tf.sparse.from_dense(column) if isinstance(raw_spec[name], tf.io.VarLenFeature) else column
    return raw


def _same_length(inputs: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
    """``inputs`` (a signature's [B] inputs by name), once checked to have one length: otherwise an
    InvalidArgumentError naming every input and its length (rather than a ConcatOp error naming none, or a
    batch of one user broadcast against several items)."""
    lengths = [tf.size(value) for value in inputs.values()]
    template = "inputs must have one value per row; got lengths " + ", ".join(f"{name}={{}}" for name in inputs)
    check = tf.debugging.Assert(tf.reduce_all(tf.equal(lengths, lengths[0])), [tf.strings.format(template, lengths)])
    with tf.control_dependencies([check]):
        return {name: tf.identity(value) for name, value in inputs.items()}


def _field(serialized, pos, limit):
    """The protobuf field at byte ``pos`` of each row of ``serialized``, read as a one-byte tag, a varint length (of
    at most 5 bytes) and that many bytes: (tag, start and end of those bytes, whether the field ends by ``limit``)."""
    pos = tf.minimum(pos, tf.cast(tf.strings.length(serialized), tf.int64))  # tf.strings.substr fails past the end
    head = tf.strings.substr(serialized, pos, tf.fill(tf.shape(pos), tf.constant(6, tf.int64)))
    head = tf.cast(tf.io.decode_raw(head, tf.uint8, fixed_length=6), tf.int64)  # zero-padded past the end
    more = head[:, 1:] >= 128  # varint bytes with the continuation bit
    varint_bytes = tf.argmin(tf.cast(more, tf.int64), axis=1) + 1
    place = tf.range(5, dtype=tf.int64)
    length = tf.reduce_sum(tf.where(place < varint_bytes[:, None], head[:, 1:] % 128, 0) * 128**place, axis=1)
    start = pos + 1 + varint_bytes
    end = start + length
    return head[:, 0], start, end, ~tf.reduce_all(more, axis=1) & (start <= limit) & (end <= limit)


def _whole_examples(serialized) -> tf.Tensor:
    """[B] bool: whether each row of ``serialized`` is a whole tf.Example as protobuf writes one: empty, or one
    ``features`` field (tag 0x0A) that fills the row with map entries (tag 0x0A), each filled by exactly two
    fields, key (0x0A) and value (0x12). This is the framing TF's fast Example parser checks
    (tensorflow/core/util/example_proto_fast_parsing.cc; it leaves the values' lists to parse later, with errors
    that quote no bytes), made stricter where that parser accepts damaged rows: it reads a row cut between two
    entries as an Example without the later features, and skips bytes that look like unknown fields."""
    size = tf.cast(tf.strings.length(serialized), tf.int64)
    tag, start, end, whole = _field(serialized, tf.zeros_like(size), size)
    framed = whole & (tag == 0x0A) & (end == size)
    features_end = tf.where(framed, size, 0)

    def unread(pos, ok):
        return ok & (pos < features_end)

    def next_entry(pos, ok):
        tag, start, end, whole = _field(serialized, pos, features_end)
        first, _, first_end, first_whole = _field(serialized, start, end)
        second, _, second_end, second_whole = _field(serialized, first_end, end)
        key_or_value = ((first == 0x0A) | (first == 0x12)) & ((second == 0x0A) | (second == 0x12))
        good = whole & (tag == 0x0A) & first_whole & second_whole & (second_end == end) & key_or_value
        active = unread(pos, ok)
        return tf.where(active, end, pos), ok & (good | ~active)

    entries = (tf.where(framed, start, 0), framed | (size == 0))  # (where the next entry starts, whether whole so far)
    return tf.while_loop(lambda pos, ok: tf.reduce_any(unread(pos, ok)), next_entry, entries)[1]


def _parse_examples(serialized, raw_spec):
    """tf.io.parse_example(serialized, raw_spec) once every row is checked to be a whole tf.Example: otherwise an
    InvalidArgumentError naming the rows. (ParseExample's own error quotes the row's bytes, which Python cannot
    decode as text when they are not UTF-8, so a caller got a UnicodeDecodeError naming no row.)"""
    bad_rows = tf.where(~_whole_examples(serialized))[:, 0]
    message = tf.strings.format(
        "rows {} of examples are not whole serialized tf.Examples (cut short or corrupted)", bad_rows)
    with tf.control_dependencies([tf.debugging.Assert(tf.size(bad_rows) == 0, [message])]):
        return tf.io.parse_example(serialized, raw_spec)


def _ranking_spec():
    """The parse spec of a listwise example (module docstring, ``rank_tf_example``)."""
    one = {name: tf.io.FixedLenFeature([], tf.string, default_value="") for name in (F.USER_FEATURES, F.HISTORY)}
    return {F.USER_ID: tf.io.FixedLenFeature([], tf.string), **one,
            F.ITEM_ID: tf.io.RaggedFeature(tf.string), F.ITEM_FEATURES: tf.io.RaggedFeature(tf.string)}


def _candidate_rows(parsed) -> Dict[str, tf.Tensor]:
    """Parsed listwise examples -> one row of raw strings per (user, candidate) pair, examples' candidates in order;
    an InvalidArgumentError naming the examples whose item_id and item_features lists differ in length."""
    items, features = parsed[F.ITEM_ID], parsed[F.ITEM_FEATURES]
    counts = items.row_lengths()
    bad_rows = tf.where(counts != features.row_lengths())[:, 0]
    message = tf.strings.format("rows {} of examples have not one item_features value per item_id", bad_rows)
    with tf.control_dependencies([tf.debugging.Assert(tf.size(bad_rows) == 0, [message])]):
        rows = {name: tf.repeat(parsed[name], counts) for name in F.USER_RAW_FEATURES}
        return rows | {F.ITEM_ID: tf.identity(items.flat_values), F.ITEM_FEATURES: features.flat_values}


def percentile_ranks(logits: tf.Tensor, candidate: tf.Tensor) -> tf.Tensor:
    """[B, C] percentile rank of each candidate among its row's candidates (``candidate`` [B, C] bool; the other
    places score 0): with n_b the row's candidates, L_bi those whose logit is below candidate i's and E_bi those
    whose logit equals it (i included),

        score_bi = (L_bi + E_bi / 2) / n_b,

    the mid-rank percentile: the top candidate of n untied ones scores 1 - 1/(2n), the last 1/(2n); tied logits tie.
    So scores order each row as its logits do, lie in (0, 1) whatever the logits' scale, and a row's positive
    scores its AUC against the row's negatives, scaled: (n - 1) / n * AUC + 1 / (2n). Sorting is O(C log C) per
    row (a pairwise comparison would be O(C^2) for a long candidate list). Real logits are finite."""
    lowest = tf.fill(tf.shape(logits), -np.inf)
    keyed = tf.where(candidate, logits, lowest)  # non-candidates sort first, below every finite logit
    ordered = tf.sort(keyed, axis=1)
    non_candidates = tf.reduce_sum(tf.cast(~candidate, tf.int32), axis=1, keepdims=True)
    first = tf.searchsorted(ordered, keyed, side="left")  # each logit's first place among its row's, sorted
    below = first - non_candidates
    equal = tf.searchsorted(ordered, keyed, side="right") - first
    n = tf.reduce_sum(tf.cast(candidate, tf.int32), axis=1, keepdims=True)
    score = (tf.cast(below, tf.float32) + tf.cast(equal, tf.float32) / 2) / tf.cast(tf.maximum(n, 1), tf.float32)
    return tf.where(candidate, score, 0.0)


def _model_features(model: keras.Model, transformed, raw_item_id, names):
    """The transformed features ``names`` a model is called with, plus ITEM_ROW for the prompt-stage model."""
    features = {n: transformed[n] for n in names}
    if hasattr(model, "table_rows") and F.ITEM_INDEX in features:
        features[F.ITEM_ROW] = model.table_rows(dense_strings(raw_item_id), features[F.ITEM_INDEX])
    return features


def serving_signatures(
    model: keras.Model, tf_transform_output, recommender: Optional[Recommender] = None
) -> Dict[str, tf.types.experimental.GenericFunction]:
    """The signatures above, by name, as tf.functions of ``model`` (transformed MODEL_INPUTS -> logit), which gets
    the Transform layer as its ``tft_layer`` (and ``recommender``, the recommend signature's index, which that
    signature needs, as its ``recommender``) so that saving the model saves them too."""
    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = _serving_raw_spec(tf_transform_output)

    def logit(raw):
        transformed = model.tft_layer(raw)
        return tf.reshape(model(_model_features(model, transformed, raw[F.ITEM_ID], MODEL_INPUTS)), [-1])

    def score(raw):
        return {SCORE: tf.sigmoid(logit(raw))}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.RAW_STRING_FEATURES])
    def serve_raw(user_id, item_id, user_features, item_features, history):
        strings = _same_length(dict(zip(F.RAW_STRING_FEATURES, (user_id, item_id, user_features, item_features, history))))
        return score(_raw_from_strings(strings, raw_spec))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_tf_examples(serialized):
        return score(_parse_examples(serialized, raw_spec))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def rank_tf_examples(serialized):
        parsed = _parse_examples(serialized, _ranking_spec())
        rows = _candidate_rows(parsed)
        lengths = parsed[F.ITEM_ID].row_lengths()
        candidate = tf.RaggedTensor.from_row_lengths(tf.not_equal(rows[F.ITEM_ID], F.PAD_ITEM), lengths).to_tensor(False)
        logits = tf.RaggedTensor.from_row_lengths(logit(_raw_from_strings(rows, raw_spec)), lengths).to_tensor(0.0)
        return {SCORE: percentile_ranks(logits, candidate), LOGIT: tf.where(candidate, logits, tf.float32.min)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def transform_features(serialized):
        return model.tft_layer(_parse_examples(serialized, raw_spec))

    user_fn, item_fn = embedding_functions(model)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.USER_RAW_FEATURES])
    def user_embeddings(user_id, user_features, history):
        strings = _same_length(dict(zip(F.USER_RAW_FEATURES, (user_id, user_features, history))))
        transformed = model.tft_layer(_raw_from_strings(strings, raw_spec))
        return {EMBEDDING: user_fn({n: transformed[n] for n in USER_INPUTS})}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.ITEM_RAW_FEATURES])
    def item_embeddings(item_id, item_features):
        strings = _same_length(dict(zip(F.ITEM_RAW_FEATURES, (item_id, item_features))))
        transformed = model.tft_layer(_raw_from_strings(strings, raw_spec))
        return {EMBEDDING: item_fn(_model_features(model, transformed, strings[F.ITEM_ID], ITEM_INPUTS))}

    signatures = {
        "serving_default": serve_raw,
        "serving_tf_example": serve_tf_examples,
        "rank_tf_example": rank_tf_examples,
        "transform_features": transform_features,
        "user_embeddings": user_embeddings,
        "item_embeddings": item_embeddings,
    }
    if recommender is None:
        return signatures
    model.recommender = recommender

    def recommend_with(user_side):
        """The recommend signature ranking with ``user_side`` (transformed user features -> user vectors)."""

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.USER_RAW_FEATURES])
        def recommend(user_id, user_features, history):
            strings = _same_length(dict(zip(F.USER_RAW_FEATURES, (user_id, user_features, history))))
            transformed = model.tft_layer(_raw_from_strings(strings, raw_spec))
            return model.recommender(user_side({n: transformed[n] for n in USER_INPUTS}), strings[F.HISTORY])

        return recommend

    points = {
        f"recommend_{name}": recommend_with(functools.partial(model.user_embedding, exposure=exposure))
        for name, exposure in getattr(model, "operating_points", {}).items()
    }
    return signatures | {"recommend": recommend_with(user_fn)} | points


def export_serving_model(
    model: keras.Model, tf_transform_output, export_dir: str, extra_files: Optional[Dict[str, str]] = None,
    item_features: Optional[np.ndarray] = None, recommend_k: int = RECOMMEND_K,
) -> None:
    """Saves ``model`` (transformed MODEL_INPUTS -> logit) with the signatures above at ``export_dir``;
    ``extra_files`` maps file names to the text written under ``export_dir/assets.extra/``. ``item_features`` (each
    table row's training feature bag, for the recommend index) is needed for models without their own
    ``item_features`` table (the base two-tower model): trainer/retrieval.py, ``catalogue_features``."""
    recommender = build_recommender(model, embedding_functions(model)[1], tf_transform_output, item_features, recommend_k)
    model.save(
        export_dir,
        save_format="tf",
        include_optimizer=False,  # serving needs no optimizer state (and the Evaluator then needs no custom optimizer class)
        signatures=serving_signatures(model, tf_transform_output, recommender),
    )
    for name, text in (extra_files or {}).items():
        tf.io.gfile.makedirs(os.path.join(export_dir, "assets.extra"))  # gs:// too (a Vertex Trainer's model)
        with tf.io.gfile.GFile(os.path.join(export_dir, "assets.extra", name), "w") as handle:
            handle.write(text)
