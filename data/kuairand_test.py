import os

import pytest

from data.errors import DataError
from data.kuairand import LOG_FILES, load_kuairand

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "kuairand-pure")
LOG_HEADER = (
    "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,is_hate,long_view,"
    "play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab\n"
)


def _write_logs(directory, first_rows, second_rows):
    for name, rows in zip(LOG_FILES, (first_rows, second_rows)):
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(LOG_HEADER + "".join(rows))


def _row(user, video, time_ms, click, like=0, follow=0, play=1000, duration=2000):
    return f"{user},{video},20220421,400,{time_ms},{click},{like},{follow},0,0,0,0,{play},{duration},0,0,0,0,1\n"


def _write_small_feature_tables(directory):
    with open(os.path.join(directory, "user_features_pure.csv"), "w") as handle:
        handle.write("user_id,user_active_degree,is_lowactive_period,follow_user_num_range,onehot_feat0\n0,full_active,0,\"(0,10]\",3\n1,high_active,1,0,5\n")
    with open(os.path.join(directory, "video_features_basic_pure.csv"), "w") as handle:
        handle.write("video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,server_width,server_height,music_id,music_type,tag\n")
        handle.write("0,7349781,NORMAL,2022-04-10,LongImport,0.0,87433.0,720.0,1280.0,9155697141,9.0,\"39,12\"\n")


def test_logs_and_feature_tables(tmp_path):
    _write_small_feature_tables(tmp_path)
    _write_logs(tmp_path, [_row(0, 0, 1650485801301, 1, like=1, play=3000, duration=2000)], [_row(1, 0, 1650485801999, 0, play=500, duration=2000)])
    log = load_kuairand(str(tmp_path))
    inter = log.interactions
    assert list(inter["label"]) == [1, 0]
    assert list(inter["cr"]) == [1.0, 0.25]  # play ratio, capped at 1
    assert list(inter["ir"]) == [0.25, 0.0]  # mean of like, follow, comment, forward
    assert list(inter["timestamp"]) == [1650485801301, 1650485801999]
    users = dict(zip(log.users["user_id"], log.users["user_features"]))
    assert users["0"] == "user_active_degree=full_active is_lowactive_period=0 follow_user_num_range=(0_10] onehot_feat0=3"
    item = log.items["item_features"].iloc[0]
    assert "tag=39" in item and "tag=12" in item and "author_id=7349781" in item and "duration_log2s=6" in item


def test_bad_play_time_names_the_log_row(tmp_path):
    _write_small_feature_tables(tmp_path)
    _write_logs(tmp_path, [_row(0, 0, 1, 1)], [_row(0, 0, 2, 1).replace(",1000,", ",abc,")])
    with pytest.raises(DataError) as err:
        load_kuairand(str(tmp_path))
    assert f"{LOG_FILES[1]}, row 2, field 'play_time_ms'" in str(err.value)


@pytest.mark.skipif(not os.path.isdir(SHARED), reason="../shared/datasets/kuairand-pure (the real feature tables) is absent")
def test_real_feature_tables_joined_with_written_logs(tmp_path):
    for name in ("user_features_pure.csv", "video_features_basic_pure.csv"):
        os.symlink(os.path.abspath(os.path.join(SHARED, name)), os.path.join(tmp_path, name))
    _write_logs(tmp_path, [_row(0, 0, 1, 1), _row(1, 1, 2, 0)], [_row(2, 2, 3, 1)])
    log = load_kuairand(str(tmp_path))
    assert len(log.users) == 27_285 and len(log.items) == 7_583
    assert log.feature_fields()["user"] == 26  # 8 named categorical fields + onehot_feat0..17
    assert log.users["user_features"].str.len().min() > 0


def test_a_short_log_row_is_refused_not_read_as_zeros(tmp_path):
    _write_small_feature_tables(tmp_path)
    short = ",".join(_row(0, 0, 2, 1).split(",")[:10]) + "\n"
    _write_logs(tmp_path, [_row(0, 0, 1, 1)], [short])
    with pytest.raises(DataError, match="row has 10 fields, expected 19") as err:
        load_kuairand(str(tmp_path))
    assert (err.value.row, err.value.field) == (2, "is_hate")


@pytest.mark.parametrize("field, value", [("is_like", "inf"), ("is_click", "2"), ("time_ms", "1e30")])
def test_out_of_range_log_values_are_refused(tmp_path, field, value):
    _write_small_feature_tables(tmp_path)
    fields = _row(0, 0, 2, 1).rstrip("\n").split(",")
    fields[LOG_HEADER.split(",").index(field)] = value
    _write_logs(tmp_path, [_row(0, 0, 1, 1)], [",".join(fields) + "\n"])
    with pytest.raises(DataError) as err:
        load_kuairand(str(tmp_path))
    assert (err.value.row, err.value.field) == (2, field)


def test_a_video_table_without_tags_names_the_column(tmp_path):
    _write_small_feature_tables(tmp_path)
    with open(os.path.join(tmp_path, "video_features_basic_pure.csv"), "w") as handle:
        handle.write("video_id,author_id,video_duration\n0,1,1000\n")
    _write_logs(tmp_path, [_row(0, 0, 1, 1)], [_row(0, 0, 2, 1)])
    with pytest.raises(DataError, match="missing column") as err:
        load_kuairand(str(tmp_path))
    assert err.value.field == "tag"
