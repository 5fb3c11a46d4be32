import math

import pytest

from serving import client
from serving.client import columnar_request, parse_reply, predict_url, row_request

ROWS = [{"user_id": "196", "item_id": "242", "user_features": "age=45", "item_features": "genre=Comedy", "history": "51 86"},
        {"user_id": "7", "item_id": "9"}]


def test_row_and_columnar_bodies_fill_missing_inputs_with_empty_strings():
    assert row_request(ROWS)["instances"][1] == {"user_id": "7", "item_id": "9", "user_features": "", "item_features": "", "history": ""}
    body = columnar_request(ROWS, "item_embeddings")
    assert body == {"signature_name": "item_embeddings", "inputs": {"item_id": ["242", "9"], "item_features": ["genre=Comedy", ""]}}


def test_replies_in_every_tf_serving_shape_parse_to_per_row_values():
    assert parse_reply({"predictions": [0.1, 0.2]}) == [0.1, 0.2]
    assert parse_reply({"predictions": [{"score": 0.1}, {"score": 0.2}]}) == [0.1, 0.2]
    assert parse_reply({"outputs": [0.1, 0.2]}) == [0.1, 0.2]
    assert parse_reply({"outputs": {"embedding": [[1.0], [2.0]]}}, "item_embeddings") == [[1.0], [2.0]]
    with pytest.raises(RuntimeError, match="not found"):
        parse_reply({"error": "Servable not found"})


def test_urls_and_unknown_signatures():
    assert predict_url("localhost", 8501, "promo") == "http://localhost:8501/v1/models/promo:predict"
    assert predict_url("localhost", 8501, "promo", 3) == "http://localhost:8501/v1/models/promo/versions/3:predict"
    with pytest.raises(ValueError, match="unknown signature"):
        row_request(ROWS, "serving_nope")


@pytest.mark.parametrize("build", [row_request, columnar_request])
@pytest.mark.parametrize("name, value", [
    ("user_id", None), ("item_id", math.nan), ("history", math.nan), ("item_id", math.inf), ("user_id", 196.0),
    ("user_id", b"196"), ("history", ["51", "86"]), ("user_features", ("age=45",)), ("item_features", {"genre": "x"}),
    ("user_id", True), ("history", 51), ("user_features", None),
])
def test_a_value_that_is_not_a_string_is_refused_naming_its_row_and_input(build, name, value):
    rows = [ROWS[0], {**ROWS[0], name: value}]
    with pytest.raises(TypeError, match=rf"row 1, {name}: expected a str"):
        build(rows)


@pytest.mark.parametrize("build", [row_request, columnar_request])
def test_a_missing_or_empty_id_is_refused_naming_its_row(build):
    with pytest.raises(ValueError, match="row 1: item_id is missing"):
        build([ROWS[0], {"user_id": "7"}])
    with pytest.raises(ValueError, match="row 0: user_id is empty"):
        build([{"user_id": "", "item_id": "9"}])


def test_a_row_that_is_not_a_mapping_is_refused():
    with pytest.raises(TypeError, match="row 1: expected a mapping"):
        columnar_request([ROWS[0], ["7", "9"]])


def test_int_ids_are_sent_as_their_decimal_strings():
    assert row_request([{"user_id": 196, "item_id": 242}])["instances"][0]["user_id"] == "196"
    assert columnar_request([{"user_id": 196, "item_id": 242}])["inputs"]["item_id"] == ["242"]


def test_columnar_request_reads_a_generator_once_into_equal_length_columns():
    body = columnar_request(row for row in ROWS)
    assert body == columnar_request(ROWS)
    assert {len(column) for column in body["inputs"].values()} == {len(ROWS)}
    assert row_request(row for row in ROWS) == row_request(ROWS)


def test_recommend_bodies_and_replies_in_both_formats():
    assert row_request(ROWS, "recommend")["instances"][1] == {"user_id": "7", "user_features": "", "history": ""}
    assert columnar_request(ROWS[:1], "recommend")["inputs"] == {"user_id": ["196"], "user_features": ["age=45"], "history": ["51 86"]}
    rows = [{"item_ids": ["a", "b"], "scores": [0.9, 0.8]}, {"item_ids": ["b", "c"], "scores": [0.7, 0.6]}]
    assert parse_reply({"predictions": rows}, "recommend") == rows
    columns = {"item_ids": [["a", "b"], ["b", "c"]], "scores": [[0.9, 0.8], [0.7, 0.6]]}
    assert parse_reply({"outputs": columns}, "recommend") == rows


@pytest.mark.parametrize("columnar", [False, True])
def test_example_bodies_carry_each_row_as_base64_serialized_tf_example(columnar):
    import base64

    import tensorflow as tf

    rows = [{"user_id": "196", "item_id": "242", "timestamp": "881250949", "label": "1", "cr": "0", "ir": "0.6",
             "user_features": "age=49", "item_features": "", "history": "51 86"}]
    body = client.example_request(rows, "transform_features", columnar=columnar)
    encoded = body["inputs"]["examples"] if columnar else [row["examples"] for row in body["instances"]]
    example = tf.train.Example.FromString(base64.b64decode(encoded[0]["b64"]))
    features = example.features.feature
    assert body["signature_name"] == "transform_features" and len(encoded) == 1
    assert features["user_id"].bytes_list.value == [b"196"] and features["timestamp"].int64_list.value == [881250949]
    assert features["ir"].float_list.value == pytest.approx([0.6]) and features["item_features"].bytes_list.value == []
    with pytest.raises(ValueError, match="does not take serialized tf.Examples"):
        client.example_request(rows, "recommend")


def test_a_ranking_body_carries_each_row_as_one_listwise_example():
    import base64

    import tensorflow as tf

    rows = [{"user_id": "196", "user_features": "", "history": "51 86", "item_id": ["242", "7"], "item_features": ["g=1", ""]}]
    body = client.example_request(rows, "rank_tf_example")
    features = tf.train.Example.FromString(base64.b64decode(body["instances"][0]["examples"]["b64"])).features.feature
    assert set(features) == {"user_id", "history", "item_id", "item_features"}  # no empty bag, no label or query columns
    assert features["item_id"].bytes_list.value == [b"242", b"7"] and features["item_features"].bytes_list.value == [b"g=1", b""]
    # Two outputs (logit, score): a dict per row in row format, a dict of columns in columnar format; the scores read.
    assert client.parse_reply({"predictions": [{"logit": [-1.0, 2.0], "score": [0.25, 0.75]}]}, "rank_tf_example") == [[0.25, 0.75]]
    assert client.parse_reply({"outputs": {"logit": [[-1.0, 2.0]], "score": [[0.25, 0.75]]}}, "rank_tf_example") == [[0.25, 0.75]]


@pytest.mark.parametrize("candidates, error", [
    ({"item_id": "242", "item_features": [""]}, r"row 1, item_id: expected a list of str \(one per candidate\), got '242'"),
    ({"item_id": ["242", "7"], "item_features": [""]}, "row 1: 2 item_id values but 1 item_features"),
    ({"item_id": ["242", ""], "item_features": ["", ""]}, "row 1: an item_id is empty"),
    ({"item_id": [242], "item_features": [""]}, r"row 1, item_id: expected a list of str"),
])
def test_a_ranking_row_without_one_list_of_str_ids_and_features_per_candidate_is_refused_naming_it(candidates, error):
    good = {"user_id": "196", "item_id": ["1"], "item_features": [""]}
    with pytest.raises((TypeError, ValueError), match=error):
        client.example_request([good, {"user_id": "196", **candidates}], "rank_tf_example")


def test_a_reply_with_every_output_parses_to_one_dict_per_row():
    columnar = {"outputs": {"is_cold": [1, 0], "user_index": [3, 4]}}
    rows = {"predictions": [{"is_cold": 1, "user_index": 3}, {"is_cold": 0, "user_index": 4}]}
    expected = [{"is_cold": 1, "user_index": 3}, {"is_cold": 0, "user_index": 4}]
    assert client.parse_reply(columnar, "transform_features") == client.parse_reply(rows, "transform_features") == expected
    assert client.parse_reply({"predictions": [0.25, 0.5]}, "serving_tf_example") == [0.25, 0.5]
