"""The block that ends a local run: both evaluators' verdicts and metrics, where the model went, what to run next.

Everything is read from the Evaluator's own output (``tfma.load_eval_result``, ``tfma.load_validation_result``,
the blessing folder's ``BLESSED`` / ``NOT_BLESSED`` file), not from the pipeline's eval config: the block prints
every metric of every slice the Evaluator computed, and every failed threshold, whatever the config asks for.
The run's Evaluator output is that of the newest finished Evaluator execution in the run's ML Metadata
(``pipeline.artifacts.latest_artifact``): this run's, also when it reused a cached result. CatalogueEvaluator's
(pipeline/catalogue_evaluator.py: the whole-catalogue view, whose blessing decides the push) likewise, from its
``metrics.json`` and blessing folder.
"""
from __future__ import annotations

import os
import json
from typing import List, Optional

from data.examples import QUERY_IS_COLD, RANKING_NEGATIVES
from pipeline import configs
from pipeline.catalogue_evaluator import METRICS_FILE
from pipeline.pipeline import CATALOGUE_EVALUATOR
from pipeline.artifacts import latest_artifact, pushed_model_dir, saved_model_proto
from transforms import features as F

# Readable names of flag slices (a bare "is_cold=1" does not say which group it is): feature -> (value 0, value 1).
_FLAG_NAMES = {F.IS_COLD: ("warm items", "cold items"), QUERY_IS_COLD: ("warm targets", "cold targets")}


def slice_name(key) -> str:
    """``()`` -> "overall"; ``(("is_cold", 1),)`` -> "cold items (is_cold=1)"; a cross slice joins its two."""
    if not key:
        return "overall"
    if isinstance(key[0][0], tuple):  # a cross slice: (slice key, slice key)
        return " x ".join(slice_name(k) for k in key)
    names = [f"{column}={value}" for column, value in key]
    if len(key) == 1 and key[0][0] in _FLAG_NAMES and key[0][1] in (0, 1):
        return f"{_FLAG_NAMES[key[0][0]][key[0][1]]} ({names[0]})"
    return ", ".join(names)


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.4f}"


def _metric_value(value: dict) -> str:
    """A metric of ``tfma.load_eval_result``'s dicts: a number, the value of a confidence interval, or as it is."""
    if "doubleValue" in value:
        return _number(value["doubleValue"])
    if "boundedValue" in value:
        return _number(value["boundedValue"]["value"])
    return str(value)


def metrics_lines(evaluation_dir: str) -> List[str]:
    """One line per slice, overall first: every metric the Evaluator wrote (``auc_diff``-style names for a
    comparison with a baseline model, ``name (sub key)`` for per-class or top-k metrics)."""
    import tensorflow_model_analysis as tfma

    result = tfma.load_eval_result(evaluation_dir)
    rows = []
    for key, by_output in sorted(result.slicing_metrics, key=lambda s: len(s[0])):  # overall first, then as written
        metrics = []
        for output, by_sub_key in by_output.items():
            for sub_key, values in by_sub_key.items():
                qualifier = ", ".join(q for q in (output, sub_key) if q)
                for name, value in sorted(values.items()):
                    label = f"{name} ({qualifier})" if qualifier else name
                    metrics.append(f"{label} {_metric_value(value)}")
        rows.append((slice_name(key), ", ".join(metrics)))
    width = max((len(name) for name, _ in rows), default=0)
    return [f"  {name:<{width}}  {metrics}" for name, metrics in rows]


def _threshold_text(threshold) -> str:
    """What a ``tfma.MetricThreshold`` asks for, e.g. ">= 0.5" or "a change vs the baseline >= -1e-10"."""
    from tensorflow_model_analysis.proto import config_pb2

    if threshold.HasField("value_threshold"):
        bounds = threshold.value_threshold
        parts = [f"{op} {getattr(bounds, side).value:g}"
                 for op, side in ((">=", "lower_bound"), ("<=", "upper_bound")) if bounds.HasField(side)]
        return " and ".join(parts)
    change = threshold.change_threshold
    op = "<=" if change.direction == config_pb2.MetricDirection.LOWER_IS_BETTER else ">="
    parts = [f"{words} vs the baseline {op} {getattr(change, kind).value:g}"
             for kind, words in (("absolute", "a change"), ("relative", "a relative change")) if change.HasField(kind)]
    return " and ".join(parts)


def verdict_lines(evaluation_dir: str, blessed: bool) -> List[str]:
    """Blessed or not, and why: each failed threshold (slice, metric, value, what it needed) and each missing slice."""
    import tensorflow_model_analysis as tfma

    validation = tfma.load_validation_result(evaluation_dir)
    if blessed:
        why = "every threshold met"
        if validation.rubber_stamp:
            why += "; no blessed model to compare with yet, so comparisons were skipped"
        return [f"[summary] the Evaluator blessed the model: {why}"]
    lines = ["[summary] the Evaluator did NOT bless the model:"]
    for per_slice in validation.metric_validations_per_slice:
        if per_slice.HasField("cross_slice_key"):
            key = tfma.slicer.slicer_lib.deserialize_cross_slice_key(per_slice.cross_slice_key)
        else:
            key = tfma.slicer.deserialize_slice_key(per_slice.slice_key)
        for failure in per_slice.failures:
            name = failure.metric_key.name + ("_diff" if failure.metric_key.is_diff else "")
            value = (f" = {_number(failure.metric_value.double_value.value)}"
                     if failure.metric_value.HasField("double_value") else "")
            note = f" ({failure.message.strip()})" if failure.message.strip() else ""
            lines.append(f"  - {slice_name(key)}: {name}{value}, needs {_threshold_text(failure.metric_threshold)}{note}")
    for spec in validation.missing_slices:
        lines.append(f"  - slice {dict(spec.feature_values) or list(spec.feature_keys)} has no examples")
    return lines


def signature_names(model_dir: str) -> List[str]:
    """The serving signatures of a SavedModel, sorted, read from its ``saved_model.pb`` (nothing is loaded)."""
    return sorted(name for name in saved_model_proto(model_dir).meta_graphs[0].signature_def if not name.startswith("__"))


def _blessed(output_root: str, dataset: str, node: str) -> bool:
    """Whether ``node`` (an evaluator) of one dataset's latest run under ``output_root`` blessed its model."""
    blessing = latest_artifact(output_root, configs.pipeline_name(dataset), node, "blessing")
    return os.path.exists(os.path.join(blessing, "BLESSED"))


def run_blessed(output_root: str, dataset: str) -> bool:
    """Whether one dataset's latest run under ``output_root`` blessed its model: CatalogueEvaluator's verdict, which
    includes the Evaluator's and decides the push."""
    return _blessed(output_root, dataset, CATALOGUE_EVALUATOR)


def _pair(values: dict) -> str:
    return f"{_number(values['all'])} overall, {_number(values['cold'])} cold"


def catalogue_lines(metrics: dict) -> List[str]:
    """CatalogueEvaluator's numbers (both views' HR@10 on the eval split) and its own verdict, from its metrics.json."""
    recall, k = metrics["recall"], metrics["cutoff"]
    lines = [
        f"[summary] whole catalogue (recommend's top {k}, {metrics['targets']} eval targets, {metrics['cold_targets']} cold): "
        f"recall@{k} {_pair(recall['candidate'])}; most popular {_pair(recall['popularity'])}",
        f"[summary] sampled (each target among {RANKING_NEGATIVES} items): HR@{k} {_pair(metrics['sampled_hr'])}",
    ]
    if "baseline" not in recall:
        verdict = "no blessed model to compare with yet, so the Evaluator's verdict stands"
    else:
        checks = metrics["checks"]
        failed = [f"{group} recall@{k} {_number(recall['candidate'][group])} is below the baseline's "
                  f"{_number(recall['baseline'][group])} by more than {_number(checks[group]['tolerance'])}"
                  for group in ("all", "cold") if not checks[group]["ok"]]
        verdict = "; ".join(failed) or (
            f"no worse than the baseline ({_pair(recall['baseline'])}) within {metrics['z']:g} standard errors "
            f"({_number(checks['all']['tolerance'])} / {_number(checks['cold']['tolerance'])})")
    if metrics["ok"]:
        word = "passed" if not metrics["evaluator_blessed"] else "blessed the model"
    else:
        word = "did NOT bless the model"
    return lines + [f"[summary] CatalogueEvaluator {word}: {verdict}"]


def run_summary(output_root: str, dataset: str, data_dir: Optional[str], variant: str) -> str:
    """The end-of-run block of ``local_runner.py`` for one dataset's run under ``output_root``."""
    name = configs.pipeline_name(dataset)
    evaluation_dir = latest_artifact(output_root, name, "Evaluator", "evaluation")
    with open(os.path.join(latest_artifact(output_root, name, CATALOGUE_EVALUATOR, "evaluation"), METRICS_FILE)) as handle:
        catalogue = json.load(handle)
    blessed = run_blessed(output_root, dataset)
    serving_root = os.path.join(output_root, "serving_model", configs.MODEL_NAME)
    newest = pushed_model_dir(serving_root)
    lines = verdict_lines(evaluation_dir, _blessed(output_root, dataset, "Evaluator"))
    lines += ["[summary] Evaluator metrics by slice:"] + metrics_lines(evaluation_dir) + catalogue_lines(catalogue)
    if not blessed:
        still = f"; TF Serving keeps serving {newest}, an earlier run's" if newest else ""
        lines.append(f"[summary] nothing pushed to {serving_root}{still}")
        return "\n".join(lines)
    examples = os.path.join(output_root, "data", dataset, "examples", "test", "examples.csv")
    data = f" --data-dir {data_dir}" if data_dir else ""
    variants = " ".join(dict.fromkeys(["pretrain", variant]))  # the base beside the run's variant
    lines += [
        f"[summary] pushed: {newest}",
        f"[summary] signatures: {', '.join(signature_names(newest))}",
        "[summary] next:",
        f"  tensorflow_model_server --rest_api_port=8501 --model_name={configs.MODEL_NAME} "
        f"--model_base_path={serving_root}   # serve over REST (docs/serving.md)",
        f"  python -m serving.smoke --model-dir {newest} --examples {examples}   # call every signature in-process",
        f"  python -m benchmarks.quality --dataset {dataset}{data} --output-root {output_root} --seeds 0 "
        f"--variants {variants} --tag mine   # cold-start ranking quality (HR@10, NDCG@10)",
    ]
    return "\n".join(lines)
