"""Exporting a trained model with the signatures TF Serving and the Evaluator call.

- ``serving_default``: raw, JSON-friendly string features (user_id, item_id, user_features, item_features,
  history; one string per row, '' when a bag is empty) -> ``score``, the predicted probability.
- ``serving_tf_example``: serialized tf.Example rows -> ``score`` (what the Evaluator uses).
- ``transform_features``: serialized tf.Example rows -> the transformed features (lets the Evaluator slice
  on ``is_cold``, which the Transform graph computes).
The Transform graph travels inside the SavedModel, so a request needs only raw ids and features.
"""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf
from tensorflow import keras

from transforms import features as F

SCORE = "score"


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


def export_serving_model(model: keras.Model, tf_transform_output, export_dir: str, input_names: Sequence[str]) -> None:
    """Saves ``model`` (transformed features ``input_names`` -> logit) with the signatures above at ``export_dir``."""
    model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = _serving_raw_spec(tf_transform_output)

    def score(raw):
        transformed = model.tft_layer(raw)
        return {SCORE: tf.sigmoid(tf.reshape(model({n: transformed[n] for n in input_names}), [-1]))}

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

    model.save(
        export_dir,
        save_format="tf",
        signatures={
            "serving_default": serve_raw,
            "serving_tf_example": serve_tf_examples,
            "transform_features": transform_features,
        },
    )
