"""tf.data input over the Transform component's transformed examples."""
from __future__ import annotations

from typing import List, Sequence

import numpy as np
import tensorflow as tf

from transforms import features as F


def transformed_dataset(
    file_pattern: List[str],
    tf_transform_output,
    batch_size: int,
    feature_names: Sequence[str],
    shuffle: bool,
    seed: int = 0,
) -> tf.data.Dataset:
    """One pass over the transformed examples as ``(features, label)`` batches of ``feature_names``."""
    spec = tf_transform_output.transformed_feature_spec()
    dataset = tf.data.experimental.make_batched_features_dataset(
        file_pattern=file_pattern,
        batch_size=batch_size,
        features={name: spec[name] for name in list(feature_names) + [F.LABEL_FLOAT]},
        reader=lambda files: tf.data.TFRecordDataset(files, compression_type="GZIP"),
        label_key=F.LABEL_FLOAT,
        num_epochs=1,
        shuffle=shuffle,
        shuffle_buffer_size=50_000,
        shuffle_seed=seed,
        reader_num_threads=1,
        parser_num_threads=2,
        sloppy_ordering=False,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def training_positives(train_files: List[str], tf_transform_output):
    """(users, items): the user and item index of every positive transformed training example, in file order."""
    users, items = [], []
    for features, labels in transformed_dataset(train_files, tf_transform_output, 8192, (F.USER_INDEX, F.ITEM_INDEX), False).as_numpy_iterator():
        positive = labels.reshape(-1) == 1
        users.append(features[F.USER_INDEX][positive])
        items.append(features[F.ITEM_INDEX][positive])
    return np.concatenate(users), np.concatenate(items)
