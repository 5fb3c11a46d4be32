"""Smoke-tests a pushed model in-process with the exact JSON bodies a TF Serving REST client sends.

    python -m serving.smoke --model-dir runs/serving_model/promo/<version> \\
        --examples runs/data/ml-100k/examples/test/examples.csv --rows 5

Checks first that the graph needs nothing stock TF Serving lacks (:func:`ops_tf_serving_lacks`), then sends every
signature's request (the raw-feature ones, and the three that take serialized tf.Examples, base64
encoded; ``rank_tf_example`` gets each row's user with every row's item as its candidates) in row and columnar
format, prints the bodies and replies, and fails (exit 1) on an error, a wrong row count, a wrong number of
candidate scores, or a non-finite value. Rows with unknown ids are included.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from typing import List

import pandas as pd

import promo_env  # noqa: F401
from serving.client import EXAMPLE_SIGNATURES, SIGNATURE_INPUTS, columnar_request, example_request, parse_reply, row_request
from serving.in_process import InProcessServer
from transforms import features as F

UNKNOWN_ROW = {"user_id": "unknown-user", "item_id": "unknown-item", "user_features": "", "item_features": "", "history": "",
               "timestamp": "0", "label": "0", "cr": "0", "ir": "0"}  # the last four: for the tf.Example signatures


PYTHON_OPS = ("PyFunc", "PyFuncStateless", "EagerPyFunc")  # registered by TensorFlow, but they call back into Python


def ops_tf_serving_lacks(model_dir: str) -> List[str]:
    """The op types of the SavedModel's graph and of every function in its library that stock TF Serving (of the
    TensorFlow running this check: the one the model is saved with, when run from the project's environment) cannot
    run: ops TensorFlow itself does not register (tf.raw_ops lists every
    op it does; a custom-op library loaded with tf.load_op_library, such as ScaNN's, adds none there) and the
    Python-callback ops. Sorted; empty when the model needs nothing more."""
    import tensorflow as tf

    from pipeline.artifacts import saved_model_proto

    graph = saved_model_proto(model_dir).meta_graphs[0].graph_def
    functions = {function.signature.name for function in graph.library.function}  # called by name, as ops
    ops = {node.op for node in graph.node} | {node.op for f in graph.library.function for node in f.node_def}
    return sorted(op for op in ops - functions if not hasattr(tf.raw_ops, op) or op in PYTHON_OPS)


def _finite(value) -> bool:
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return isinstance(value, str) or math.isfinite(value)


def _recommends_history(rows, values) -> bool:
    """Whether any recommend reply row holds an item of its request row's history."""
    return any(set(row.get("history", "").split()) & set(value["item_ids"]) for row, value in zip(rows, values))


def _queries(rows, signature):
    """``rank_tf_example``'s rows: each row's user with every row's item as its candidates; others: ``rows``."""
    if signature != "rank_tf_example":
        return rows
    candidates = {name: [row.get(name, "") for row in rows] for name in F.ITEM_RAW_FEATURES}
    return [{name: row.get(name, "") for name in F.USER_RAW_FEATURES} | candidates for row in rows]


def example_rows(rows, signature):
    return example_request(_queries(rows, signature), signature)


def example_columns(rows, signature):
    return example_request(_queries(rows, signature), signature, columnar=True)


def smoke(model_dir: str, rows) -> bool:
    lacking = ops_tf_serving_lacks(model_dir)
    print(f"--- ops stock TF Serving lacks: {', '.join(lacking) or 'none'}")
    ok = not lacking
    server = InProcessServer(model_dir)
    for signature in (*SIGNATURE_INPUTS, *EXAMPLE_SIGNATURES):
        if signature not in server.model.signatures:  # recommend_cold_first: PROMO-LS only
            print(f"--- {signature}: not in this model, skipped")
            continue
        builds = (example_rows, example_columns) if signature in EXAMPLE_SIGNATURES else (row_request, columnar_request)
        for build in builds:
            body = build(rows, signature)
            reply = server.predict(body)
            print(f"--- {signature} ({build.__name__})\nrequest: {json.dumps(body)[:300]}\nreply:   {json.dumps(reply)[:300]}")
            try:
                values = parse_reply(reply, signature)
            except (RuntimeError, KeyError) as err:
                print(f"FAILED: {err}")
                ok = False
                continue
            if len(values) != len(rows) or not _finite(values):
                print(f"FAILED: {len(values)} values for {len(rows)} rows, or a non-finite value")
                ok = False
            elif signature == "rank_tf_example" and any(len(v) != len(rows) for v in values):
                print(f"FAILED: rank_tf_example did not score each of the {len(rows)} candidates of every row")
                ok = False
            elif signature.startswith("recommend") and _recommends_history(rows, values):
                print(f"FAILED: {signature} returned an item of the request's history")
                ok = False
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", required=True, help="a pushed version folder (serving_model/<model>/<version>)")
    parser.add_argument("--examples", required=True, help="a prepared examples.csv to take request rows from")
    parser.add_argument("--rows", type=int, default=5)
    args = parser.parse_args(argv)
    frame = pd.read_csv(args.examples, dtype=str, keep_default_na=False).head(args.rows)
    rows = frame.to_dict("records") + [UNKNOWN_ROW]
    ok = smoke(args.model_dir, rows)
    print("smoke test passed" if ok else "smoke test FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
