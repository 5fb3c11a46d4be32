import re

import pytest
import tensorflow as tf

from data.tfrecords import to_examples, write_examples


def test_numeric_looking_ids_stay_strings_and_empty_bags_are_empty_lists(tmp_path):
    import pandas as pd

    row = {"user_id": "196", "item_id": "242", "timestamp": 881250949, "label": 1, "cr": 0.0, "ir": 0.8,
           "user_features": "age=45 gender=M", "item_features": "", "history": "51 86"}
    (serialized,) = to_examples([row])
    example = tf.train.Example.FromString(serialized)
    features = example.features.feature
    assert features["user_id"].bytes_list.value == [b"196"]
    assert features["history"].bytes_list.value == [b"51 86"]
    assert len(features["item_features"].bytes_list.value) == 0
    assert features["timestamp"].int64_list.value == [881250949]
    assert abs(features["ir"].float_list.value[0] - 0.8) < 1e-6
    (path,) = write_examples(pd.DataFrame([row, row]), str(tmp_path), rows_per_file=10)
    assert sum(1 for _ in tf.data.TFRecordDataset(path, compression_type="GZIP")) == 2


def test_encoded_rows_are_the_examples_built_value_by_value():
    from data.tfrecords import encode_examples

    columns = {"user_id": ["196", "7", None], "item_id": ["242", "0042", "x"], "timestamp": [881250949, 0, -1],
               "label": [1, 0, 0], "cr": [0.0, 0.25, 1.0], "ir": [0.8, 0.0, 0.5],
               "user_features": ["age=45 gender=M", "", ""], "item_features": ["", "g=1", ""], "history": ["51 86", "", "1"]}
    for i, serialized in enumerate(encode_examples(columns)):
        expected = tf.train.Example()
        feature = expected.features.feature
        for name in ("user_id", "item_id", "user_features", "item_features", "history"):
            value = columns[name][i]
            feature[name].bytes_list.value.extend([value.encode()] if value else [])
        for name in ("timestamp", "label"):
            feature[name].int64_list.value.append(columns[name][i])
        for name in ("cr", "ir"):
            feature[name].float_list.value.append(columns[name][i])
        assert tf.train.Example.FromString(serialized) == expected, i


@pytest.mark.parametrize("column,value,refusal", [
    ("label", float("nan"), "column 'label', row 1: nan is not a whole number"),
    ("timestamp", 1.5, "column 'timestamp', row 1: 1.5 is not a whole number"),
    ("ir", None, "column 'ir', row 1: None is not a finite number"),
])
def test_a_missing_or_fractional_number_is_refused_naming_column_and_row(column, value, refusal):
    from data.tfrecords import encode_examples

    row = {"user_id": "u", "item_id": "i", "timestamp": 5, "label": 1, "cr": 0.0, "ir": 0.5, "user_features": "",
           "item_features": "", "history": ""}
    columns = {name: [row[name], row[name]] for name in row}
    columns[column][1] = value
    with pytest.raises(ValueError, match=re.escape(refusal)):
        encode_examples(columns)


def test_files_in_name_order_hold_the_rows_in_order(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"user_id": [f"u{i}" for i in range(7)], "item_id": "i", "timestamp": range(7), "label": 1,
                          "cr": 0.0, "ir": 0.0, "user_features": "", "item_features": "", "history": ""})
    paths = write_examples(frame, str(tmp_path), rows_per_file=3)
    assert [p.rsplit("/", 1)[1] for p in paths] == [
        "examples-00000-of-00003.tfrecord.gz", "examples-00001-of-00003.tfrecord.gz", "examples-00002-of-00003.tfrecord.gz"]
    records = tf.data.TFRecordDataset(sorted(tf.io.gfile.glob(str(tmp_path / "*.gz"))), compression_type="GZIP")
    users = [tf.train.Example.FromString(r.numpy()).features.feature["user_id"].bytes_list.value[0] for r in records]
    assert users == [f"u{i}".encode() for i in range(7)]
    assert [sum(1 for _ in tf.data.TFRecordDataset(p, compression_type="GZIP")) for p in paths] == [3, 3, 1]


def test_a_ranking_set_is_written_as_one_listwise_example_per_query_with_short_queries_padded(tmp_path):
    import pandas as pd

    from data.tfrecords import write_ranking_examples
    from transforms.features import PAD_ITEM

    rows = [  # query 4 (two candidates, the positive first) is written after query 3 (three), as its id says
        ("u2", "b", 1, 4, 0, "", "g=1", "x"), ("u2", "c", 0, 4, 0, "", "", "x"),
        ("u1", "a", 1, 3, 1, "age=3", "g=2", ""), ("u1", "d", 0, 3, 1, "age=3", "g=1 g=2", ""), ("u1", "e", 0, 3, 1, "age=3", "", ""),
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "label", "query_id", "query_is_cold", "user_features",
                                        "item_features", "history"]).assign(timestamp=5, cr=0.5, ir=0.5)
    (path,) = write_ranking_examples(frame, str(tmp_path), queries_per_file=10)
    first, second = [tf.train.Example.FromString(r.numpy()).features.feature
                     for r in tf.data.TFRecordDataset(path, compression_type="GZIP")]
    assert first["query_id"].int64_list.value == [3] and first["query_is_cold"].int64_list.value == [1]
    assert first["item_id"].bytes_list.value == [b"a", b"d", b"e"] and first["label"].int64_list.value == [1, 0, 0]
    assert first["item_features"].bytes_list.value == [b"g=2", b"g=1 g=2", b""]
    assert first["user_features"].bytes_list.value == [b"age=3"] and "history" not in first  # empty bags: absent
    assert second["item_id"].bytes_list.value == [b"b", b"c", PAD_ITEM.encode()] and second["label"].int64_list.value == [1, 0, 0]
    assert second["history"].bytes_list.value == [b"x"] and "user_features" not in second
    assert not {"timestamp", "cr", "ir"} & (set(first) | set(second))  # per-candidate logs: not needed to rank


def test_a_query_with_an_empty_candidate_id_is_refused_naming_it():
    import pandas as pd
    import pytest

    from data.tfrecords import ranking_queries

    frame = pd.DataFrame({"user_id": "u", "item_id": ["a", None], "label": [1, 0], "query_id": 6, "query_is_cold": 0,
                          "user_features": "", "item_features": "", "history": ""})
    with pytest.raises(ValueError, match="query 6 of the ranking eval set has a missing or empty item_id"):
        ranking_queries(frame)
