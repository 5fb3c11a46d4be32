"""Eq. 4 of the paper, the one definition: the value of a user's feedback on an item, which ranks the item's users
into its pinnacle list (transforms/pinnacle.py).

No TensorFlow import: the data loaders (data/canonical.py), the Transform graph (transforms/preprocessing.py),
the refresh (trainer/refresh.py) and benchmarks/pinnacle_scale.py all call it, on pandas Series, TF tensors or
numpy arrays.
"""


def pinnacle_value(cr, ir, alpha, beta):
    """Eq. 4: v_ui = alpha * CR_ui + beta * IR_ui, elementwise (CR: consumption, e.g. dwell or play ratio; IR: the
    interaction score; alpha and beta: the dataset's weights, data/canonical.DatasetConfig)."""
    return alpha * cr + beta * ir
