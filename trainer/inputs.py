"""tf.data input over the Transform component's transformed examples, read the way TFX's Trainer reads them."""
from __future__ import annotations

from typing import Callable, List, Sequence

import numpy as np
import tensorflow as tf
from tensorflow_metadata.proto.v0 import schema_pb2
from tensorflow_transform.tf_metadata import schema_utils
from tfx.components.util import tfxio_utils
from tfx.proto import example_gen_pb2
from tfx_bsl.public import tfxio

from transforms import features as F

# Rows the shuffled training reader holds and draws from (tfx_bsl's shuffle buffer; trainer/memory_input.py replays it).
SHUFFLE_BUFFER = 50_000
# Files the training reader reads at once (tfx_bsl's reader_num_threads: its interleave's parallel calls). One: one file
# at a time, in order, so a seed gives the same batches whatever the machine.
READER_THREADS = 1
# The signature of ``fn_args.data_accessor.tf_dataset_factory``: (file patterns, options, schema) -> dataset.
DatasetFactory = Callable[[List[str], tfxio.TensorFlowDatasetOptions, schema_pb2.Schema], tf.data.Dataset]


def file_dataset_factory(file_pattern: List[str], options: tfxio.TensorFlowDatasetOptions, schema: schema_pb2.Schema) -> tf.data.Dataset:
    """What a Trainer's ``fn_args.data_accessor.tf_dataset_factory`` does for the Transform component's
    (TF-Example, gzipped TFRecord) output, for the readers outside a Trainer run (benchmarks, refresh, tests):
    TFX's own ``tfxio_utils.make_tfxio`` on the file pattern, then ``TensorFlowDataset``."""
    reader = tfxio_utils.make_tfxio(
        file_pattern, telemetry_descriptors=["promo"], payload_format=example_gen_pb2.PayloadFormat.FORMAT_TF_EXAMPLE,
        schema=schema,
    )
    return reader.TensorFlowDataset(options)


def transformed_dataset(
    file_pattern: List[str],
    tf_transform_output,
    batch_size: int,
    feature_names: Sequence[str],
    shuffle: bool,
    seed: int = 0,
    dataset_factory: DatasetFactory = file_dataset_factory,
) -> tf.data.Dataset:
    """One pass over the transformed examples as ``(features, label)`` batches of ``feature_names``, through
    ``dataset_factory`` (a Trainer passes ``fn_args.data_accessor.tf_dataset_factory``). Only ``feature_names``
    and the label are parsed: the schema handed to the factory is the transformed schema cut to them."""
    spec = tf_transform_output.transformed_feature_spec()
    schema = schema_utils.schema_from_feature_spec({name: spec[name] for name in list(feature_names) + [F.LABEL_FLOAT]})
    options = tfxio.TensorFlowDatasetOptions(
        batch_size=batch_size,
        num_epochs=1,
        shuffle=shuffle,
        shuffle_buffer_size=SHUFFLE_BUFFER,
        shuffle_seed=seed,
        reader_num_threads=READER_THREADS,
        label_key=F.LABEL_FLOAT,
    )
    return dataset_factory(file_pattern, options, schema).prefetch(tf.data.AUTOTUNE)


def training_positives(train_files: List[str], tf_transform_output, dataset_factory: DatasetFactory = file_dataset_factory):
    """(users, items): the user and item index of every positive transformed training example, in file order."""
    dataset = transformed_dataset(train_files, tf_transform_output, 8192, (F.USER_INDEX, F.ITEM_INDEX), False, dataset_factory=dataset_factory)
    users, items = [], []
    for features, labels in dataset.as_numpy_iterator():
        positive = labels.reshape(-1) == 1
        users.append(features[F.USER_INDEX][positive])
        items.append(features[F.ITEM_INDEX][positive])
    return np.concatenate(users), np.concatenate(items)
