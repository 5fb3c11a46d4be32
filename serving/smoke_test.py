"""serving.smoke's op check names exactly the ops stock TF Serving could not run."""
import os

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from serving.smoke import ops_tf_serving_lacks


class _Scorer(tf.Module):
    def __init__(self, python: bool):
        super().__init__()
        self.python = python
        self.weight = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def score(self, x):
        if self.python:
            x = tf.py_function(lambda v: v * 2.0, [x], tf.float32)
        return {"score": tf.sigmoid(x * self.weight)}


def _save(path, python: bool) -> str:
    module = _Scorer(python)
    tf.saved_model.save(module, path, signatures={"serving_default": module.score})
    return path


def test_a_model_of_stock_ops_needs_nothing_and_a_python_callback_or_unregistered_op_is_named(tmp_path):
    assert ops_tf_serving_lacks(_save(str(tmp_path / "stock"), python=False)) == []
    assert ops_tf_serving_lacks(_save(str(tmp_path / "python"), python=True)) == ["EagerPyFunc"]
    # A node whose op only a custom-op library would register (as ScaNN's search ops): renamed in the saved graph.
    path = _save(str(tmp_path / "custom"), python=False)
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as handle:
        saved.ParseFromString(handle.read())
    node = next(n for f in saved.meta_graphs[0].graph_def.library.function for n in f.node_def if n.op == "Sigmoid")
    node.op = "ScannSearchBatched"
    with open(os.path.join(path, "saved_model.pb"), "wb") as handle:
        handle.write(saved.SerializeToString())
    assert ops_tf_serving_lacks(path) == ["ScannSearchBatched"]
