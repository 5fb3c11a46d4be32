"""Building TF Serving ``:predict`` request bodies and parsing its replies (the REST API's JSON).

Row format: ``{"signature_name": ..., "instances": [{input: value, ...}, ...]}`` -> ``{"predictions": ...}``.
Columnar format: ``{"signature_name": ..., "inputs": {input: [values]}}`` -> ``{"outputs": ...}``.
With a single output, TF Serving returns its values directly (a list); with several, a dict (columnar) or
one dict per row (row format).
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

from transforms import features as F

SIGNATURE_INPUTS = {
    "serving_default": F.RAW_STRING_FEATURES,
    "user_embeddings": F.USER_RAW_FEATURES,
    "item_embeddings": F.ITEM_RAW_FEATURES,
}
SIGNATURE_OUTPUT = {"serving_default": "score", "user_embeddings": "embedding", "item_embeddings": "embedding"}


def predict_url(host: str, port: int, model_name: str, version: Optional[int] = None) -> str:
    version_part = f"/versions/{version}" if version is not None else ""
    return f"http://{host}:{port}/v1/models/{model_name}{version_part}:predict"


def _inputs(signature_name: str) -> Sequence[str]:
    if signature_name not in SIGNATURE_INPUTS:
        raise ValueError(f"unknown signature {signature_name!r}; choose from {', '.join(SIGNATURE_INPUTS)}")
    return SIGNATURE_INPUTS[signature_name]


def row_request(rows: Sequence[Mapping[str, str]], signature_name: str = "serving_default") -> Dict:
    """Row format body; a missing feature bag or history is sent as '' (empty)."""
    names = _inputs(signature_name)
    return {"signature_name": signature_name, "instances": [{n: str(row.get(n, "")) for n in names} for row in rows]}


def columnar_request(rows: Sequence[Mapping[str, str]], signature_name: str = "serving_default") -> Dict:
    """Columnar format body; a missing feature bag or history is sent as '' (empty)."""
    names = _inputs(signature_name)
    return {"signature_name": signature_name, "inputs": {n: [str(row.get(n, "")) for row in rows] for n in names}}


def parse_reply(reply: Mapping, signature_name: str = "serving_default") -> List:
    """The per-row values of the signature's output from a row-format or columnar reply."""
    if "error" in reply:
        raise RuntimeError(f"TF Serving error: {reply['error']}")
    values = reply["predictions"] if "predictions" in reply else reply["outputs"]
    output = SIGNATURE_OUTPUT[signature_name]
    if isinstance(values, dict):
        return list(values[output])
    return [v[output] if isinstance(v, dict) else v for v in values]
