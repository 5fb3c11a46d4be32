import os

import pytest

from data.errors import DataError
from data.movielens import load_ml100k, load_ml1m, verify_ml100k


def _write(directory, name, text, encoding="utf-8"):
    with open(os.path.join(directory, name), "w", encoding=encoding) as handle:
        handle.write(text)


def _genre_flags(*names):
    from data.movielens import GENRES

    return "|".join("1" if g in names else "0" for g in GENRES)


@pytest.fixture
def grouplens_dir(tmp_path):
    _write(tmp_path, "u.data", "1\t10\t5\t881250949\n1\t20\t3\t881250950\n2\t10\t4\t881250951\n")
    _write(
        tmp_path, "u.item",
        f"10|Toy Story (1995)|01-Jan-1995||http://x|{_genre_flags('Animation', 'Comedy')}\n"
        f"20|GoldenEye (1995)|01-Jan-1995||http://y|{_genre_flags('Action')}\n",
        encoding="latin-1",
    )
    _write(tmp_path, "u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n")
    return tmp_path


def test_grouplens_100k_layout(grouplens_dir):
    log = load_ml100k(str(grouplens_dir))
    inter = log.interactions
    assert list(inter["label"]) == [1, 0, 1]
    assert list(inter["ir"]) == [1.0, 0.6, 0.8]
    assert (inter["cr"] == 0).all()
    users = dict(zip(log.users["user_id"], log.users["user_features"]))
    assert users["1"] == "age=18 gender=M occupation=technician zip=8"
    assert users["2"] == "age=50 gender=F occupation=other zip=9"
    items = dict(zip(log.items["item_id"], log.items["item_features"]))
    assert items["10"] == "genre=Animation genre=Comedy decade=1990"


def test_recbole_100k_layout_gives_the_same_features(tmp_path, grouplens_dir):
    _write(tmp_path, "ml-100k.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t5\t881250949\n")
    _write(tmp_path, "ml-100k.item", "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n10\tToy Story\t1995\tAnimation Comedy\n")
    _write(tmp_path, "ml-100k.user", "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n1\t24\tM\ttechnician\t85711\n")
    recbole, grouplens = load_ml100k(str(tmp_path)), load_ml100k(str(grouplens_dir))
    assert recbole.items["item_features"].iloc[0] == grouplens.items["item_features"].iloc[0]
    assert recbole.users["user_features"].iloc[0] == grouplens.users["user_features"].iloc[0]
    assert recbole.interactions.iloc[0].to_dict() == grouplens.interactions.iloc[0].to_dict()


def test_verify_rejects_a_partial_100k(grouplens_dir):
    with pytest.raises(DataError, match="not the published MovieLens-100K"):
        verify_ml100k(load_ml100k(str(grouplens_dir)), str(grouplens_dir))


def test_bad_rating_names_file_row_and_field(grouplens_dir):
    _write(grouplens_dir, "u.data", "1\t10\t5\t881250949\n1\t20\tfive\t881250950\n")
    with pytest.raises(DataError) as err:
        load_ml100k(str(grouplens_dir))
    assert "u.data, row 2, field 'rating'" in str(err.value) and "'five'" in str(err.value)


def test_ml1m_layout(tmp_path):
    _write(tmp_path, "ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n")
    _write(tmp_path, "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n")
    _write(tmp_path, "movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n", encoding="latin-1")
    log = load_ml1m(str(tmp_path))
    assert list(log.interactions["label"]) == [1, 0, 1]
    items = dict(zip(log.items["item_id"], log.items["item_features"]))
    assert items["661"] == "genre=Animation genre=Children's genre=Musical decade=1990"
    assert dict(zip(log.users["user_id"], log.users["user_features"]))["2"] == "age=56 gender=M occupation=16 zip=7"
    assert log.config.cold_threshold == 50


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="ratings.dat: file not found"):
        load_ml1m(str(tmp_path))


def test_a_short_users_dat_row_names_the_missing_field(tmp_path):
    _write(tmp_path, "ratings.dat", "1::1193::5::978300760\n")
    _write(tmp_path, "users.dat", "1::F::1\n")
    _write(tmp_path, "movies.dat", "1193::Cuckoo (1975)::Drama\n")
    with pytest.raises(DataError) as err:
        load_ml1m(str(tmp_path))
    assert (os.path.basename(err.value.path), err.value.row, err.value.field) == ("users.dat", 1, "occupation")


def test_a_byte_order_mark_does_not_create_a_user(tmp_path):
    (tmp_path / "ratings.dat").write_bytes(b"\xef\xbb\xbf1::1193::5::978300760\n")
    _write(tmp_path, "users.dat", "1::F::1::10::48067\n")
    _write(tmp_path, "movies.dat", "1193::Cuckoo (1975)::Drama\n")
    assert load_ml1m(str(tmp_path)).interactions["user_id"].tolist() == ["1"]


def test_a_folder_in_the_ml100k_cache_is_refused_before_any_download(tmp_path, monkeypatch):
    from data import ml100k_source

    os.makedirs(tmp_path / "ml-100k" / "u.data")
    monkeypatch.setenv("PROMO_CACHE", str(tmp_path))
    for fetch in ("_fetch_grouplens", "_fetch_recbole"):
        monkeypatch.setattr(ml100k_source, fetch, lambda *args: pytest.fail("fetched despite the folder"))
    with pytest.raises(DataError, match="is a folder, not a file") as err:
        ml100k_source.load_real_ml100k()
    assert err.value.path == str(tmp_path / "ml-100k" / "u.data")


def test_a_non_ascii_item_id_is_one_item_in_every_grouplens_file(grouplens_dir):
    _write(grouplens_dir, "u.data", "1\té10\t5\t881250949\n", encoding="latin-1")
    _write(grouplens_dir, "u.item", f"é10|Film (1995)|01-Jan-1995||u|{_genre_flags('Drama')}\n", encoding="latin-1")
    log = load_ml100k(str(grouplens_dir))
    assert log.interactions["item_id"].tolist() == ["é10"] and log.items["item_id"].tolist() == ["é10"]


@pytest.mark.parametrize("line, field, message", [
    ("1\t24 2\t5\t881250949\n", "item_id", "contains whitespace"),
    ("1\t10\tinf\t881250949\n", "rating", "not a finite number"),
    ("1\t10\t1e300\t881250949\n", "rating", "outside"),
    ("1\t10\t5\t88125094900000000000\n", "timestamp", "outside"),
    ("1\t10\t5\tinf\n", "timestamp", "not a finite number"),
    ("1\t10\t5\n", "timestamp", "row has 3 fields"),
])
def test_bad_u_data_values_name_file_row_and_field(grouplens_dir, line, field, message):
    _write(grouplens_dir, "u.data", "1\t20\t3\t881250950\n" + line)
    with pytest.raises(DataError, match=message) as err:
        load_ml100k(str(grouplens_dir))
    assert (os.path.basename(err.value.path), err.value.row, err.value.field) == ("u.data", 2, field)


def test_a_recbole_item_file_without_its_class_column_is_named(tmp_path):
    _write(tmp_path, "ml-100k.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t5\t881250949\n")
    _write(tmp_path, "ml-100k.item", "item_id:token\tmovie_title:token_seq\trelease_year:token\n10\tToy Story\t1995\n")
    _write(tmp_path, "ml-100k.user", "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n1\t24\tM\tx\t1\n")
    with pytest.raises(DataError, match="missing column") as err:
        load_ml100k(str(tmp_path))
    assert err.value.field == "class"
