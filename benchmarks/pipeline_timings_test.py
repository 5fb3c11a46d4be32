"""benchmarks/pipeline_timings.py counts the tf.Examples ImportExampleGen ingests (eval_ranking's queries, not its
rows) and the served model's bytes by part."""
import pandas as pd

from benchmarks.pipeline_timings import prepared_examples, saved_model_bytes


def test_prepared_examples_counts_a_row_per_example_and_one_example_per_ranking_query(tmp_path):
    examples = tmp_path / "data" / "toy" / "examples"
    for split, frame in {
        "train": pd.DataFrame({"user_id": ["u", "v", "w"], "history": ["", "a b", ""]}),
        "eval": pd.DataFrame({"user_id": ["u"], "history": [""]}),
        "eval_ranking": pd.DataFrame({"query_id": [0, 0, 0, 1, 1, 1], "item_id": list("abcdef")}),
    }.items():
        (examples / split).mkdir(parents=True)
        frame.to_csv(examples / split / "examples.csv", index=False)
    assert prepared_examples(str(tmp_path), "toy") == 3 + 1 + 2


def test_saved_model_bytes_splits_variables_graph_and_the_rest(tmp_path):
    (tmp_path / "variables").mkdir()
    (tmp_path / "assets" / "variables").mkdir(parents=True)  # a folder named variables below the top is not variables
    for path, size in {"variables/variables.data-00000-of-00001": 700, "variables/variables.index": 20,
                       "saved_model.pb": 300, "keras_metadata.pb": 50, "assets/variables/x.txt": 4}.items():
        (tmp_path / path).write_bytes(b"x" * size)
    assert saved_model_bytes(str(tmp_path)) == {"total": 1074, "variables": 720, "graph": 300, "other": 54}
