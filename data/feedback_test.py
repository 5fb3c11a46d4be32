import pytest

from data.errors import DataError
from data.examples import EXAMPLE_COLUMNS
from data.feedback import read_feedback, read_feedback_files


def _write(tmp_path, text, name="feedback.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_minimal_columns_get_defaults(tmp_path):
    frame = read_feedback(_write(tmp_path, "user_id,item_id,label\nu1,new-1,1\nu2,new-1,0\n"))
    assert list(frame.columns) == list(EXAMPLE_COLUMNS)
    assert frame["label"].tolist() == [1, 0] and frame["timestamp"].tolist() == [0, 0]
    assert frame["cr"].tolist() == [0.0, 0.0] and frame["item_features"].tolist() == ["", ""]


def test_full_rows_keep_their_values(tmp_path):
    text = "user_id,item_id,timestamp,label,cr,ir,user_features,item_features,history\nu1,i9,17,1,0.5,1,age=3,genre=x,i1 i2\n"
    row = read_feedback(_write(tmp_path, text)).iloc[0]
    assert (row["timestamp"], row["cr"], row["ir"], row["history"]) == (17, 0.5, 1.0, "i1 i2")


@pytest.mark.parametrize(
    "text, row, field",
    [
        ("user_id,item_id,label\nu1,i1,1\nu2,i1,2\n", 3, "label"),
        ("user_id,item_id,label\nu1,i1,yes\n", 2, "label"),
        ("user_id,item_id,label,cr\nu1,i1,1,0.1\nu2,i2,0,high\n", 3, "cr"),
        ("user_id,item_id,label\nu1,,1\n", 2, "item_id"),
        ("user_id,label\nu1,1\n", None, "item_id"),
    ],
)
def test_bad_values_name_file_row_and_field(tmp_path, text, row, field):
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as err:
        read_feedback(path)
    assert (err.value.path, err.value.row, err.value.field) == (path, row, field)


def test_several_files_are_read_in_order(tmp_path):
    a = _write(tmp_path, "user_id,item_id,label\nu1,i1,1\n", "a.csv")
    b = _write(tmp_path, "user_id,item_id,label\nu2,i2,0\n", "b.csv")
    assert read_feedback_files([a, b])["user_id"].tolist() == ["u1", "u2"]
    with pytest.raises(DataError, match="file is empty"):
        read_feedback_files([a, _write(tmp_path, "", "empty.csv")])


@pytest.mark.parametrize("text, row, field", [
    ("user_id,item_id,label,ir\nu1,i1,1,inf\n", 2, "ir"),
    ("user_id,item_id,label,timestamp\nu1,i1,1,99999999999999999999\n", 2, "timestamp"),
    ("user_id,item_id,label\nu1,i 1,1\n", 2, "item_id"),
])
def test_non_finite_huge_and_whitespace_values_are_refused(tmp_path, text, row, field):
    with pytest.raises(DataError) as err:
        read_feedback(_write(tmp_path, text))
    assert (err.value.row, err.value.field) == (row, field)


def test_a_folder_given_as_feedback_file_is_refused(tmp_path):
    (tmp_path / "feedback.csv").mkdir()
    with pytest.raises(DataError, match="is a folder, not a file") as err:
        read_feedback_files([_write(tmp_path, "user_id,item_id,label\nu1,i1,1\n", "a.csv"), str(tmp_path / "feedback.csv")])
    assert (err.value.path, err.value.row, err.value.field) == (str(tmp_path / "feedback.csv"), None, None)


def test_non_utf8_feedback_names_the_row(tmp_path):
    path = tmp_path / "feedback.csv"
    path.write_bytes(b"user_id,item_id,label\nu1,i1,1\nu\xe9,i1,0\n")
    with pytest.raises(DataError, match="not utf-8 text") as err:
        read_feedback(str(path))
    assert err.value.row == 3
