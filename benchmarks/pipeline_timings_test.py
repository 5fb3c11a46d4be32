"""benchmarks/pipeline_timings.py counts the tf.Examples ImportExampleGen ingests: eval_ranking's queries, not its rows."""
import pandas as pd

from benchmarks.pipeline_timings import prepared_examples


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
