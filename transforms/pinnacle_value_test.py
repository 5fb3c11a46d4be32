import numpy as np
import pandas as pd
import tensorflow as tf

from transforms.pinnacle_value import pinnacle_value


def test_eq_4_is_one_expression_for_tensors_arrays_and_series():
    cr, ir = [0.5, 0.0, 1.0], [0.2, 0.8, 1.0]
    expected = [0.5 * 0.5 + 2.0 * 0.2, 2.0 * 0.8, 0.5 + 2.0]
    np.testing.assert_allclose(pinnacle_value(np.array(cr), np.array(ir), 0.5, 2.0), expected)
    np.testing.assert_allclose(pinnacle_value(pd.Series(cr), pd.Series(ir), 0.5, 2.0).to_numpy(), expected)
    np.testing.assert_allclose(pinnacle_value(tf.constant(cr), tf.constant(ir), 0.5, 2.0).numpy(), expected, rtol=1e-6)
