"""trainer/retrieval.training_tables: the BaseTrainer's one pass gives exactly the two tables of the two passes it
replaces, on the shared pipeline run's transformed training examples."""
import numpy as np
import tensorflow_transform as tft

from pipeline import configs
from pipeline.artifacts import latest_artifact, transformed_files
from trainer.inputs import training_positives
from trainer.retrieval import item_feature_table, training_tables

NAME = configs.pipeline_name("synthetic")


def test_one_pass_gives_the_item_features_and_the_positives_of_two(run):
    graph = tft.TFTransformOutput(latest_artifact(run, NAME, "Transform", "transform_graph"))
    train = transformed_files(run, NAME, "train")
    table, (users, items) = training_tables(graph, train)
    expected_users, expected_items = training_positives(train, graph)
    np.testing.assert_array_equal(table, item_feature_table(graph, train))
    np.testing.assert_array_equal(users, expected_users)
    np.testing.assert_array_equal(items, expected_items)
    assert users.size > 0 and table.any(axis=1).sum() > 1  # positives found, bags filled
