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
    path = str(tmp_path / "x.tfrecord.gz")
    write_examples(pd.DataFrame([row, row]), path)
    assert sum(1 for _ in tf.data.TFRecordDataset(path, compression_type="GZIP")) == 2
