"""MovieLens loaders: the search order, the zip and the folder layouts, validation, and downloads from 127.0.0.1."""

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import serve_folder

from chainrule.data.datasets import DatasetError, MovieLens100K, MovieLensSmall, movielens, read_ratings_csv
from chainrule.data.datasets import download as dl


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.delenv(dl.MIRROR_ENV, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setattr(MovieLens100K, "mirrors", ["http://127.0.0.1:9/never-used/"])
    monkeypatch.setattr(MovieLensSmall, "mirrors", ["http://127.0.0.1:9/never-used/"])


def u_files(n_users=5, n_items=4, seed=0):
    """The text of a small u.data / u.item pair (and u1.base / u1.test) in MovieLens 100K's formats."""
    rng = np.random.default_rng(seed)
    rows = [(u, i, int(rng.integers(1, 6)), 880000000 + 10 * u + i) for u in range(1, n_users + 1)
            for i in range(1, n_items + 1) if (u + i) % 3]
    data = "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in rows)
    flags = "|".join(["0"] * 19)
    item = "".join(f"{i}|Movie {i} (199{i % 10})|01-Jan-1995||http://x/{i}|{flags}\n" for i in range(1, n_items + 1))
    item = item.replace("Movie 1 ", "Movi\xe9 1 ")  # u.item is Latin-1
    half = len(rows) // 2
    return {"u.data": data, "u.item": item, "u1.base": "".join(data.splitlines(True)[:half]),
            "u1.test": "".join(data.splitlines(True)[half:])}, rows


def write_folder(folder: Path, files: dict):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("latin-1"))


def make_zip(path: Path, files: dict, prefix="ml-100k", encoding="latin-1"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(f"{prefix}/{name}", text.encode(encoding))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def test_ml100k_from_a_folder_ids_from_zero_titles_latin1(tmp_path):
    files, rows = u_files()
    write_folder(tmp_path / "data" / "ml-100k", files)
    ml = MovieLens100K(root=tmp_path / "data", download=False)
    r = ml.ratings
    assert len(ml) == len(rows) and (r.n_users, r.n_items) == (5, 4)
    assert r.users.tolist() == [u - 1 for u, *_ in rows] and r.items.tolist() == [i - 1 for _, i, *_ in rows]
    assert r.ratings.tolist() == [float(x) for *_, x, _ in rows]
    assert r.timestamps.tolist() == [t for *_, t in rows]
    assert ml.titles[0] == "Movi\xe9 1 (1991)" and ml.user_ids.tolist() == [1, 2, 3, 4, 5]
    pair, rating = ml[0]
    assert pair.tolist() == [rows[0][0] - 1, rows[0][1] - 1] and rating == rows[0][2]
    base, test = ml.fold(1)
    assert len(base) + len(test) == len(rows) and base.n_items == 4 and base.titles is ml.titles


def test_ml100k_read_from_the_zip_in_chainrule_data(monkeypatch, tmp_path):
    files, rows = u_files()
    make_zip(tmp_path / "env" / "ml-100k" / "ml-100k.zip", files)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    ml = MovieLens100K(download=False)
    assert len(ml) == len(rows) and ml.source.endswith("ml-100k.zip")
    assert len(ml.fold(1)[1]) == len(rows) - len(rows) // 2


def test_search_order_root_before_env_before_cache(monkeypatch, tmp_path):
    small, _ = u_files(n_users=2, n_items=2)
    big, _ = u_files(n_users=6, n_items=3)
    write_folder(tmp_path / "xdg-cache" / "chainrule" / "ml-100k", small)
    assert MovieLens100K(download=False).ratings.n_users == 2  # the user cache
    write_folder(tmp_path / "env" / "ml-100k", big)
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env"))
    assert MovieLens100K(download=False).ratings.n_users == 6  # $CHAINRULE_DATA before the cache
    write_folder(tmp_path / "root", u_files(n_users=3, n_items=2)[0])
    assert MovieLens100K(root=tmp_path / "root", download=False).ratings.n_users == 3  # root first


@pytest.mark.parametrize("line, expected", [
    ("1\t2\tnan\t880000000", "rating 'nan' is not a finite number"),
    ("1\t2\tfive\t880000000", "rating 'five' is not a number"),
    ("1\t9\t4\t880000000", "item id 9 is out of range"),
    ("0\t2\t4\t880000000", "user id 0 is out of range"),
    ("1\t2\t4", "expected user, item, rating and timestamp"),
    ("1\t2\t7\t880000000", "rating 7 is outside"),
])
def test_ml100k_bad_rows_name_the_file_line_and_value(tmp_path, line, expected):
    files, rows = u_files()
    files["u.data"] += line + "\n"
    write_folder(tmp_path / "d", files)
    with pytest.raises(DatasetError, match=expected) as info:
        MovieLens100K(root=tmp_path / "d", download=False)
    assert f"u.data line {len(rows) + 1}:" in str(info.value)


def test_not_found_says_where_it_looked_and_what_to_do(tmp_path):
    with pytest.raises(DatasetError) as info:
        MovieLens100K(root=tmp_path / "nowhere", download=False)
    text = str(info.value)
    for part in ("cannot find u.data and u.item (or ml-100k.zip)", "does not exist", str(tmp_path / "nowhere"),
                 "download=False", "files.grouplens.org/datasets/movielens/ml-100k.zip", "CHAINRULE_DATA",
                 dl.MIRROR_ENV):
        assert part in text


def small_files():
    movies = 'movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n7,"Heat, The (1995)",Action\n' \
             '300,Alien (1979),Horror\n'
    ratings = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,300,5.0,964982704\n5,7,3.5,964982705\n" \
              "5,1,0.5,964982706\n"
    return {"movies.csv": movies, "ratings.csv": ratings}


def test_ml_latest_small_sparse_ids_become_dense(tmp_path):
    write_folder(tmp_path / "ml-latest-small", small_files())
    ml = MovieLensSmall(root=tmp_path, download=False)
    r = ml.ratings
    assert (r.n_users, r.n_items, len(r)) == (2, 3, 4)
    assert ml.titles == ["Toy Story (1995)", "Heat, The (1995)", "Alien (1979)"]
    assert r.items.tolist() == [0, 2, 1, 0] and r.users.tolist() == [0, 0, 1, 1]
    assert ml.item_ids.tolist() == [1, 7, 300] and ml.user_ids.tolist() == [1, 5]
    assert r.ratings.tolist() == [4.0, 5.0, 3.5, 0.5]


def test_ml_latest_small_unknown_movie_and_nan(tmp_path):
    files = small_files()
    files["ratings.csv"] += "2,8,4.0,964982707\n"
    write_folder(tmp_path / "a", files)
    with pytest.raises(DatasetError, match=r"ratings.csv line 6: movieId 8 is not in movies.csv"):
        MovieLensSmall(root=tmp_path / "a", download=False)
    files = small_files()
    files["ratings.csv"] += "2,7,NaN,964982707\n"
    write_folder(tmp_path / "b", files)
    with pytest.raises(DatasetError, match=r"ratings.csv line 6: rating 'NaN' is not a finite number"):
        MovieLensSmall(root=tmp_path / "b", download=False)


# -- downloads from a local server ---------------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    www = tmp_path / "www"
    files, rows = u_files()
    good = make_zip(www / "good" / "ml-100k.zip", files)
    bad = bytearray(good.read_bytes())
    bad[len(bad) // 2] ^= 0xFF
    (www / "bad").mkdir()
    (www / "bad" / "ml-100k.zip").write_bytes(bytes(bad))
    with serve_folder(www) as (url, requests):
        yield {"url": url, "rows": rows, "requests": requests,
               "sha256": hashlib.sha256(good.read_bytes()).hexdigest()}


def test_download_checksummed_atomic_then_found_locally(monkeypatch, tmp_path, server):
    monkeypatch.setitem(movielens.MOVIELENS_SHA256, "ml-100k.zip", server["sha256"])
    monkeypatch.setenv(dl.MIRROR_ENV, f"{server['url']}/bad/ {server['url']}/good/")
    ml = MovieLens100K()  # into the user cache; the corrupted mirror fails its checksum first
    cache = tmp_path / "xdg-cache" / "chainrule" / "ml-100k"
    assert ml.source == str(cache / "ml-100k.zip") and len(ml) == len(server["rows"])
    assert server["requests"] == ["/bad/ml-100k.zip", "/good/ml-100k.zip"]
    assert sorted(p.name for p in cache.iterdir()) == ["ml-100k.zip"]  # no temporary file left
    MovieLens100K()
    assert len(server["requests"]) == 2  # found in the cache: no new request


def test_download_failure_lists_the_attempts(monkeypatch, tmp_path, server):
    monkeypatch.setitem(movielens.MOVIELENS_SHA256, "ml-100k.zip", "0" * 64)
    monkeypatch.setenv(dl.MIRROR_ENV, f"{server['url']}/good/")
    with pytest.raises(DatasetError) as info:
        MovieLens100K(root=tmp_path / "r")
    assert "checksum mismatch" in str(info.value) and "Download failed" in str(info.value)
    assert not (tmp_path / "r" / "ml-100k.zip").exists()


def test_unpinned_download_is_validated_by_content(monkeypatch, tmp_path, server, capsys):
    monkeypatch.setitem(movielens.MOVIELENS_SHA256, "ml-100k.zip", None)
    monkeypatch.setenv(dl.MIRROR_ENV, f"{server['url']}/good/")
    with pytest.raises(DatasetError, match="this is not MovieLens 100K"):  # 5 users are not the real 943
        MovieLens100K(root=tmp_path / "r")
    assert server["sha256"] in capsys.readouterr().err
    assert not (tmp_path / "r" / "ml-100k.zip").exists()  # not kept for the next call


# -- any CSV -------------------------------------------------------------------------------------

def test_read_ratings_csv_with_and_without_header(tmp_path):
    (tmp_path / "a.csv").write_text("user,item,rating,timestamp\nann,Heat,4,3\nbob,Heat,2,1\nann,Alien,5,2\n")
    data, users, items = read_ratings_csv(tmp_path / "a.csv")
    assert users.tolist() == ["ann", "bob"] and items.tolist() == ["Alien", "Heat"]
    assert data.users.tolist() == [0, 1, 0] and data.items.tolist() == [1, 1, 0]
    assert data.timestamps.tolist() == [3, 1, 2] and data.titles == ["Alien", "Heat"]
    (tmp_path / "b.csv").write_text("10,200,4.5\n2,200,3\n")
    data, users, items = read_ratings_csv(tmp_path / "b.csv")
    assert users.tolist() == [2, 10] and data.users.tolist() == [1, 0] and data.timestamps is None


@pytest.mark.parametrize("text, expected", [
    ("user,item,rating\n", "no ratings"),
    ("", "no ratings"),
    ("1,2,3\n1,2,inf\n", "line 2: rating 'inf' is not a finite number"),
    ("1,2,3\n1,2\n", "line 2: expected user,item,rating"),
    ("1,2,3\n1,2,x\n", "line 2: rating 'x' is not a number"),
])
def test_read_ratings_csv_bad_input(tmp_path, text, expected):
    (tmp_path / "r.csv").write_text(text)
    with pytest.raises(DatasetError, match=expected):
        read_ratings_csv(tmp_path / "r.csv")
