"""Writing prepared examples as gzipped tf.Example TFRecords, typed exactly as pipeline/schema/schema.pbtxt.

ImportExampleGen ingests these. (CsvExampleGen infers each column's type from its values, so numeric ids
such as MovieLens's would arrive as int64 and break the string-typed schema.) An empty feature bag is written as
an empty list, which the schema's variable-length bags read as no value.

The ranking eval set (data/examples.py: one query per eval positive, a row per candidate) is written as one
*listwise* tf.Example per query (:func:`to_ranking_example`), which the model's ``rank_tf_example`` signature scores
(trainer/export.py) and TFX's Evaluator ranks: TFMA then reads and groups 942 examples on ML-100K instead of
95,142 rows (benchmarks/results/evaluator-cost-ml-100k.md). It is not in the schema, which describes what
Transform and the Trainers read.
"""
from __future__ import annotations

import math
import os
from typing import List

import pandas as pd

from transforms.features import PAD_ITEM  # no TensorFlow import: names and sizes only

STRING_COLUMNS = ("user_id", "item_id", "user_features", "item_features", "history")
INT_COLUMNS = ("timestamp", "label")
FLOAT_COLUMNS = ("cr", "ir")
QUERY_COLUMNS = ("query_id", "query_is_cold")  # int64, on the ranking eval set's examples only (data/examples.py)
QUERY_ID, QUERY_IS_COLD = QUERY_COLUMNS
# A listwise example's own columns: one value for the query, and one per candidate (the rest are not written).
QUERY_STRING_COLUMNS = ("user_id", "user_features", "history")
CANDIDATE_STRING_COLUMNS = ("item_id", "item_features")
ENCODE_CHUNK = 100_000  # rows encoded at once by write_examples (the Arrow batch's memory)


def _bytes(values):
    import tensorflow as tf

    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(v).encode() for v in values]))


def _ints(values):
    import tensorflow as tf

    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))


def encode_examples(columns) -> List[bytes]:
    """The rows of ``columns`` (column -> sequence of values, one per row; every name of STRING_COLUMNS, INT_COLUMNS
    and FLOAT_COLUMNS) as serialized tf.Examples: a string is a one-value bytes list (an empty or missing one an empty
    list), an int an int64, a float a float32. Encoded by tfx_bsl's RecordBatchToExamplesEncoder (C++, what TFX's own
    components use) from an Arrow record batch, instead of building each row's proto in Python."""
    import numpy as np
    import pyarrow as pa
    from tfx_bsl.coders.example_coder import RecordBatchToExamplesEncoder

    n = len(columns[STRING_COLUMNS[0]])
    one_each = np.arange(n + 1, dtype=np.int32)  # offsets of n one-value lists
    arrays = [pa.array([[str(v).encode()] if v is not None and str(v) else [] for v in columns[name]],
                       type=pa.large_list(pa.large_binary())) for name in STRING_COLUMNS]
    arrays += [pa.ListArray.from_arrays(one_each, pa.array(_numbers(columns, name, whole=True).astype(np.int64))) for name in INT_COLUMNS]
    arrays += [pa.ListArray.from_arrays(one_each, pa.array(_numbers(columns, name, whole=False).astype(np.float32))) for name in FLOAT_COLUMNS]
    batch = pa.RecordBatch.from_arrays(arrays, list(STRING_COLUMNS + INT_COLUMNS + FLOAT_COLUMNS))
    return RecordBatchToExamplesEncoder().encode(batch)


def _numbers(columns, name: str, whole: bool):
    """Column ``name`` as float64, refusing (naming the column and row) a missing, infinite or, when ``whole``,
    fractional value: what ``int(v)`` and ``float(v)`` refused when each row was built in Python."""
    import numpy as np

    values = np.asarray(columns[name], np.float64)  # None -> NaN
    bad = ~np.isfinite(values) | ((values != np.round(values)) if whole else False)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"column {name!r}, row {row}: {columns[name][row]!r} is not {'a whole' if whole else 'a finite'} number")
    return values


def to_examples(rows) -> List[bytes]:
    """Prepared-example rows (mappings of column -> value) as serialized tf.Examples (:func:`encode_examples`)."""
    return encode_examples({name: [row[name] for row in rows] for name in STRING_COLUMNS + INT_COLUMNS + FLOAT_COLUMNS})


def to_ranking_example(query) -> bytes:
    """One query of the ranking eval set (mapping of column -> value: QUERY_STRING_COLUMNS and QUERY_COLUMNS one
    value each, CANDIDATE_STRING_COLUMNS and ``label`` one list each, in candidate order) as a serialized listwise
    tf.Example; empty user bags are absent. A request to ``rank_tf_example`` needs only
    the string columns: ``label`` and QUERY_COLUMNS are written when given."""
    import tensorflow as tf

    feature = {name: _bytes([query[name]]) for name in QUERY_STRING_COLUMNS if query.get(name)}
    feature.update({name: _bytes(query[name]) for name in CANDIDATE_STRING_COLUMNS})
    if "label" in query:
        feature["label"] = _ints(query["label"])
    feature.update({name: _ints([query[name]]) for name in QUERY_COLUMNS if name in query})
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def ranking_queries(frame: pd.DataFrame) -> List[dict]:
    """The rows of a ranking eval set (one per candidate, a query's rows together, data/examples.py) as one mapping
    per query for :func:`to_ranking_example`, in query order. Every query gets as many candidates as the largest:
    a shorter one (a user who touched all but a few items) is filled with PAD_ITEM candidates of label 0, which
    ``rank_tf_example`` treats as no candidate and scores 0, below every real candidate's percentile rank
    (trainer/export.py: percentile_ranks; docs/evaluator.md); so every example's lists have one length, as TFMA
    needs to compare a query's labels with the model's [B, candidates] scores."""
    groups = frame.groupby(QUERY_ID, sort=True)
    width = int(groups.size().max()) if len(frame) else 0
    queries = []
    for query_id, rows in groups:
        pad = width - len(rows)
        first = rows.iloc[0]
        query = {name: "" if pd.isna(first[name]) else str(first[name]) for name in QUERY_STRING_COLUMNS}
        query.update({name: ["" if pd.isna(v) else str(v) for v in rows[name]] + [PAD_ITEM] * pad for name in CANDIDATE_STRING_COLUMNS})
        if PAD_ITEM in query["item_id"][:len(rows)]:  # an empty id would be scored as a pad
            raise ValueError(f"query {query_id} of the ranking eval set has a missing or empty item_id")
        query["label"] = [int(v) for v in rows["label"]] + [0] * pad
        query.update({QUERY_ID: int(query_id), QUERY_IS_COLD: int(first[QUERY_IS_COLD])})
        queries.append(query)
    return queries


def _write_records(records: List[bytes], directory: str, per_file: int) -> List[str]:
    """``records``, in order, to ``directory/examples-<i>-of-<n>.tfrecord.gz``, ``per_file`` in each; the paths."""
    import tensorflow as tf

    count = max(1, math.ceil(len(records) / per_file))
    paths = [os.path.join(directory, f"examples-{i:05d}-of-{count:05d}.tfrecord.gz") for i in range(count)]
    for index, path in enumerate(paths):
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for record in records[index * per_file:(index + 1) * per_file]:
                writer.write(record)
    return paths


def write_examples(frame: pd.DataFrame, directory: str, rows_per_file: int) -> List[str]:
    """Writes the rows of ``frame``, in order, to ``directory/examples-<i>-of-<n>.tfrecord.gz``; returns the paths.

    File i holds rows [i * rows_per_file, (i + 1) * rows_per_file), so the files in name order are the frame.
    Several files let Beam's workers (locally or on Dataflow) read a split in parallel: a gzipped file is read
    by one worker from start to end.
    """
    records = []
    for start in range(0, len(frame), ENCODE_CHUNK):
        chunk = frame.iloc[start:start + ENCODE_CHUNK]
        records += encode_examples({name: chunk[name].to_numpy() for name in STRING_COLUMNS + INT_COLUMNS + FLOAT_COLUMNS})
    return _write_records(records, directory, rows_per_file)


def write_ranking_examples(frame: pd.DataFrame, directory: str, queries_per_file: int) -> List[str]:
    """Writes a ranking eval set (data/examples.py: build_ranking_examples) as one listwise example per query
    (:func:`ranking_queries`, :func:`to_ranking_example`), ``queries_per_file`` per file, in query order."""
    return _write_records([to_ranking_example(q) for q in ranking_queries(frame)], directory, queries_per_file)
