"""Runs a compiled KFP v2 pipeline (kubeflow_v2_runner.py's JSON) on this machine, task by task, as Vertex AI
Pipelines runs its containers: the check that what was compiled runs as compiled.

    python kubeflow_v2_runner.py --image IMAGE --project P --region R --pipeline-root /tmp/kfp/root \\
        --data-root prepared/synthetic --serving-model-dir /tmp/kfp/serving --output /tmp/kfp/pipeline.json
    python -m pipeline.kfp_launcher /tmp/kfp/pipeline.json --image-workdir . --until BaseTrainer

For each container task, in dependency order, it does what Vertex's launcher does before and around a container:
1. builds the task's ExecutorInput (KFP's pipeline_spec.proto): its compiled parameters (``inputs.parameters``,
   the form TFX's entry point reads when no inputs spec is passed, and ``parameterValues``), its input artifacts
   as the producing tasks' ExecutorOutput gave them (uri and metadata: split names, span, blessing ...), its
   output artifacts at ``<pipeline root>/<run>/<task>/<output key>``, and ``outputFile`` beside them;
2. runs the container's lifecycle ``preCacheCheck`` first when it has one (ImportExampleGen's driver, which
   writes span and fingerprint to ``outputFile`` for the executor to read);
3. runs the container's own ``command`` + ``args`` with ``{{$}}`` replaced by that ExecutorInput as JSON, in a
   fresh process, ``python`` being ``--python`` (the image's interpreter: an environment built by the image's
   recipe, ``scripts/install.sh --runtime``).
The image's project folder (``configs.IMAGE_PROJECT_DIR``, /promo) is mapped to ``--image-workdir`` in string
parameters, as a container would see it mounted. Resolver tasks (ML Metadata queries) resolve to nothing, as on a
pipeline's first run: the Evaluator then has no baseline.

Why written here: neither TFX nor KFP runs a compiled pipeline JSON outside Kubernetes or Vertex. TFX's
LocalDagRunner runs the Python pipeline object, not the JSON; KFP's ``kfp.local`` runs components defined in
Python (lightweight functions in a subprocess, containers only through a Docker daemon), not a JSON of TFX
container executors. Not modelled: caching, retries, resources, the container image itself (the commands run in
the given environment), importer tasks (this pipeline has none).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Dict, List

from pipeline import configs

PLACEHOLDER = "{{$}}"
RESOLVER = "resolver"


class TaskFailed(RuntimeError):
    pass


def task_order(tasks: Dict[str, dict]) -> List[str]:
    """The tasks' names in dependency order (each after its ``dependentTasks`` and its input artifacts'
    producers); ties in name order. Raises ValueError on a cycle or an unknown task."""
    needs = {name: set(task.get("dependentTasks", [])) | {
        spec["taskOutputArtifact"]["producerTask"] for spec in task.get("inputs", {}).get("artifacts", {}).values()
        if "taskOutputArtifact" in spec} for name, task in tasks.items()}
    unknown = {n for deps in needs.values() for n in deps} - set(tasks)
    if unknown:
        raise ValueError(f"tasks depend on tasks the pipeline does not have: {sorted(unknown)}")
    order: List[str] = []
    while len(order) < len(tasks):
        ready = sorted(name for name in tasks if name not in order and needs[name] <= set(order))
        if not ready:
            raise ValueError(f"the tasks' dependencies form a cycle: {sorted(set(tasks) - set(order))}")
        order.extend(ready)
    return order


def _map_workdir(value, image_workdir: str):
    if image_workdir and isinstance(value, str) and value.startswith(configs.IMAGE_PROJECT_DIR + "/"):
        return os.path.join(image_workdir, value[len(configs.IMAGE_PROJECT_DIR) + 1:])
    return value


def parameters(task: dict, image_workdir: str = "") -> Dict[str, dict]:
    """The task's compiled parameter constants as pipeline_spec Value messages ({"stringValue": ...},
    {"intValue": ...}, {"doubleValue": ...}), the image's project folder mapped to ``image_workdir``."""
    result = {}
    for name, spec in task.get("inputs", {}).get("parameters", {}).items():
        if "runtimeValue" not in spec:
            raise ValueError(f"parameter {name!r} is not a compiled constant: {spec}")
        ((kind, value),) = spec["runtimeValue"]["constantValue"].items()
        result[name] = {kind: _map_workdir(value, image_workdir)}
    return result


def _parameter_values(values: Dict[str, dict]) -> Dict[str, object]:
    """The same parameters as google.protobuf.Value JSON (ExecutorInput.inputs.parameterValues)."""
    plain = {}
    for name, value in values.items():
        ((kind, v),) = value.items()
        plain[name] = float(v) if kind in ("intValue", "doubleValue") else v
    return plain


def executor_input(name: str, task: dict, component: dict, produced: Dict[str, Dict[str, dict]], task_root: str,
                   image_workdir: str = "") -> dict:
    """The ExecutorInput (JSON) of task ``name``: inputs from ``produced`` ({task: {output key: RuntimeArtifact
    JSON}}) of the tasks before it, outputs under ``task_root``."""
    values = parameters(task, image_workdir)
    artifacts = {}
    for key, spec in task.get("inputs", {}).get("artifacts", {}).items():
        source = spec["taskOutputArtifact"]
        artifact = produced.get(source["producerTask"], {}).get(source["outputArtifactKey"])
        if artifact is not None:  # a resolver that found nothing: the input is absent, as on a first run
            artifacts[key] = {"artifacts": [artifact]}
    outputs = {}
    for key, spec in component.get("outputDefinitions", {}).get("artifacts", {}).items():
        outputs[key] = {"artifacts": [{
            "name": f"{name}-{key}", "type": spec["artifactType"], "uri": os.path.join(task_root, key), "metadata": {},
        }]}
    return {
        "inputs": {"parameters": values, "parameterValues": _parameter_values(values), "artifacts": artifacts},
        "outputs": {"artifacts": outputs, "outputFile": os.path.join(task_root, "executor_output.json")},
    }


def container_argv(spec: dict, invocation: dict, python: str) -> List[str]:
    """A container spec's ``command`` + ``args``, ``{{$}}`` replaced by ``invocation`` (JSON), ``python`` by the
    interpreter ``python``."""
    command = [python if part == "python" else part for part in spec["command"]]
    text = json.dumps(invocation)
    return command + [text if arg == PLACEHOLDER else arg for arg in spec.get("args", [])]


def output_artifacts(invocation: dict, component: dict) -> Dict[str, dict]:
    """{output key: RuntimeArtifact JSON} as the task's ExecutorOutput wrote them (uri and metadata), with the
    artifact type the component declares (ExecutorOutput carries none)."""
    with open(invocation["outputs"]["outputFile"]) as handle:
        written = json.load(handle).get("artifacts", {})
    declared = component.get("outputDefinitions", {}).get("artifacts", {})
    result = {}
    for key, spec in invocation["outputs"]["artifacts"].items():
        artifact = dict(spec["artifacts"][0])
        if written.get(key, {}).get("artifacts"):
            artifact.update(written[key]["artifacts"][0])
        artifact["type"] = declared[key]["artifactType"]
        result[key] = artifact
    return result


def run(pipeline_json: str, python: str = sys.executable, until: str = "", image_workdir: str = "",
        run_id: str = "", env: Dict[str, str] | None = None) -> Dict[str, Dict[str, dict]]:
    """Runs the compiled tasks in order (module docstring) up to and including ``until`` (all when empty);
    returns {task: {output key: RuntimeArtifact JSON}}. Each task's output goes to ``<task root>/task.log``.
    Raises TaskFailed naming the task, its exit code and the end of its log."""
    with open(pipeline_json) as handle:
        compiled = json.load(handle)
    spec = compiled["pipelineSpec"]
    tasks = spec["root"]["dag"]["tasks"]
    if until and until not in tasks:
        raise ValueError(f"--until {until!r}: the pipeline has no such task (it has {', '.join(sorted(tasks))})")
    executors = spec["deploymentSpec"]["executors"]
    root = os.path.join(compiled["runtimeConfig"]["gcsOutputDirectory"], run_id or time.strftime("run-%Y%m%d-%H%M%S"))
    produced: Dict[str, Dict[str, dict]] = {}
    for name in task_order(tasks):
        component = spec["components"][tasks[name]["componentRef"]["name"]]
        executor = executors[component["executorLabel"]]
        if RESOLVER in executor:
            print(f"[kfp-launcher] {name}: resolver, resolves to nothing (a first run)", flush=True)
            produced[name] = {}
        else:
            produced[name] = _run_container(name, tasks[name], component, executor["container"], produced,
                                            os.path.join(root, name), python, image_workdir, env)
        if name == until:
            break
    return produced


def _run_container(name, task, component, container, produced, task_root, python, image_workdir, env):
    invocation = executor_input(name, task, component, produced, task_root, image_workdir)
    os.makedirs(task_root, exist_ok=True)
    log = os.path.join(task_root, "task.log")
    started = time.monotonic()
    steps = [container["lifecycle"]["preCacheCheck"]] if "preCacheCheck" in container.get("lifecycle", {}) else []
    with open(log, "w") as handle:
        for step in steps + [container]:
            code = subprocess.run(container_argv(step, invocation, python), stdout=handle, stderr=subprocess.STDOUT,
                                  env=env).returncode
            if code != 0:
                handle.flush()
                with open(log) as read:
                    tail = "".join(read.readlines()[-30:])
                raise TaskFailed(f"task {name} exited {code} ({' '.join(step['command'])}); the end of {log}:\n{tail}")
    print(f"[kfp-launcher] {name}: done in {time.monotonic() - started:.1f} s", flush=True)
    return output_artifacts(invocation, component)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pipeline_json", help="kubeflow_v2_runner.py's output, compiled with a local --pipeline-root")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that stands for the image's `python`")
    parser.add_argument("--until", default="", help="stop after this task (default: run every task)")
    parser.add_argument("--image-workdir", default="",
                        help=f"the folder standing for the image's {configs.IMAGE_PROJECT_DIR} (e.g. this checkout)")
    parser.add_argument("--run-id", default="", help="the run's folder under the pipeline root (default: run-<time>)")
    args = parser.parse_args(argv)
    try:
        run(args.pipeline_json, args.python, args.until, os.path.abspath(args.image_workdir) if args.image_workdir else "",
            args.run_id)
    except (TaskFailed, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
