"""trainer.refresh's staging folders: a refresh deletes what a killed refresh left, never a running one's."""
import os
import subprocess

from data.outputs import owner_tag
from trainer.refresh import STAGING_PREFIX, remove_stale_staging


def test_stale_staging_is_deleted_but_a_running_refreshs_is_kept(tmp_path):
    writer = subprocess.Popen(["sleep", "60"])
    try:
        live = tmp_path / f"{STAGING_PREFIX}1800000000{owner_tag(writer.pid)}"
        dead = tmp_path / f"{STAGING_PREFIX}1700000000-p999999999s1-"
        untagged = tmp_path / f"{STAGING_PREFIX}1600000000"  # written before owner tags
        for folder in (live, dead, untagged):
            folder.mkdir()
            (folder / "saved_model.pb").write_text("x")
        (tmp_path / "outside").mkdir()
        os.symlink(tmp_path / "outside", tmp_path / f"{STAGING_PREFIX}1500000000")
        (tmp_path / "1700000001").mkdir()  # a served version
        remove_stale_staging(str(tmp_path))
        assert sorted(os.listdir(tmp_path)) == sorted([live.name, "1700000001", "outside"])
        assert (live / "saved_model.pb").exists()
    finally:
        writer.kill()
        writer.wait()
    remove_stale_staging(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["1700000001", "outside"]
