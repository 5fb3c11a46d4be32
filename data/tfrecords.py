"""Writing prepared examples as gzipped tf.Example TFRecords, typed exactly as pipeline/schema/schema.pbtxt.

ImportExampleGen ingests these. (CsvExampleGen infers each column's type from its values, so numeric ids
such as MovieLens's would arrive as int64 and break the string-typed schema.) Empty feature bags are
written as absent features, as the schema's variable-length bags expect. The ranking eval set's query columns
(data/examples.py) are int64 features that only its rows carry; they are not in the schema, which describes
what Transform and the Trainers read.
"""
from __future__ import annotations

import math
import os
from typing import List

import pandas as pd

STRING_COLUMNS = ("user_id", "item_id", "user_features", "item_features", "history")
INT_COLUMNS = ("timestamp", "label")
FLOAT_COLUMNS = ("cr", "ir")
QUERY_COLUMNS = ("query_id", "query_is_cold")  # int64, on the ranking eval set's rows only (data/examples.py)


def to_example(row) -> bytes:
    """One prepared-example row (mapping of column -> value) as a serialized tf.Example."""
    import tensorflow as tf

    feature = {}
    for name in STRING_COLUMNS:
        value = str(row[name]) if row[name] is not None else ""
        feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()] if value else []))
    for name in INT_COLUMNS + tuple(c for c in QUERY_COLUMNS if c in row):
        feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(row[name])]))
    for name in FLOAT_COLUMNS:
        feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(row[name])]))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_examples(frame: pd.DataFrame, directory: str, rows_per_file: int) -> List[str]:
    """Writes the rows of ``frame``, in order, to ``directory/examples-<i>-of-<n>.tfrecord.gz``; returns the paths.

    File i holds rows [i * rows_per_file, (i + 1) * rows_per_file), so the files in name order are the frame.
    Several files let Beam's workers (locally or on Dataflow) read a split in parallel: a gzipped file is read
    by one worker from start to end.
    """
    import tensorflow as tf

    count = max(1, math.ceil(len(frame) / rows_per_file))
    paths = [os.path.join(directory, f"examples-{i:05d}-of-{count:05d}.tfrecord.gz") for i in range(count)]
    rows = frame.to_dict("records")
    for index, path in enumerate(paths):
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for row in rows[index * rows_per_file:(index + 1) * rows_per_file]:
                writer.write(to_example(row))
    return paths
