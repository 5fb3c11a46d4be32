"""Training logs that hold epoch means only, for the models built on ``tfrs.models.Model``.

TFRS's ``train_step`` and ``test_step`` report ``loss``, ``regularization_loss`` and ``total_loss`` of the step's
batch, and Keras prints and records the last one as the epoch's: a noisy number on training, and on validation a
``val_loss`` of 0.0 whenever the eval split's last batches hold no positive (its positives come first). Our models
track each part of their objective as a ``keras.metrics.Mean`` over the epoch (``softmax_loss``; ``rec_loss`` and
``rank_loss``; ``rec``, ``pfpe`` and ``pape``), the same on training and validation, so these three entries are
dropped from the logs rather than shown beside them.
"""
from __future__ import annotations

LAST_BATCH = ("loss", "regularization_loss", "total_loss")


class EpochMeanLogs:
    """Mixin before ``tfrs.models.Model`` in a model's bases: its steps' logs without :data:`LAST_BATCH`."""

    def train_step(self, inputs):
        return {name: value for name, value in super().train_step(inputs).items() if name not in LAST_BATCH}

    def test_step(self, inputs):
        return {name: value for name, value in super().test_step(inputs).items() if name not in LAST_BATCH}
