import tensorflow as tf

from data.tfrecords import to_example, write_examples


def test_numeric_looking_ids_stay_strings_and_empty_bags_are_absent(tmp_path):
    import pandas as pd

    row = {"user_id": "196", "item_id": "242", "timestamp": 881250949, "label": 1, "cr": 0.0, "ir": 0.8,
           "user_features": "age=45 gender=M", "item_features": "", "history": "51 86"}
    example = tf.train.Example.FromString(to_example(row))
    features = example.features.feature
    assert features["user_id"].bytes_list.value == [b"196"]
    assert features["history"].bytes_list.value == [b"51 86"]
    assert len(features["item_features"].bytes_list.value) == 0
    assert features["timestamp"].int64_list.value == [881250949]
    assert abs(features["ir"].float_list.value[0] - 0.8) < 1e-6
    (path,) = write_examples(pd.DataFrame([row, row]), str(tmp_path), rows_per_file=10)
    assert sum(1 for _ in tf.data.TFRecordDataset(path, compression_type="GZIP")) == 2


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


def test_query_columns_are_written_as_int64_only_on_rows_that_have_them():
    row = {"user_id": "u", "item_id": "i", "timestamp": 1, "label": 0, "cr": 0.0, "ir": 0.0,
           "user_features": "", "item_features": "", "history": ""}
    ranked = tf.train.Example.FromString(to_example({**row, "query_id": 7, "query_is_cold": 1})).features.feature
    assert ranked["query_id"].int64_list.value == [7] and ranked["query_is_cold"].int64_list.value == [1]
    assert not {"query_id", "query_is_cold"} & set(tf.train.Example.FromString(to_example(row)).features.feature)
