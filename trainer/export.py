"""Exporting a trained model with the signatures TF Serving and the Evaluator call.

- ``serving_default``: raw, JSON-friendly string features (user_id, item_id, user_features, item_features,
  history; one string per row, '' when a bag is empty) -> ``score``, the predicted probability.
- ``serving_tf_example``: serialized tf.Example rows -> ``score`` (what the Evaluator uses).
- ``transform_features``: serialized tf.Example rows -> the transformed features (lets the Evaluator slice
  on ``is_cold``, which the Transform graph computes).
- ``user_embeddings`` (user_id, user_features, history) and ``item_embeddings`` (item_id, item_features) ->
  ``embedding``: vectors whose inner product is the model's logit, for an approximate-nearest-neighbour
  index. (PROMO's item vector is computed without removing any user from the item's pinnacle list; the
  served score removes the scored user, so the two can differ slightly for users on that list.)
The Transform graph travels inside the SavedModel, so a request needs only raw ids and features.
Files given as ``extra_files`` go to ``assets.extra/`` (TF Serving ignores that folder; trainer/refresh.py
reads the prompt stage's settings from there).
"""
from __future__ import annotations

import os
from typing import Dict, Optional

import tensorflow as tf
from tensorflow import keras

from trainer.base_model import ITEM_INPUTS, MODEL_INPUTS, USER_INPUTS
from transforms import features as F
from transforms.preprocessing import dense_strings

SCORE = "score"
EMBEDDING = "embedding"


def _embedding_functions(model: keras.Model):
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


def _model_features(model: keras.Model, transformed, raw_item_id, names):
    """The transformed features ``names`` a model is called with, plus ITEM_ROW for the prompt-stage model."""
    features = {n: transformed[n] for n in names}
    if hasattr(model, "table_rows") and F.ITEM_INDEX in features:
        features[F.ITEM_ROW] = model.table_rows(dense_strings(raw_item_id), features[F.ITEM_INDEX])
    return features


def export_serving_model(
    model: keras.Model, tf_transform_output, export_dir: str, extra_files: Optional[Dict[str, str]] = None
) -> None:
    """Saves ``model`` (transformed MODEL_INPUTS -> logit) with the signatures above at ``export_dir``;
    ``extra_files`` maps file names to the text written under ``export_dir/assets.extra/``."""
    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = _serving_raw_spec(tf_transform_output)

    def score(raw):
        transformed = model.tft_layer(raw)
        features = _model_features(model, transformed, raw[F.ITEM_ID], MODEL_INPUTS)
        return {SCORE: tf.sigmoid(tf.reshape(model(features), [-1]))}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.RAW_STRING_FEATURES])
    def serve_raw(user_id, item_id, user_features, item_features, history):
        strings = dict(zip(F.RAW_STRING_FEATURES, (user_id, item_id, user_features, item_features, history)))
        return score(_raw_from_strings(strings, raw_spec))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_tf_examples(serialized):
        return score(tf.io.parse_example(serialized, raw_spec))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def transform_features(serialized):
        return model.tft_layer(tf.io.parse_example(serialized, raw_spec))

    user_fn, item_fn = _embedding_functions(model)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.USER_RAW_FEATURES])
    def user_embeddings(user_id, user_features, history):
        strings = dict(zip(F.USER_RAW_FEATURES, (user_id, user_features, history)))
        transformed = model.tft_layer(_raw_from_strings(strings, raw_spec))
        return {EMBEDDING: user_fn({n: transformed[n] for n in USER_INPUTS})}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=n) for n in F.ITEM_RAW_FEATURES])
    def item_embeddings(item_id, item_features):
        transformed = model.tft_layer(_raw_from_strings(dict(zip(F.ITEM_RAW_FEATURES, (item_id, item_features))), raw_spec))
        return {EMBEDDING: item_fn(_model_features(model, transformed, item_id, ITEM_INPUTS))}

    model.save(
        export_dir,
        save_format="tf",
        include_optimizer=False,  # serving needs no optimizer state (and the Evaluator then needs no custom optimizer class)
        signatures={
            "serving_default": serve_raw,
            "serving_tf_example": serve_tf_examples,
            "transform_features": transform_features,
            "user_embeddings": user_embeddings,
            "item_embeddings": item_embeddings,
        },
    )
    for name, text in (extra_files or {}).items():
        os.makedirs(os.path.join(export_dir, "assets.extra"), exist_ok=True)
        with tf.io.gfile.GFile(os.path.join(export_dir, "assets.extra", name), "w") as handle:
            handle.write(text)
