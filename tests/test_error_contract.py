"""One error contract for every command (docs/robustness.md): bad input gives one ``error: ...`` line naming the
file, row or folder, exit status 2 and no traceback; another process writing the same output gives exit 75.

Each case runs the real command in a child process, as a user would.
"""
import os
import signal
import subprocess
import sys

import pytest


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREPARE = [sys.executable, "-m", "data.prepare", "--dataset", "ml-1m"]
LOCAL_RUNNER = [sys.executable, "local_runner.py", "--dataset", "ml-1m"]
# trainer.refresh, asserting that TensorFlow was not imported before the error (feedback is checked first).
REFRESH = [sys.executable, "-c", "import sys; from trainer.refresh import main; status = main(sys.argv[1:]); "
           "assert 'tensorflow' not in sys.modules; sys.exit(status)"]
RATINGS = "".join(f"{u}::{i}::{4 + (u + i) % 2}::{1000 + u * 10 + i}\n" for u in range(1, 5) for i in range(1, 6))
USERS = "".join(f"{u}::F::1::10::48067\n" for u in range(1, 5))
MOVIES = "".join(f"{i}::Film {i} (1995)::Drama\n" for i in range(1, 6))


def _ml1m(folder, ratings=RATINGS, users=USERS, movies=MOVIES):
    """An ML-1M folder with the three files; a value of None makes that file a folder instead."""
    folder.mkdir(exist_ok=True)
    for name, text in (("ratings.dat", ratings), ("users.dat", users), ("movies.dat", movies)):
        if text is None:
            (folder / name).mkdir()
        else:
            (folder / name).write_bytes(text.encode("latin-1") if isinstance(text, str) else text)
    return str(folder)


def _file(tmp_path):
    (tmp_path / "file").write_text("keep")
    return str(tmp_path / "file")


# (id, command, arguments from tmp_path, what the error line must hold)
CASES = [
    ("prepare: no user with three positives", PREPARE,
     lambda t: ["--data-dir", _ml1m(t / "raw", ratings="1::1::2::1000000\n"), "--out", str(t / "out")],
     "no user has three positive interactions"),
    ("prepare: a folder in place of ratings.dat", PREPARE,
     lambda t: ["--data-dir", _ml1m(t / "raw", ratings=None), "--out", str(t / "out")], "ratings.dat"),
    ("prepare: a folder in place of movies.dat", PREPARE,
     lambda t: ["--data-dir", _ml1m(t / "raw", movies=None), "--out", str(t / "out")], "movies.dat"),
    ("prepare: a zero-width space in an id", PREPARE,
     lambda t: ["--data-dir", _ml1m(t / "raw", ratings=RATINGS.encode() + "1::1\u200b2::5::99\n".encode()),
                "--out", str(t / "out")], r"row 21, field 'item_id': id '1â\x80\x8b2' looks like UTF-8 text in a latin-1 file"),
    ("prepare: an id of 300 characters", PREPARE,
     lambda t: ["--data-dir", _ml1m(t / "raw", ratings=RATINGS + "1::" + "9" * 300 + "::5::99\n"), "--out", str(t / "out")],
     "row 21, field 'item_id': id of 300 characters, more than 256"),
    ("prepare: --out below a file", PREPARE,
     lambda t: ["--data-dir", _ml1m(t / "raw"), "--out", os.path.join(_file(t), "out")], "--out lies below"),
    ("local_runner: no user with three positives", LOCAL_RUNNER,
     lambda t: ["--data-dir", _ml1m(t / "raw", ratings="1::1::2::1000000\n"), "--output-root", str(t / "runs")],
     "no user has three positive interactions"),
    ("local_runner: a folder in place of ratings.dat", LOCAL_RUNNER,
     lambda t: ["--data-dir", _ml1m(t / "raw", ratings=None), "--output-root", str(t / "runs")], "ratings.dat"),
    ("local_runner: --output-root below a file", LOCAL_RUNNER,
     lambda t: ["--data-dir", _ml1m(t / "raw"), "--output-root", os.path.join(_file(t), "runs")],
     "--output-root lies below"),
    ("local_runner: the baseline model predates rank_tf_example", LOCAL_RUNNER,
     lambda t: ["--data-dir", _ml1m(t / "raw"), "--output-root", _old_root(t)],
     "this pushed model has no rank_tf_example signature: older code exported it"),
    ("local_runner: a --metadata-config that is not a ConnectionConfig", LOCAL_RUNNER,
     lambda t: ["--data-dir", _ml1m(t / "raw"), "--output-root", str(t / "runs"), "--metadata-config", _connection(t, "mysql {")],
     "connection.pbtxt: not an ML Metadata ConnectionConfig in text format"),
    ("refresh: a bad label", REFRESH,
     lambda t: ["--feedback", _feedback(t, "user_id,item_id,label\nu1,i1,1\nu2,i1,7\n"), "--output-root", str(t)],
     "row 3, field 'label'"),
    ("refresh: a folder as feedback", REFRESH,
     lambda t: ["--feedback", str(t), "--output-root", str(t)], "is a folder"),
    ("refresh: no pipeline run", REFRESH,
     lambda t: ["--feedback", _feedback(t, "user_id,item_id,label\nu1,i1,1\n"), "--output-root", str(t)],
     "run `python local_runner.py"),
    ("refresh: --output-root missing", REFRESH,
     lambda t: ["--feedback", _feedback(t, "user_id,item_id,label\nu1,i1,1\n"), "--output-root", str(t / "none")],
     "--output-root is not a folder"),
    ("benchmark: pipeline_timings, a folder in place of ratings.dat", [sys.executable, "-m", "benchmarks.pipeline_timings"],
     lambda t: ["--dataset", "ml-1m", "--data-dir", _ml1m(t / "raw", ratings=None), "--output-root", str(t / "runs")],
     "ratings.dat"),
    ("benchmark: quality, a folder in place of ratings.dat", [sys.executable, "-m", "benchmarks.quality"],
     lambda t: ["--dataset", "ml-1m", "--data-dir", _ml1m(t / "raw", ratings=None), "--output-root", str(t / "runs")],
     "ratings.dat"),
    ("benchmark: serving_latency, no pushed model", [sys.executable, "-m", "benchmarks.serving_latency"],
     lambda t: ["--output-root", str(t)], "no pushed model"),
]


def _old_root(tmp_path) -> str:
    """An output root whose pushed model is a SavedModel with the signatures of code from before data format 7."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    graph = saved.meta_graphs.add()
    for name in ("serving_default", "serving_tf_example", "recommend"):
        graph.signature_def[name].method_name = "tensorflow/serving/predict"
    version = tmp_path / "old" / "serving_model" / "promo" / "1796375603"
    version.mkdir(parents=True)
    (version / "saved_model.pb").write_bytes(saved.SerializeToString())
    return str(tmp_path / "old")


def _connection(tmp_path, text):
    path = tmp_path / "connection.pbtxt"
    path.write_text(text)
    return str(path)


def _feedback(tmp_path, text):
    path = tmp_path / "feedback.csv"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_gives_one_error_line_and_exit_status_2(tmp_path, case):
    _, command, arguments, expected = case
    done = subprocess.run(command + arguments(tmp_path), cwd=REPO, capture_output=True, text=True, timeout=600)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and len(errors) == 1 and expected in errors[0], done.stderr[-3000:]
    assert not os.path.exists(tmp_path / "out") and not os.path.exists(tmp_path / "runs" / "serving_model")


@pytest.mark.parametrize("second", ["local_runner", "refresh"])
def test_a_second_writer_of_an_output_root_is_refused_naming_the_running_one(tmp_path, second):
    """A real `local_runner.py` is started on a root; once it prints its first line it holds the root's lock for the
    whole run. A second local_runner.py, or a refresh, on that root exits 75 at once naming it and touches
    nothing; then the first is stopped with Ctrl-C (SIGINT: exit 130) rather than run to the end."""
    root = tmp_path / "runs"
    first = subprocess.Popen([sys.executable, "local_runner.py", "--dataset", "synthetic", "--quick", "--output-root", str(root)],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().startswith("[data] preparing synthetic")
        before = sorted(os.listdir(root))
        if second == "local_runner":
            argv = [sys.executable, "local_runner.py", "--dataset", "synthetic", "--quick", "--output-root", str(root)]
        else:
            argv = REFRESH + ["--feedback", _feedback(tmp_path, "user_id,item_id,label\nu1,i1,1\n"), "--output-root", str(root)]
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)
        assert sorted(os.listdir(root)) == before  # the refused one wrote nothing
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=120) == 130
    assert done.returncode == 75, done.stderr[-3000:]
    error = done.stderr.strip()
    assert "\n" not in error and error.endswith("wait for it to end or choose another --output-root")
    assert error.startswith(f"error: {root}: another process is writing here (pid {first.pid}, `local_runner.py ")
