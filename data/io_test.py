"""Bad input files: each gives a DataError naming the file, row and field (see data/errors.py)."""
import pytest

from data.errors import DataError
from data.io import read_delimited


def _read(tmp_path, text, **kwargs):
    path = tmp_path / "log.csv"
    path.write_text(text)
    return str(path), lambda: read_delimited(str(path), ",", **kwargs)


@pytest.mark.parametrize(
    "text, kwargs, row, field, message",
    [
        ("user,item,rating\n1,2,3\n4,5,6,7\n", {}, 3, None, "malformed row"),  # a row with an extra field
        ("user,item\n1,2\n", {"required": ["user", "item", "rating"]}, None, "rating", "missing column"),
        ("user,item,rating\n1,2,3\n1,3,high\n", {"numeric": ["rating"]}, 3, "rating", "not a number: 'high'"),
        ("user,item,rating\n1,2,3\n1,,4\n", {"required": ["item"]}, 3, "item", "empty value"),
        ("", {}, None, None, "file is empty"),
        ("user,item,rating\n", {}, None, None, "header but no rows"),
    ],
)
def test_bad_files_name_file_row_and_field(tmp_path, text, kwargs, row, field, message):
    path, read = _read(tmp_path, text, **kwargs)
    with pytest.raises(DataError, match=message) as err:
        read()
    assert (err.value.path, err.value.row, err.value.field) == (path, row, field)


def test_numeric_fields_are_converted(tmp_path):
    _, read = _read(tmp_path, "user,rating\n1,3.5\n2,\n", numeric=["rating"])
    frame = read()
    assert frame["rating"].iloc[0] == 3.5 and frame["rating"].isna().iloc[1]
