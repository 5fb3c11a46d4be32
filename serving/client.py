"""Building TF Serving ``:predict`` request bodies and parsing its replies (the REST API's JSON).

Row format: ``{"signature_name": ..., "instances": [{input: value, ...}, ...]}`` -> ``{"predictions": ...}``.
Columnar format: ``{"signature_name": ..., "inputs": {input: [values]}}`` -> ``{"outputs": ...}``.
With a single output, TF Serving returns its values directly (a list); with several, a dict (columnar) or
one dict per row (row format).

The three signatures that take serialized tf.Examples (``serving_tf_example``, ``rank_tf_example``,
``transform_features``: input ``examples``) get them as TF Serving's REST API takes binary strings,
``{"b64": <base64 of the bytes>}`` (:func:`example_request`; rows hold every prepared-example column,
data/examples.py's EXAMPLE_COLUMNS; for ``rank_tf_example`` a row is a user with lists of candidates,
data/tfrecords.py's to_ranking_example).

Request rows are checked before a body is built: a value that is not a str (None, a float such as NaN,
bytes, a list, ...) raises, naming its row and input, instead of being sent as its Python repr ("None",
"nan", "b'196'"); user_id and item_id must be given and not empty (an int id is sent in decimal).
"""
from __future__ import annotations

import base64
import numbers
import reprlib
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

from transforms import features as F

SIGNATURE_INPUTS = {
    "serving_default": F.RAW_STRING_FEATURES,
    "user_embeddings": F.USER_RAW_FEATURES,
    "item_embeddings": F.ITEM_RAW_FEATURES,
    "recommend": F.USER_RAW_FEATURES,
    "recommend_cold_first": F.USER_RAW_FEATURES,  # PROMO-LS's second operating point (trainer/promo_ls.py, Eq. LS-6)
}
SIGNATURE_OUTPUT = {
    "serving_default": "score", "user_embeddings": "embedding", "item_embeddings": "embedding",
    "recommend": ("item_ids", "scores"),  # several outputs: parse_reply gives a dict of them per row
    "recommend_cold_first": ("item_ids", "scores"),
    "serving_tf_example": "score",
    "rank_tf_example": "score",  # one list per row: the row's candidates' percentile ranks (the reply's logit: by hand)
    "transform_features": None,  # every transformed feature: parse_reply gives a dict of them per row
}
EXAMPLE_SIGNATURES = ("serving_tf_example", "rank_tf_example", "transform_features")  # input: serialized tf.Examples
ID_INPUTS = (F.USER_ID, F.ITEM_ID)


def predict_url(host: str, port: int, model_name: str, version: Optional[int] = None) -> str:
    version_part = f"/versions/{version}" if version is not None else ""
    return f"http://{host}:{port}/v1/models/{model_name}{version_part}:predict"


def example_request(rows: Iterable[Mapping], signature_name: str = "serving_tf_example", columnar: bool = False) -> Dict:
    """A body for a signature that takes serialized tf.Examples: each row (every prepared-example column, as in an
    examples.csv; for ``rank_tf_example`` user_id, user_features, history and the lists item_id and item_features)
    serialized (data/tfrecords.py: to_examples, to_ranking_example) and sent as ``{"b64": ...}``, in row or columnar
    format."""
    from data.tfrecords import to_examples, to_ranking_example

    if signature_name not in EXAMPLE_SIGNATURES:
        raise ValueError(f"{signature_name!r} does not take serialized tf.Examples; those that do: {', '.join(EXAMPLE_SIGNATURES)}")
    if signature_name == "rank_tf_example":
        encoded = [to_ranking_example(_ranking_row(row, index)) for index, row in enumerate(rows)]
    else:
        encoded = to_examples(list(rows))
    encoded = [{"b64": base64.b64encode(value).decode("ascii")} for value in encoded]
    if columnar:
        return {"signature_name": signature_name, "inputs": {"examples": encoded}}
    return {"signature_name": signature_name, "instances": [{"examples": value} for value in encoded]}


def _ranking_row(row: Mapping, index: int) -> Dict:
    """A ``rank_tf_example`` request row as checked inputs: the user's (as for ``recommend``: see _request_rows) and
    item_id and item_features, lists (or tuples) of str of one length, ids not empty. Raises naming the row and the
    field otherwise (a str would be read as a list of its characters)."""
    checked = _request_rows([row], F.USER_RAW_FEATURES)[0]
    for name in F.ITEM_RAW_FEATURES:
        values = row.get(name)
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise TypeError(f"row {index}, {name}: expected a list of str (one per candidate), got {reprlib.repr(values)}")
        checked[name] = list(values)
    if len(checked[F.ITEM_ID]) != len(checked[F.ITEM_FEATURES]):
        raise ValueError(f"row {index}: {len(checked[F.ITEM_ID])} item_id values but {len(checked[F.ITEM_FEATURES])} item_features")
    if not all(checked[F.ITEM_ID]):
        raise ValueError(f"row {index}: an item_id is empty")
    return checked


def _inputs(signature_name: str) -> Sequence[str]:
    if signature_name not in SIGNATURE_INPUTS:
        raise ValueError(f"unknown signature {signature_name!r}; choose from {', '.join(SIGNATURE_INPUTS)}")
    return SIGNATURE_INPUTS[signature_name]


def _value(row: Mapping, name: str, index: int) -> str:
    """Input ``name`` of request row ``index`` as sent: a str as is, an int id in decimal, an absent bag as ''."""
    if name not in row:
        if name in ID_INPUTS:
            raise ValueError(f"row {index}: {name} is missing")
        return ""
    value = row[name]
    if name in ID_INPUTS and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if not isinstance(value, str):
        expected = "a str or an int" if name in ID_INPUTS else "a str"
        raise TypeError(f"row {index}, {name}: expected {expected}, got {type(value).__name__} {reprlib.repr(value)}")
    if name in ID_INPUTS and not value:
        raise ValueError(f"row {index}: {name} is empty")
    return value


def _request_rows(rows: Iterable[Mapping], names: Sequence[str]) -> List[Dict[str, str]]:
    """``rows`` (any iterable, read once) as dicts of the inputs ``names``; keys other than ``names`` are ignored.

    Raises, naming the row index and the input, on a row that is not a mapping, a missing or empty id, or a
    value that is not a str (ids may also be ints; bools are refused).
    """
    checked = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"row {index}: expected a mapping of input names to values, got {type(row).__name__}")
        checked.append({name: _value(row, name, index) for name in names})
    return checked


def row_request(rows: Iterable[Mapping[str, str]], signature_name: str = "serving_default") -> Dict:
    """Row format body; a missing feature bag or history is sent as '' (empty). See _request_rows for the checks."""
    return {"signature_name": signature_name, "instances": _request_rows(rows, _inputs(signature_name))}


def columnar_request(rows: Iterable[Mapping[str, str]], signature_name: str = "serving_default") -> Dict:
    """Columnar format body, one column of len(rows) values per input; a missing feature bag or history is sent
    as '' (empty). ``rows`` may be any iterable, a generator included (read once). See _request_rows for the checks."""
    names = _inputs(signature_name)
    checked = _request_rows(rows, names)
    return {"signature_name": signature_name, "inputs": {n: [row[n] for row in checked] for n in names}}


def parse_reply(reply: Mapping, signature_name: str = "serving_default") -> List:
    """The per-row values of the signature's output from a row-format or columnar reply; for ``recommend``, a dict
    ``{"item_ids": [...], "scores": [...]}`` per row."""
    if "error" in reply:
        raise RuntimeError(f"TF Serving error: {reply['error']}")
    values = reply["predictions"] if "predictions" in reply else reply["outputs"]
    output = SIGNATURE_OUTPUT[signature_name]
    if output is None:  # every output, one dict per row
        if isinstance(values, dict):
            return [dict(zip(values, row)) for row in zip(*values.values())]
        return list(values)
    if isinstance(output, tuple):
        if isinstance(values, dict):
            return [dict(zip(output, row)) for row in zip(*(values[name] for name in output))]
        return [{name: v[name] for name in output} for v in values]
    if isinstance(values, dict):
        return list(values[output])
    return [v[output] if isinstance(v, dict) else v for v in values]
