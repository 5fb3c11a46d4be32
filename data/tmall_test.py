import os

import pytest

from data.errors import DataError
from data.tmall import load_tmall

HEADER = "user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type\n"


def _write(directory, name, text):
    with open(os.path.join(directory, name), "w") as handle:
        handle.write(text)


def test_actions_map_to_labels_and_values(tmp_path):
    _write(tmp_path, "user_log_format1.csv", HEADER + "1,100,5,7,,0511,0\n1,100,5,7,,0512,1\n1,200,6,8,9,1111,2\n2,200,6,8,9,0601,3\n")
    log = load_tmall(str(tmp_path))
    # user 1's click then add-to-cart on item 100 merge into one interaction, positive from the cart day on
    assert log.merged_duplicates == 1
    assert list(log.interactions["label"]) == [1, 1, 1]
    assert list(log.interactions["ir"]) == [0.4, 1.0, 0.6]
    assert list(log.interactions["timestamp"]) == [512, 1111, 601]
    items = dict(zip(log.items["item_id"], log.items["item_features"]))
    assert items == {"100": "cat_id=5 seller_id=7", "200": "cat_id=6 seller_id=8 brand_id=9"}
    assert (log.users["user_features"] == "").all()


def test_user_info_is_read_when_present(tmp_path):
    _write(tmp_path, "user_log_format1.csv", HEADER + "1,100,5,7,1,0511,2\n")
    _write(tmp_path, "user_info_format1.csv", "user_id,age_range,gender\n1,3,0\n")
    assert load_tmall(str(tmp_path)).users["user_features"].iloc[0] == "age_range=3 gender=0"


def test_unknown_action_names_file_row_and_field(tmp_path):
    _write(tmp_path, "user_log_format1.csv", HEADER + "1,100,5,7,1,0511,2\n1,100,5,7,1,0512,7\n")
    with pytest.raises(DataError, match=r"user_log_format1.csv, row 3, field 'action_type'"):
        load_tmall(str(tmp_path))


def test_empty_file_is_a_clear_error(tmp_path):
    _write(tmp_path, "user_log_format1.csv", "")
    with pytest.raises(DataError, match="file is empty"):
        load_tmall(str(tmp_path))


def test_a_log_without_cat_id_names_the_column(tmp_path):
    _write(tmp_path, "user_log_format1.csv", "user_id,item_id,seller_id,brand_id,time_stamp,action_type\n1,100,7,1,0511,2\n")
    with pytest.raises(DataError, match="missing column") as err:
        load_tmall(str(tmp_path))
    assert err.value.field == "cat_id"


def test_non_utf8_bytes_name_the_row(tmp_path):
    (tmp_path / "user_log_format1.csv").write_bytes((HEADER + "1,100,5,7,1,0511,2\n").encode() + b"2,\xff,5,7,1,0511,2\n")
    with pytest.raises(DataError, match="not utf-8 text") as err:
        load_tmall(str(tmp_path))
    assert err.value.row == 3


def test_a_folder_in_place_of_the_user_info_is_named(tmp_path):
    _write(tmp_path, "user_log_format1.csv", HEADER + "1,100,5,7,1,0511,2\n")
    (tmp_path / "user_info_format1.csv").mkdir()
    with pytest.raises(DataError, match="is a folder, not a file") as err:
        load_tmall(str(tmp_path))
    assert err.value.path == str(tmp_path / "user_info_format1.csv")
