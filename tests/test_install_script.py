"""scripts/install.sh refuses an interpreter other than Python 3.11 before it creates anything."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("version", ["3.12", "3.10"])
def test_another_python_is_refused_with_the_way_out_and_no_venv(tmp_path, version):
    fake = tmp_path / "python3"
    fake.write_text(f"#!/bin/sh\necho {version}\n")
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    result = subprocess.run(["bash", str(REPO / "scripts" / "install.sh")], capture_output=True, text=True,
                            env={**os.environ, "PYTHON": str(fake), "VENV": str(venv)})
    assert result.returncode == 2
    assert f"is Python {version}; this stack needs Python 3.11" in result.stderr and "PYTHON=python3.11" in result.stderr
    assert not venv.exists()


def test_a_missing_interpreter_is_refused(tmp_path):
    result = subprocess.run(["bash", str(REPO / "scripts" / "install.sh")], capture_output=True, text=True,
                            env={**os.environ, "PYTHON": str(tmp_path / "nope"), "VENV": str(tmp_path / "venv")})
    assert result.returncode == 2 and "no Python interpreter" in result.stderr


def test_an_unknown_argument_is_refused_before_anything_is_created(tmp_path):
    result = subprocess.run(["bash", str(REPO / "scripts" / "install.sh"), "--runtime-only"], capture_output=True, text=True,
                            env={**os.environ, "VENV": str(tmp_path / "venv")})
    assert result.returncode == 2 and "unknown argument '--runtime-only'" in result.stderr and "[--runtime]" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_the_test_lock_pins_only_versions_the_runtime_lock_agrees_with():
    """The test tools are resolved against the runtime lock (`-c lock.txt`): a package in both has one version, so
    the two locks install together (`uv pip sync lock.txt test-lock.txt`) and the image, which takes the runtime
    lock only, runs the same versions as CI."""
    def pins(name):
        lines = (REPO / "requirements" / name).read_text().splitlines()
        return dict(line.split("==") for line in lines if "==" in line and not line.startswith((" ", "#")))

    runtime, tests = pins("lock.txt"), pins("test-lock.txt")
    assert {"pytest", "pytest-xdist", "hypothesis", "matplotlib"} <= set(tests)
    assert not {"pytest", "pytest-xdist", "hypothesis", "matplotlib", "kfp"} & set(runtime)
    assert {name: version for name, version in tests.items() if runtime.get(name, version) != version} == {}
