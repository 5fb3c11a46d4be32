import pytest

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
