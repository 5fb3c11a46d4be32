"""trainer/task.py: the whole-history bag refuses a Transform output that did not keep the whole history."""
import pytest
import tensorflow as tf

from trainer.task import TrainingConfig, train_base_model
from transforms import features as F


class _NarrowTransformOutput:
    def transformed_feature_spec(self):
        return {F.HISTORY_INDICES: tf.io.FixedLenFeature([F.HISTORY_LENGTH], tf.int64)}


def test_history_bag_needs_transforms_whole_history():
    with pytest.raises(ValueError, match="--whole-history"):
        train_base_model(_NarrowTransformOutput(), [], [], TrainingConfig(history_bag=True))
