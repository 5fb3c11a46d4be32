import json
import os

import pytest

from data.prepare import PrepareSettings, prepare
from data.synthetic import generate


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
