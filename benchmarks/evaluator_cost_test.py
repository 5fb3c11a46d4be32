"""benchmarks/evaluator_cost.py's settings take away exactly what they are named after from the pipeline's EvalConfig."""
from benchmarks.evaluator_cost import settings, without_thresholds
from pipeline.pipeline import eval_config


def _shape(config):
    """(slices, [[metric class names] per metrics spec], any threshold left)."""
    metrics = [[m.class_name for m in spec.metrics] for spec in config.metrics_specs]
    thresholds = any(m.per_slice_thresholds or m.HasField("threshold") for spec in config.metrics_specs for m in spec.metrics)
    return len(config.slicing_specs), metrics, thresholds


def test_each_setting_removes_what_it_names_and_no_setting_keeps_a_threshold():
    expected = {
        "pipeline": (2, [["ExampleCount", "AUC"], ["NDCG", "MinLabelPosition"]]),
        "no cold slice": (1, [["ExampleCount", "AUC"], ["NDCG", "MinLabelPosition"]]),
        "no MinLabelPosition": (2, [["ExampleCount", "AUC"], ["NDCG"]]),
        "no AUC": (2, [["ExampleCount"], ["NDCG", "MinLabelPosition"]]),
        "NDCG only": (1, [["NDCG"]]),
        "ExampleCount only": (1, [["ExampleCount"]]),
    }
    assert _shape(eval_config())[2]  # the pipeline's config has thresholds to remove
    for name, edit in settings().items():
        config = without_thresholds(eval_config())
        edit(config)
        assert _shape(config) == (*expected[name], False), name
    assert eval_config().metrics_specs[1].query_key  # the query metrics stay per query
