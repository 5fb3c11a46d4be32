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
    assert sorted(os.listdir(tmp_path)) == [".prepared.lock", "prepared"]  # the lock file stays (data/outputs.py)


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
    assert sorted(os.listdir(tmp_path)) == [".prepared.lock", "prepared"]


# Concurrency: a child prepares a small synthetic log (seed 1) and pauses in the middle of writing until the file
# named by argv[2] exists, so that a second preparation meets a live staging folder and a held lock.
_PAUSED_CHILD = r"""
import os, sys, time
import data.datasets, data.prepare as p
from data.synthetic import generate
data.datasets.LOADERS["synthetic"] = lambda d: generate(n_users=40, n_items=50, n_interactions=800)
real_write = p.write_examples
def write(frame, directory, rows_per_file):
    print("writing", flush=True)
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.05)
    real_write(frame, directory, rows_per_file)
p.write_examples = write
sys.exit(p.main(["--dataset", "synthetic", "--seed", "1", "--out", sys.argv[1]]))
"""


def _complete(out) -> dict:
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    assert all(os.path.getsize(os.path.join(out, path)) == size for path, size in manifest["outputs"].items())
    return manifest


def test_a_second_preparation_of_a_folder_being_written_is_refused_and_deletes_nothing(tmp_path, small_synthetic, capsys):
    out, go = str(tmp_path / "prepared"), str(tmp_path / "go")
    first = subprocess.Popen([sys.executable, "-c", _PAUSED_CHILD, out, go], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip().endswith("s)")  # "[data] ... loaded ..." then it writes
        while first.stdout.readline().strip() != "writing":
            pass
        staging = [n for n in os.listdir(tmp_path) if n.startswith(".prepare-prepared.new")]
        assert len(staging) == 1
        assert main(["--dataset", "synthetic", "--seed", "2", "--out", out]) == 75
        error = capsys.readouterr().err
        assert error.startswith(f"error: {out}: another process is writing here (pid {first.pid}, ") and error.count("\n") == 1
        assert [n for n in os.listdir(tmp_path) if n.startswith(".prepare-prepared.new")] == staging  # untouched
        open(go, "w").close()
        assert first.wait(timeout=120) == 0, first.stderr.read()[-2000:]
    finally:
        first.kill()
    assert _complete(out)["settings"]["seed"] == 1  # the first run's result, whole
    assert main(["--dataset", "synthetic", "--seed", "2", "--out", out]) == 0  # once it is done, the second may run
    assert _complete(out)["settings"]["seed"] == 2
    assert sorted(os.listdir(tmp_path)) == [".prepared.lock", "go", "prepared"]


def test_two_preparations_started_together_end_with_one_complete_result(tmp_path):
    out, go = str(tmp_path / "prepared"), str(tmp_path / "go")
    open(go, "w").close()  # no pause: the two race from the start
    children = [
        subprocess.Popen([sys.executable, "-c", _PAUSED_CHILD.replace('"--seed", "1"', f'"--seed", "{seed}"'), out, go],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    results = [(child.wait(timeout=300), child.stderr.read()) for child in children]
    assert all(code in (0, 75) for code, _ in results) and any(code == 0 for code, _ in results), results
    for code, error in results:
        assert "Traceback" not in error and (code == 0 or "another process is writing here" in error)
    seeds = [seed for seed, (code, _) in zip((1, 2), results) if code == 0]
    assert _complete(out)["settings"]["seed"] in seeds
    assert sorted(os.listdir(tmp_path)) == [".prepared.lock", "go", "prepared"]


def test_recovery_leaves_a_staging_folder_whose_writer_runs_and_deletes_it_once_the_writer_is_gone(tmp_path):
    from data.outputs import owner_tag

    writer = subprocess.Popen(["sleep", "60"])
    live = tmp_path / f".prepare-prepared.new{owner_tag(writer.pid)}abc"
    live.mkdir()
    (live / "part.csv").write_text("rows")
    try:
        recover(str(tmp_path / "prepared"))
        assert (live / "part.csv").read_text() == "rows"
    finally:
        writer.kill()
        writer.wait()
    recover(str(tmp_path / "prepared"))
    assert not live.exists()


def test_an_out_that_is_a_symbolic_link_is_prepared_into_its_target_and_stays_a_link(tmp_path, small_synthetic):
    (tmp_path / "empty").mkdir()
    os.symlink("empty", tmp_path / "link")
    assert main(["--dataset", "synthetic", "--out", str(tmp_path / "link")]) == 0
    assert os.path.islink(tmp_path / "link") and os.readlink(tmp_path / "link") == "empty"
    assert _complete(str(tmp_path / "empty"))["settings"]["seed"] == 0
    assert main(["--dataset", "synthetic", "--seed", "4", "--out", str(tmp_path / "link")]) == 0  # replaced in place
    assert os.path.islink(tmp_path / "link") and _complete(str(tmp_path / "empty"))["settings"]["seed"] == 4
    assert sorted(os.listdir(tmp_path)) == [".empty.lock", "empty", "link"]


def test_an_out_below_a_file_is_refused_before_anything_is_loaded(tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("keep")
    monkeypatch.setitem(datasets.LOADERS, "synthetic", lambda data_dir: pytest.fail("loaded before the check"))
    assert main(["--dataset", "synthetic", "--out", str(tmp_path / "file" / "prepared")]) == 2
    assert "--out lies below" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["file"] and (tmp_path / "file").read_text() == "keep"


def test_a_log_where_no_user_has_three_positives_is_refused_naming_the_input(tmp_path):
    raw = tmp_path / "ml-1m"
    raw.mkdir()
    (raw / "ratings.dat").write_text("1::1::2::1000000\n")
    (raw / "users.dat").write_text("1::F::1::10::48067\n")
    (raw / "movies.dat").write_text("1::Film (1995)::Drama\n")
    with pytest.raises(DataError, match=f"{raw}: no user has three positive interactions"):
        prepare(PrepareSettings(dataset="ml-1m", data_dir=str(raw)), str(tmp_path / "prepared"))
    assert sorted(os.listdir(tmp_path)) == [".prepared.lock", "ml-1m"]  # nothing written


@pytest.mark.parametrize("umask, mode", [(0o022, 0o755), (0o077, 0o700)])
def test_the_prepared_folder_is_readable_as_the_umask_allows(tmp_path, small_synthetic, umask, mode):
    old = os.umask(umask)
    try:
        prepare(PrepareSettings(dataset="synthetic"), str(tmp_path / "prepared"))
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "prepared").st_mode & 0o777 == mode
    assert os.stat(tmp_path / "prepared" / "examples").st_mode & 0o777 == mode
