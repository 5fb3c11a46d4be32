"""promo_env's known-noise list keeps exactly those messages out: in this process's logs, and in the Python processes
it starts (as Beam's SDK workers), which never import promo_env; --verbose (show_everything) lets them through."""
import logging
import os
import subprocess
import sys
import warnings

import promo_env

# A child process that imports nothing of this project: two FutureWarnings, one known, one not; its TF log level.
CHILD = """
import os, warnings
warnings.warn("You are using a Python version (3.11.7) which Google will stop supporting", FutureWarning)
warnings.warn("a warning nobody has seen before", FutureWarning)
print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
"""


def _child():
    return subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60)


def _record(level, message):
    return logging.LogRecord("absl", level, __file__, 1, message, None, None)


def test_the_log_filter_drops_known_records_below_error_only():
    noise = promo_env.NoiseFilter()
    assert not noise.filter(_record(logging.WARNING, "ArtifactQuery.property_predicate is not supported."))
    assert not noise.filter(_record(logging.INFO, "Worker: severity: WARN message: \"Discarding unparseable args: []\""))
    assert noise.filter(_record(logging.WARNING, "Examples artifact has no split train"))
    assert noise.filter(_record(logging.ERROR, "ArtifactQuery.property_predicate is not supported."))


def test_processes_started_after_the_import_ignore_the_known_warnings_only():
    child = _child()
    assert "You are using a Python version" not in child.stderr
    assert "a warning nobody has seen before" in child.stderr
    assert child.stdout.split() == ["3"]


def test_show_everything_lets_the_known_noise_through_again(monkeypatch):
    """From the state promo_env's import leaves (the user's own PYTHONWARNINGS entry kept)."""
    monkeypatch.setenv("PYTHONWARNINGS", ",".join(["ignore::ResourceWarning"] + promo_env._PYTHONWARNINGS))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    with warnings.catch_warnings(record=True) as caught:  # restores this process's filters afterwards
        warnings.resetwarnings()  # (pytest.ini ignores every FutureWarning)
        promo_env._filter_warnings("ignore")
        promo_env.show_everything()
        warnings.warn("You are using a Python version (3.11.7)", FutureWarning)
        child = _child()
    assert [str(w.message) for w in caught] == ["You are using a Python version (3.11.7)"]
    assert "You are using a Python version" in child.stderr
    assert child.stdout.split() == ["0"]
    assert os.environ["PYTHONWARNINGS"] == "ignore::ResourceWarning"


def test_noise_lines_are_those_of_the_list():
    output = "\n".join([
        "2026-11-28 08:51:42.956093: E external/local_xla/xla/stream_executor/cuda/cuda_fft.cc:479] Unable to register "
        "cuFFT factory: Attempting to register factory for plugin cuFFT when one has already been registered",
        "/x/google/auth/transport/grpc.py:43: FutureWarning: grpcio < 1.83.0 does not support Post-Quantum Cryptography",
        "[pipeline] Transform: running ...",
        "WARNING:absl:Tables initialized inside a tf.function  will be re-initialized on every invocation",
        "WARNING:absl:a real warning",
    ])
    assert len(promo_env.noise_lines(output)) == 3
    assert "[pipeline] Transform: running ..." not in promo_env.noise_lines(output)
