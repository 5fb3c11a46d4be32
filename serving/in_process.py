"""A stand-in for TF Serving's REST ``:predict`` that runs a pushed SavedModel in this process.

It decodes exactly the JSON bodies TF Serving accepts (row and columnar formats), calls the named
signature, and answers in TF Serving's reply shapes, so the client's request and reply code is exercised
without the ``tensorflow_model_server`` binary.
"""
from __future__ import annotations

import json
from typing import Dict, Mapping


def _binary(value):
    """A request value as TF Serving decodes it: ``{"b64": ...}`` is the bytes it encodes; lists element-wise."""
    import base64

    if isinstance(value, list):
        return [_binary(v) for v in value]
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    return value


def _json(value):
    """A tensor's values as TF Serving writes them in JSON: strings (DT_STRING, e.g. recommend's item ids) as text."""
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value.decode() if isinstance(value, bytes) else value


class InProcessServer:
    def __init__(self, model_dir: str):
        import tensorflow as tf

        self.tf = tf
        self.model = tf.saved_model.load(model_dir)

    def predict(self, body: Mapping) -> Dict:
        """One ``:predict`` call: ``body`` as TF Serving receives it (after JSON decoding)."""
        tf = self.tf
        body = json.loads(json.dumps(body))  # only what survives JSON
        signature_name = body.get("signature_name", "serving_default")
        if signature_name not in self.model.signatures:
            return {"error": f"Serving signature name: \"{signature_name}\" not found in signature def"}
        signature = self.model.signatures[signature_name]
        names = list(signature.structured_input_signature[1])
        if "instances" in body:
            columns = {n: [row[n] for row in body["instances"]] for n in names}
        else:
            columns = {n: body["inputs"][n] for n in names}
        outputs = {k: _json(v.numpy().tolist()) for k, v in signature(**{n: tf.constant(_binary(columns[n]), tf.string) for n in names}).items()}
        if "instances" in body:
            if len(outputs) == 1:
                return {"predictions": next(iter(outputs.values()))}
            rows = len(next(iter(outputs.values())))
            return {"predictions": [{k: v[i] for k, v in outputs.items()} for i in range(rows)]}
        return {"outputs": next(iter(outputs.values())) if len(outputs) == 1 else outputs}
