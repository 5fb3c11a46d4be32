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
        ("user,item\n1,1\u200b2\n", {"ids": ["item"]}, 2, "item", r"invisible format character \(U\+200B\)"),
        ("user,item\n1,2\n\ufeff6,3\n", {"ids": ["user"]}, 3, "user", r"invisible format character \(U\+FEFF\)"),
        ("user,item\n1,a\u202eb\n", {"ids": ["item"]}, 2, "item", "U\\+202E"),
        ("user,item\n1," + "9" * 300 + "\n", {"ids": ["item"]}, 2, "item", "id of 300 characters, more than 256"),
        ("user,item\n1,2\n3,\"4\n5,6\n", {}, 3, None, "malformed row"),
        ("user,item\n1,2\n\n3,\"" + "x" * 200_000 + "\"\n", {}, 4, None, "malformed row: field larger than field limit"),
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


@pytest.mark.parametrize(
    "payload, row, field, message",
    [
        (b"1\t2\n\xef\xbb\xbf6\t3\n", 2, "user", r"looks like UTF-8 text in a latin-1 file \(as UTF-8: '\\ufeff6'\)"),  # BOM mid-file
        (b"1\t2\n7\tcaf\xc3\xa9\n", 2, "item", r"looks like UTF-8 text in a latin-1 file \(as UTF-8: 'caf\xe9'\)"),  # no C1 byte
        (b"1\t2\n7\t\xe2\x80\x8b9\n", 2, "item", "looks like UTF-8 text"),  # UTF-8 U+200B: its bytes hold a C1 control
        (b"1\t2\n7\t" + b"9" * 10_000 + b"\n", 2, "item", "id of 10,000 characters"),
        (b"1\t2\n7\t\xe0\x80\x80\n", 2, "item", "contains whitespace or a control character"),  # overlong: not UTF-8
    ],
)
def test_latin1_ids_refuse_utf8_text_and_overlong_ids(tmp_path, payload, row, field, message):
    path = tmp_path / "u.data"
    path.write_bytes(payload)
    with pytest.raises(DataError, match=message) as err:
        read_delimited(str(path), "\t", ["user", "item"], ids=["user", "item"], encoding="latin-1")
    assert (err.value.row, err.value.field) == (row, field)
    assert len(str(err.value)) < 300  # an overlong id is not echoed whole


def test_latin1_and_utf8_letters_are_ids(tmp_path):
    (tmp_path / "a").write_bytes(b"caf\xe9\t1\n")  # é in latin-1
    (tmp_path / "b").write_bytes("café\tÜ1\n".encode("utf-8"))
    (tmp_path / "c").write_bytes(b"\xed\xa1\xa1\t\xf4\xa1\xa1\xa1\n")  # shaped like UTF-8, not UTF-8 (a surrogate, > U+10FFFF)
    assert read_delimited(str(tmp_path / "a"), "\t", ["user", "item"], ids=["user"], encoding="latin-1")["user"].tolist() == ["café"]
    assert read_delimited(str(tmp_path / "b"), "\t", ["user", "item"], ids=["user", "item"])["item"].tolist() == ["Ü1"]
    latin = read_delimited(str(tmp_path / "c"), "\t", ["user", "item"], ids=["user", "item"], encoding="latin-1")
    assert latin.iloc[0].tolist() == ["í¡¡", "ô¡¡¡"]


def test_a_folder_in_place_of_the_file_is_refused(tmp_path):
    (tmp_path / "u.data").mkdir()
    with pytest.raises(DataError, match="is a folder, not a file") as err:
        read_delimited(str(tmp_path / "u.data"), "\t", ["user", "item"])
    assert err.value.path == str(tmp_path / "u.data")
