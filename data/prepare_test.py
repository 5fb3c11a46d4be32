import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from data import datasets
from data.errors import DataError
from data.prepare import PrepareSettings, main, prepare, recover
from data.synthetic import generate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_writes_every_split_and_reuses_an_identical_preparation(tmp_path, monkeypatch):
    out = str(tmp_path / "prepared")
    log = generate(n_users=60, n_items=80, n_interactions=1500, seed=2)
    monkeypatch.setattr("data.datasets.load", lambda name, data_dir=None: log)
    summary = prepare(PrepareSettings(dataset="synthetic"), out)
    for split in ("train", "eval", "test"):
        assert os.path.getsize(os.path.join(out, "examples", split, "examples-00000-of-00001.tfrecord.gz")) > 0
    assert summary["users"] == 60 and summary["test_cases"] > 0
    stamp = os.path.getmtime(os.path.join(out, "manifest.json"))
    assert prepare(PrepareSettings(dataset="synthetic"), out) == summary
    assert os.path.getmtime(os.path.join(out, "manifest.json")) == stamp  # reused, not rewritten


def test_large_splits_are_written_as_several_files(tmp_path):
    out = str(tmp_path / "prepared")
    log = generate(n_users=60, n_items=80, n_interactions=1500, seed=2)
    prepare(PrepareSettings(dataset="synthetic", examples_per_file=1000), out, log=log)
    train = os.path.join(out, "examples", "train")
    rows = sum(1 for _ in open(os.path.join(train, "examples.csv"))) - 1
    files = sorted(f for f in os.listdir(train) if f.endswith(".tfrecord.gz"))
    assert rows > 1000 and len(files) == -(-rows // 1000) and files[-1].endswith(f"-of-{len(files):05d}.tfrecord.gz")


def test_the_ranking_options_reach_the_written_eval_ranking_split(tmp_path, monkeypatch):
    import pandas as pd

    from data.examples import QUERY_ID

    out = str(tmp_path / "prepared")
    log = generate(n_users=60, n_items=80, n_interactions=1500, seed=2)
    monkeypatch.setattr("data.datasets.load", lambda name, data_dir=None: log)
    assert main(["--dataset", "synthetic", "--out", out, "--ranking-negatives", "3", "--ranking-queries", "7", "--history-length", "5"]) == 0
    assert json.load(open(os.path.join(out, "manifest.json")))["settings"]["history_length"] == 5
    rows = pd.read_csv(os.path.join(out, "examples", "eval_ranking", "examples.csv"))
    assert rows[QUERY_ID].nunique() == 7 and len(rows) == 7 * 4


def test_a_failed_preparation_leaves_earlier_results_untouched(tmp_path, monkeypatch):
    out = str(tmp_path / "prepared")
    prepare(PrepareSettings(dataset="synthetic"), out, log=generate(n_users=40, n_items=50, n_interactions=800))
    before = json.load(open(os.path.join(out, "summary.json")))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("data.prepare.write_examples", broken)
    with pytest.raises(OSError, match="disk full"):
        prepare(PrepareSettings(dataset="synthetic", seed=9), out, log=generate(n_users=40, n_items=50, n_interactions=800))
    assert json.load(open(os.path.join(out, "summary.json"))) == before
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".prepare-")]


def _small_log():
    return generate(n_users=40, n_items=50, n_interactions=800)


@pytest.fixture
def small_synthetic(monkeypatch):
    monkeypatch.setitem(datasets.LOADERS, "synthetic", lambda data_dir: _small_log())


def test_refuses_to_replace_a_folder_that_is_not_a_preparation(tmp_path, small_synthetic):
    out = tmp_path / "D"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    with pytest.raises(DataError, match="not an earlier preparation"):
        prepare(PrepareSettings(dataset="synthetic"), str(out))
    assert (out / "thesis.txt").read_text() == "precious"
    assert main(["--dataset", "synthetic", "--out", str(out)]) == 2  # the command says so and exits
    assert os.listdir(out) == ["thesis.txt"] and os.listdir(tmp_path) == ["D"]


@pytest.mark.parametrize("relation", ["same", "inside", "around"])
def test_refuses_an_output_folder_that_is_or_holds_the_raw_data(tmp_path, relation):
    raw = tmp_path / "ml-1m"
    raw.mkdir()
    (raw / "ratings.dat").write_text("1::1::5::1\n")
    out = {"same": raw, "inside": raw / "prepared", "around": tmp_path}[relation]
    with pytest.raises(DataError, match="outside --data-dir"):
        prepare(PrepareSettings(dataset="ml-1m", data_dir=str(raw)), str(out))
    assert (raw / "ratings.dat").read_text() == "1::1::5::1\n"


def test_an_empty_folder_and_an_earlier_preparation_may_be_replaced(tmp_path, small_synthetic):
    out = tmp_path / "prepared"
    out.mkdir()
    prepare(PrepareSettings(dataset="synthetic"), str(out))
    prepare(PrepareSettings(dataset="synthetic", seed=3), str(out))
    assert json.load(open(out / "manifest.json"))["settings"]["seed"] == 3
    assert sorted(os.listdir(tmp_path)) == ["prepared"]


def test_changed_input_files_are_prepared_again(tmp_path):
    raw = tmp_path / "ml-1m"
    raw.mkdir()
    (raw / "ratings.dat").write_text("".join(f"{u}::{i}::{4 + (u + i) % 2}::{1000 + u * 10 + i}\n" for u in range(1, 7) for i in range(1, 9)))
    (raw / "users.dat").write_text("".join(f"{u}::F::1::10::48067\n" for u in range(1, 7)))
    (raw / "movies.dat").write_text("".join(f"{i}::Film {i} (1995)::Drama\n" for i in range(1, 9)))
    out = str(tmp_path / "prepared")
    settings = PrepareSettings(dataset="ml-1m", data_dir=str(raw))
    assert prepare(settings, out)["users"] == 6
    (raw / "ratings.dat").write_text("".join(f"1::{i}::5::{1000 + i}\n" for i in range(1, 9)))  # cut to one user
    assert prepare(settings, out)["users"] == 1


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_missing_or_truncated_outputs_are_prepared_again(tmp_path, small_synthetic, damage):
    out = tmp_path / "prepared"
    prepare(PrepareSettings(dataset="synthetic"), str(out))
    train = out / "examples" / "train"
    if damage == "deleted":
        shutil.rmtree(train)
    else:
        (train / "examples.csv").write_text("user_id\n")
    prepare(PrepareSettings(dataset="synthetic"), str(out))
    manifest = json.load(open(out / "manifest.json"))
    assert manifest["outputs"]["examples/train/examples.csv"] == os.path.getsize(train / "examples.csv") > 100


@pytest.mark.parametrize(
    "option, value", [("--examples-per-file", "-1"), ("--examples-per-file", "0"), ("--history-length", "-1"),
                      ("--train-negatives", "-2"), ("--eval-negatives", "0"), ("--seed", "-1"), ("--seed", "x")],
)
def test_numeric_options_out_of_range_are_refused(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["--dataset", "synthetic", "--out", str(tmp_path / "out"), option, value])
    assert exit_info.value.code == 2 and option in capsys.readouterr().err
    assert not os.listdir(tmp_path)
    with pytest.raises(ValueError, match="examples_per_file must be a whole number >= 1"):
        PrepareSettings(examples_per_file=-1)


# Fault injection: a child process prepares seed 1 over a finished seed-0 preparation and SIGKILLs itself at
# one point; the folder must then hold seed 0 or seed 1 complete (after recover()), and a rerun must finish
# seed 1 and leave no temporary folder. The child writes a plain file for each split's TFRecords, so that it
# starts without TensorFlow (the orchestration under test is the same).
_CHILD = r"""
import os, shutil, signal, sys
import data.datasets, data.prepare as p
from data.synthetic import generate
point = sys.argv[2]
def kill():
    os.kill(os.getpid(), signal.SIGKILL)
data.datasets.LOADERS["synthetic"] = lambda d: kill() if point == "loading" else generate(n_users=40, n_items=50, n_interactions=800)
calls = {"write": 0, "replace": 0}
real_replace, real_rmtree = os.replace, shutil.rmtree
def write(frame, directory, rows_per_file):
    calls["write"] += 1
    if point == "writing" and calls["write"] == 2:
        kill()
    frame.to_csv(os.path.join(directory, "examples-00000-of-00001.tfrecord.gz"))
def replace(src, dst):
    if os.path.basename(src) == "manifest.json.partial" and point == "manifest":
        kill()
    if os.path.isdir(src):
        calls["replace"] += 1
        if point == f"rename-{calls['replace']}":
            kill()
    return real_replace(src, dst)
def rmtree(path, *a, **k):
    if point == "deleting-old" and ".old-" in path:
        for root, _, files in os.walk(path):
            for f in files[:3]:
                os.remove(os.path.join(root, f))
        kill()
    return real_rmtree(path, *a, **k)
p.write_examples, os.replace, shutil.rmtree = write, replace, rmtree
p.prepare(p.PrepareSettings(dataset="synthetic", seed=1), sys.argv[1])
"""


@pytest.mark.parametrize("point", ["loading", "writing", "manifest", "rename-1", "rename-2", "deleting-old"])
def test_a_kill_at_any_point_leaves_a_complete_preparation_and_a_rerun_cleans_up(tmp_path, small_synthetic, point):
    out = str(tmp_path / "prepared")
    prepare(PrepareSettings(dataset="synthetic"), out)
    child = subprocess.run([sys.executable, "-c", _CHILD, out, point], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    recover(out)
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert manifest["settings"]["seed"] in (0, 1) and all(
        os.path.getsize(os.path.join(out, path)) == size for path, size in manifest["outputs"].items()
    )
    prepare(PrepareSettings(dataset="synthetic", seed=1), out)
    assert json.load(open(os.path.join(out, "manifest.json")))["settings"]["seed"] == 1
    assert os.listdir(tmp_path) == ["prepared"]
