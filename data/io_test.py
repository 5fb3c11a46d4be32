"""Bad input files: each gives a DataError naming the file, row and field (see data/errors.py)."""
import pytest

from data.errors import DataError
from data.io import FLAG, UNIX_SECONDS, Number, read_delimited

RATING = {"rating": Number(1, 5)}


def _read(tmp_path, text, encoding="utf-8", sep=",", **kwargs):
    path = tmp_path / "log.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path), lambda: read_delimited(str(path), sep, encoding=encoding, **kwargs)


@pytest.mark.parametrize(
    "text, kwargs, row, field, message",
    [
        ("user,item,rating\n1,2,3\n4,5,6,7\n", {}, 3, None, "row has 4 fields, expected 3"),
        ("user,item,rating\n1,2,3\n4,5\n", {}, 3, "rating", "row has 2 fields, expected 3"),
        ("user,item\n1,2\n", {"required": ["user", "item", "rating"]}, None, "rating", "missing column"),
        ("user,item\n1,2\n", {"present": ["rating"]}, None, "rating", "missing column"),
        ("user,item,rating\n1,2,3\n1,3,high\n", {"numeric": RATING}, 3, "rating", "not a number: 'high'"),
        ("user,item,rating\n1,2,3\n1,3,inf\n", {"numeric": RATING}, 3, "rating", "not a finite number: 'inf'"),
        ("user,item,rating\n1,2,nan\n", {"numeric": RATING}, 2, "rating", "not a number: 'nan'"),
        ("user,item,rating\n1,2,1e300\n", {"numeric": RATING}, 2, "rating", r"'1e300' is outside \[1, 5\]"),
        ("user,item,rating\n1,2,0\n", {"numeric": RATING}, 2, "rating", "outside"),
        ("user,item,rating\n1,2,\n", {"numeric": RATING}, 2, "rating", "empty value"),
        ("user,ts\n1,88125094900000000000\n", {"numeric": {"ts": UNIX_SECONDS}}, 2, "ts", "outside"),
        ("user,ts\n1,-5\n", {"numeric": {"ts": UNIX_SECONDS}}, 2, "ts", "outside"),
        ("user,ts\n1,881250949.5\n", {"numeric": {"ts": UNIX_SECONDS}}, 2, "ts", "not a whole number"),
        ("user,like\n1,1\n2,2\n", {"numeric": {"like": FLAG}}, 3, "like", "outside"),
        ("user,item,rating\n1,2,3\n1,,4\n", {"required": ["item"]}, 3, "item", "empty value"),
        ("user,item\n1,2\n1, \n", {"ids": ["item"]}, 3, "item", "empty id"),
        ("user,item\n1,24 2\n", {"ids": ["item"]}, 2, "item", "'24 2' contains whitespace"),
        ("user,item\n1,a\tb\n", {"ids": ["item"]}, 2, "item", "contains whitespace"),
        ("user,item\n1,a\x01b\n", {"ids": ["item"]}, 2, "item", "control character"),
        ('user,item\n1,"2\n3"\n', {"ids": ["item"]}, 3, "item", "contains whitespace"),
        ("", {}, None, None, "file is empty"),
        ("user,item,rating\n", {}, None, None, "header but no rows"),
    ],
)
def test_bad_files_name_file_row_and_field(tmp_path, text, kwargs, row, field, message):
    path, read = _read(tmp_path, text, **kwargs)
    with pytest.raises(DataError, match=message) as err:
        read()
    assert (err.value.path, err.value.row, err.value.field) == (path, row, field)


def test_bytes_that_are_not_utf8_name_the_row(tmp_path):
    path, read = _read(tmp_path, b"user,item\n1,2\n3,\xff\xfe\n")
    with pytest.raises(DataError, match="not utf-8 text") as err:
        read()
    assert (err.value.path, err.value.row) == (path, 3)


def test_a_header_less_file_rejects_an_extra_leading_field(tmp_path):
    # pandas would silently make the extra field an index
    _, read = _read(tmp_path, "1::2::3\n1::2::3::4\n", sep="::", encoding="latin-1")
    with pytest.raises(DataError, match="row has 4 fields, expected 3"):
        read_delimited(str(tmp_path / "log.csv"), "::", ["u", "i", "r"], encoding="latin-1")


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_byte_order_mark_and_crlf_are_dropped(tmp_path, encoding):
    path = tmp_path / "log.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "1\t10\t5\r\n2\t20\t4\r\n".encode(encoding))
    frame = read_delimited(str(path), "\t", ["user", "item", "rating"], ids=["user", "item"], numeric=RATING, encoding=encoding)
    assert frame["user"].tolist() == ["1", "2"] and frame["rating"].tolist() == [5.0, 4.0]


def test_ids_are_stripped_and_quoted_commas_kept(tmp_path):
    _, read = _read(tmp_path, 'user,item,tag\n 7 ,x-1,"3,4"\n\n', ids=["user", "item"])
    frame = read()
    assert frame.iloc[0].tolist() == ["7", "x-1", "3,4"] and len(frame) == 1  # the blank line is skipped


def test_optional_numbers_are_nan_when_empty(tmp_path):
    _, read = _read(tmp_path, "user,rating\n1,3.5\n2,\n", numeric={"rating": Number(0, 5, optional=True)})
    frame = read()
    assert frame["rating"].iloc[0] == 3.5 and frame["rating"].isna().iloc[1]
