"""pipeline/kfp_launcher.py on hand-made compiled specs (the real compiled pipeline runs in tests/test_image_recipe.py)."""
import json
import sys

import pytest

from pipeline import configs
from pipeline.kfp_launcher import TaskFailed, container_argv, executor_input, run, task_order

EXAMPLES = {"artifactType": {"instanceSchema": "title: tfx.Examples\ntype: object\n"}}


def _needs(producer, key="examples"):
    return {"inputs": {"artifacts": {key: {"taskOutputArtifact": {"producerTask": producer, "outputArtifactKey": key}}}}}


def test_tasks_run_after_their_dependencies_and_their_inputs_producers():
    tasks = {"c": {"dependentTasks": ["b"]}, "b": _needs("a"), "a": {}, "d": {}}
    assert task_order(tasks) == ["a", "d", "b", "c"]  # b waits for a's artifact though no dependentTasks says so
    with pytest.raises(ValueError, match="cycle"):
        task_order({"a": {"dependentTasks": ["b"]}, "b": {"dependentTasks": ["a"]}})
    with pytest.raises(ValueError, match="nowhere"):
        task_order({"a": {"dependentTasks": ["nowhere"]}})


def test_executor_input_carries_constants_upstream_artifacts_and_output_locations(tmp_path):
    task = {"inputs": {
        "parameters": {
            "schema_file": {"runtimeValue": {"constantValue": {"stringValue": configs.IMAGE_PROJECT_DIR + "/pipeline/s.pbtxt"}}},
            "n": {"runtimeValue": {"constantValue": {"intValue": "6"}}},
            "z": {"runtimeValue": {"constantValue": {"doubleValue": 2.0}}},
        },
        "artifacts": {**_needs("gen")["inputs"]["artifacts"], **_needs("resolver", "baseline")["inputs"]["artifacts"]},
    }}
    upstream = {"uri": "/r/gen/examples", "metadata": {"split_names": '["train"]'}, "type": EXAMPLES["artifactType"]}
    invocation = executor_input("T", task, {"outputDefinitions": {"artifacts": {"out": EXAMPLES}}},
                                {"gen": {"examples": upstream}, "resolver": {}}, str(tmp_path / "T"), "/checkout")
    inputs = invocation["inputs"]
    assert inputs["parameters"] == {"schema_file": {"stringValue": "/checkout/pipeline/s.pbtxt"}, "n": {"intValue": "6"},
                                    "z": {"doubleValue": 2.0}}
    assert inputs["parameterValues"] == {"schema_file": "/checkout/pipeline/s.pbtxt", "n": 6.0, "z": 2.0}
    assert inputs["artifacts"] == {"examples": {"artifacts": [upstream]}}  # the resolver found nothing: absent
    (out,) = invocation["outputs"]["artifacts"]["out"]["artifacts"]
    assert out["uri"] == str(tmp_path / "T" / "out") and out["type"] == EXAMPLES["artifactType"]
    assert invocation["outputs"]["outputFile"] == str(tmp_path / "T" / "executor_output.json")


def test_the_placeholder_becomes_the_executor_input_and_python_the_given_interpreter():
    spec = {"command": ["python", "-m", "x"], "args": ["--json_serialized_invocation_args", "{{$}}", "--project=p"]}
    argv = container_argv(spec, {"inputs": {}}, "/opt/venv/bin/python")
    assert argv == ["/opt/venv/bin/python", "-m", "x", "--json_serialized_invocation_args", '{"inputs": {}}', "--project=p"]


def _pipeline(tmp_path, tasks, executors, components):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"runtimeConfig": {"gcsOutputDirectory": str(tmp_path / "root")}, "pipelineSpec": {
        "root": {"dag": {"tasks": tasks}}, "deploymentSpec": {"executors": executors}, "components": components}}))
    return str(path)


# A stand-in task: writes the ExecutorOutput the TFX entry point writes (its output artifact with metadata).
WRITER = ("import json, sys; i = json.loads(sys.argv[1]); a = i['outputs']['artifacts']['examples']['artifacts'][0];"
          "a['metadata'] = {'split_names': '[\"train\"]'}; json.dump({'artifacts': {'examples': {'artifacts': [a]}}},"
          "open(i['outputs']['outputFile'], 'w')); print('wrote', a['uri'])")


def test_a_tasks_outputs_reach_the_next_task_and_a_failure_names_the_task(tmp_path):
    reader = "import json, sys; i = json.loads(sys.argv[1]); assert i['inputs']['artifacts']['examples']['artifacts'][0]['metadata']['split_names'] == '[\"train\"]'; sys.exit(3)"
    executors = {"gen_x": {"container": {"command": ["python", "-c", WRITER], "args": ["{{$}}"]}},
                 "read_x": {"container": {"command": ["python", "-c", reader], "args": ["{{$}}"]}}}
    components = {"gen": {"executorLabel": "gen_x", "outputDefinitions": {"artifacts": {"examples": EXAMPLES}}},
                  "read": {"executorLabel": "read_x"}}
    tasks = {"gen": {"componentRef": {"name": "gen"}}, "read": {"componentRef": {"name": "read"}, **_needs("gen")}}
    path = _pipeline(tmp_path, tasks, executors, components)
    produced = run(path, sys.executable, until="gen", run_id="r")
    assert produced["gen"]["examples"]["metadata"] == {"split_names": '["train"]'}
    assert produced["gen"]["examples"]["type"] == EXAMPLES["artifactType"]
    assert "wrote " + str(tmp_path / "root" / "r" / "gen" / "examples") in (tmp_path / "root" / "r" / "gen" / "task.log").read_text()
    with pytest.raises(TaskFailed, match="task read exited 3"):  # the reader saw the metadata, then exited 3
        run(path, sys.executable, run_id="r2")
    with pytest.raises(ValueError, match="no such task"):
        run(path, sys.executable, until="Trainer")
