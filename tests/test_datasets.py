"""Dataset loaders: the real files (LAMINA_DATASETS), Keras's algorithms, safety, small fakes.

`keras_imdb` / `keras_reuters` / `keras_boston` below are plain transcriptions of Keras 3's
loaders (keras/src/datasets/*.py): list comprehensions over every token, applied to arrays
read with `np.load(allow_pickle=True)` from the trusted shared files. lamina's vectorised
loaders must return exactly the same arrays.
"""

import gzip
import io
import os
import pickle
import tarfile
import time
import zipfile

import numpy as np
import pytest

import lamina
import lamina.datasets
from lamina.datasets import boston_housing, cifar10, fashion_mnist, imdb, mnist, reuters
from lamina.datasets._npz import load_npz


def _encode(xs, num_words, skip_top, start_char, oov_char, index_from):
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    else:
        xs = [list(x) for x in xs]
    return xs


def _vocab(xs, num_words, skip_top, oov_char):
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def _long(maxlen, xs, labels):
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def _obj(lists):
    out = np.empty(len(lists), dtype=object)
    for i, s in enumerate(lists):
        out[i] = s
    return out


def keras_imdb(
    f, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3
):
    x_train, labels_train, x_test, labels_test = (
        f["x_train"],
        f["y_train"],
        f["x_test"],
        f["y_test"],
    )
    rng = np.random.RandomState(seed)
    idx = np.arange(len(x_train))
    rng.shuffle(idx)
    x_train, labels_train = x_train[idx], labels_train[idx]
    idx = np.arange(len(x_test))
    rng.shuffle(idx)
    x_test, labels_test = x_test[idx], labels_test[idx]
    x_train = _encode(x_train, num_words, skip_top, start_char, oov_char, index_from)
    x_test = _encode(x_test, num_words, skip_top, start_char, oov_char, index_from)
    if maxlen:
        x_train, labels_train = _long(maxlen, x_train, labels_train)
        x_test, labels_test = _long(maxlen, x_test, labels_test)
    xs = _vocab(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    n = len(x_train)
    return (_obj(xs[:n]), labels[:n]), (_obj(xs[n:]), labels[n:])


def keras_reuters(f, num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
                  start_char=1, oov_char=2, index_from=3):  # fmt: skip
    xs, labels = f["x"], f["y"]
    idx = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(idx)
    xs, labels = xs[idx], labels[idx]
    xs = _encode(xs, num_words, skip_top, start_char, oov_char, index_from)
    if maxlen:
        xs, labels = _long(maxlen, xs, labels)
    xs = _vocab(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return (_obj(xs[:n]), np.array(labels[:n])), (_obj(xs[n:]), np.array(labels[n:]))


def assert_same(got, ref):
    (xa, ya), (xb, yb) = got
    (ra, sa), (rb, sb) = ref
    for x, r in ((xa, ra), (xb, rb)):
        assert isinstance(x, np.ndarray) and x.dtype == object and x.ndim == 1
        assert x.tolist() == r.tolist()
        assert all(type(s) is list for s in x[:50]) and type(x[0][0]) is int
    for y, s in ((ya, sa), (yb, sb)):
        assert y.dtype == s.dtype == np.int64
        np.testing.assert_array_equal(y, s)


# --- real files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imdb_10k(request):
    if not os.environ.get("LAMINA_DATASETS"):
        pytest.skip("LAMINA_DATASETS is not set")
    start = time.perf_counter()
    data = imdb.load_data(num_words=10000)
    seconds = time.perf_counter() - start
    print(f"\nimdb.load_data(num_words=10000): {seconds:.2f} s")
    return data, seconds


@pytest.mark.data
def test_imdb_textbook_facts_and_keras_equality(data_dir, imdb_10k, record_property):
    ((x_train, y_train), (x_test, y_test)), seconds = imdb_10k
    record_property("imdb_load_seconds", round(seconds, 2))  # reported, not asserted
    assert x_train[0][:12] == [1, 14, 22, 16, 43, 530, 973, 1622, 1385, 65, 458, 4468]
    assert len(x_train) == len(x_test) == 25000
    assert max(max(s) for s in x_train) == 9999
    assert y_train.sum() == y_test.sum() == 12500
    with np.load(data_dir / "imdb.npz", allow_pickle=True) as f:  # trusted, verified file
        ref = keras_imdb({k: f[k] for k in f.files}, num_words=10000)
    assert_same(((x_train, y_train), (x_test, y_test)), ref)


@pytest.mark.data
def test_imdb_word_index_and_decode(data_dir, imdb_10k):
    word_index = imdb.get_word_index()
    assert len(word_index) == 88584 and word_index["the"] == 1 and word_index["percival"] == 88565
    (x_train, _), _ = imdb_10k[0]
    text = imdb.decode(x_train[0])
    assert text.startswith(
        "? this film was just brilliant casting location scenery story direction"
    )
    assert len(text.split(" ")) == len(x_train[0])
    assert imdb.decode([0, 1, 2, 3, 4, 5], word_index) == "? ? ? ? the and"
    assert imdb.decode([1, 2], {"a": 1}, index_from=0) == "a ?"


@pytest.mark.data
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_words": 10000},
        {"num_words": 500, "skip_top": 20, "maxlen": 200, "seed": 7},
        {"oov_char": None, "start_char": None, "index_from": 0, "test_split": 0.5},
    ],
)
def test_reuters_equals_keras(data_dir, kwargs):
    with np.load(data_dir / "reuters.npz", allow_pickle=True) as f:
        ref = keras_reuters({k: f[k] for k in f.files}, **kwargs)
    assert_same(reuters.load_data(**kwargs), ref)


@pytest.mark.data
def test_reuters_textbook_facts(data_dir):
    (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)
    assert len(x_train) == 8982 and len(x_test) == 2246
    assert y_train[10] == 3
    assert len(np.unique(np.concatenate([y_train, y_test]))) == 46
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"
    word_index = reuters.get_word_index()
    assert len(word_index) == 30979 and word_index["the"] == 1
    assert reuters.decode(x_train[0]).startswith(
        "? ? ? said as a result of its december acquisition"
    )


@pytest.mark.data
def test_mnist_shapes_dtypes_labels(data_dir):
    (x_train, y_train), (x_test, y_test) = lamina.datasets.mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert y_train[:3].tolist() == [5, 0, 4] and y_test[:3].tolist() == [7, 2, 1]
    assert x_train.mean() == pytest.approx(33.318421, abs=1e-5)


BOSTON_STD = [
    9.229,
    23.74,
    6.803,
    0.2409,
    0.1171,
    0.7089,
    27.91,
    2.028,
    8.688,
    166.2,
    2.198,
    93.99,
    7.246,
]


def keras_boston(x, y, test_split=0.2, seed=113):
    idx = np.arange(len(x))
    np.random.RandomState(seed).shuffle(idx)
    x, y = x[idx], y[idx]
    n = int(len(x) * (1 - test_split))
    return (x[:n], y[:n]), (x[n:], y[n:])


@pytest.mark.data
def test_boston_facts_and_keras_equality(data_dir):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13) and y_test.shape == (102,)
    assert x_train.dtype == y_train.dtype == np.float64
    np.testing.assert_allclose(x_train.std(axis=0), BOSTON_STD, rtol=6e-4)
    assert y_train[:3].tolist() == [15.2, 42.3, 50.0]
    with np.load(data_dir / "boston_housing.npz") as f:
        ref = keras_boston(f["x"], f["y"], test_split=0.3, seed=1)
    got = boston_housing.load_data(test_split=0.3, seed=1)
    for a, b in zip((*got[0], *got[1]), (*ref[0], *ref[1])):
        np.testing.assert_array_equal(a, b)


def test_boston_packaged_copy_works_offline(tmp_path, monkeypatch):
    monkeypatch.delenv("LAMINA_DATASETS", raising=False)
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path))
    monkeypatch.setenv("LAMINA_DATASETS_ORIGIN", "http://127.0.0.1:9")  # nothing listens
    (x_train, _), (x_test, _) = boston_housing.load_data()
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13)
    np.testing.assert_allclose(x_train.std(axis=0), BOSTON_STD, rtol=6e-4)
    assert not os.listdir(tmp_path)  # nothing downloaded or cached


# --- arguments ----------------------------------------------------------------------------


def test_unknown_dataset_and_argument_names_list_the_valid_ones():
    with pytest.raises(AttributeError, match="did you mean 'cifar10'.*boston_housing, california_housing, cifar10"):
        lamina.datasets.cifar1  # noqa: B018
    with pytest.raises(
        TypeError, match="did you mean 'num_words'.*Valid arguments: path, num_words"
    ):
        imdb.load_data(num_word=100)
    with pytest.raises(TypeError, match="Valid arguments: path, test_split, seed"):
        boston_housing.load_data(split=0.1)
    with pytest.raises(TypeError, match="Valid arguments: path"):
        mnist.load_data("mnist.npz", "extra")


@pytest.mark.parametrize("bad", [3, 0, -1, 2.5, "10000", True])
def test_num_words_must_be_an_integer_of_at_least_4(bad):
    for loader in (imdb.load_data, reuters.load_data):
        with pytest.raises(ValueError, match="num_words"):
            loader(num_words=bad)


def test_test_split_must_be_a_fraction():
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(test_split=-0.1)


def test_signatures_match_keras():
    import inspect

    assert str(inspect.signature(imdb.load_data)) == (
        "(path='imdb.npz', num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, "
        "oov_char=2, index_from=3, **kwargs)"
    )
    assert str(inspect.signature(reuters.load_data)) == (
        "(path='reuters.npz', num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113, "
        "start_char=1, oov_char=2, index_from=3)"
    )
    assert (
        str(inspect.signature(boston_housing.load_data))
        == "(path='boston_housing.npz', test_split=0.2, seed=113)"
    )
    assert str(inspect.signature(mnist.load_data)) == "(path='mnist.npz')"
    assert str(inspect.signature(fashion_mnist.load_data)) == "()"
    assert str(inspect.signature(cifar10.load_data)) == "()"


# --- small files in Keras's formats -------------------------------------------------------


def _save_object_npz(path, **arrays):
    np.savez(path, **arrays)  # object arrays are pickled, as in Keras's files


def test_imdb_format_every_argument_equals_keras(tmp_path):
    rng = np.random.default_rng(3)

    def ragged(n):
        return _obj([rng.integers(1, 60, rng.integers(1, 30)).tolist() for _ in range(n)])

    arrays = {"x_train": ragged(40), "y_train": rng.integers(0, 2, 40), "x_test": ragged(30),
              "y_test": rng.integers(0, 2, 30)}  # fmt: skip
    path = tmp_path / "small_imdb.npz"
    _save_object_npz(path, **arrays)
    cases = [
        {},
        {"num_words": 30, "skip_top": 5},
        {"maxlen": 15, "seed": 0},
        {"num_words": 20, "oov_char": None, "maxlen": 25},
        {"start_char": None, "index_from": 0, "num_words": 40},
        {"start_char": None, "index_from": 2, "oov_char": 1, "skip_top": 10},
    ]
    for kwargs in cases:
        assert_same(imdb.load_data(path=str(path), **kwargs), keras_imdb(arrays, **kwargs))
    with pytest.raises(ValueError, match="increase maxlen"):
        imdb.load_data(path=str(path), maxlen=2)


def _idx_gz(path, array):
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_reads_gzip_idx_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    x_train, x_test = rng.integers(0, 256, (7, 28, 28)), rng.integers(0, 256, (3, 28, 28))
    y_train, y_test = rng.integers(0, 10, 7), rng.integers(0, 10, 3)
    files = {
        "train-images-idx3-ubyte.gz": x_train,
        "train-labels-idx1-ubyte.gz": y_train,
        "t10k-images-idx3-ubyte.gz": x_test,
        "t10k-labels-idx1-ubyte.gz": y_test,
    }
    for name, arr in files.items():
        _idx_gz(folder / name, arr)
    monkeypatch.setenv("LAMINA_DATASETS", str(tmp_path))
    (a, b), (c, d) = fashion_mnist.load_data()
    # Keras's own reading: np.frombuffer past the 16 / 8 header bytes
    with gzip.open(folder / "train-images-idx3-ubyte.gz") as f:
        keras_x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(7, 28, 28)
    np.testing.assert_array_equal(a, keras_x)
    assert a.dtype == b.dtype == c.dtype == d.dtype == np.uint8
    assert a.shape == (7, 28, 28) and c.shape == (3, 28, 28) and b.shape == (7,) and d.shape == (3,)
    np.testing.assert_array_equal(b, y_train)
    np.testing.assert_array_equal(c, x_test)
    np.testing.assert_array_equal(d, y_test)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"\x01\x02")
    with pytest.raises(ValueError, match="truncated"):
        fashion_mnist.load_data()


def _cifar_batch(rng, n, protocol=3):
    data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
    labels = rng.integers(0, 10, n).tolist()
    batch = {
        b"batch_label": b"testing",
        b"labels": labels,
        b"data": data,
        b"filenames": [b"x.png"] * n,
    }
    return pickle.dumps(batch, protocol=protocol), data, labels


def _tar_gz(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_cifar10_reads_pickled_batches_from_the_archive(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    members, datas, labels = {}, [], []
    for name in cifar10.BATCHES:
        members[name], data, lab = _cifar_batch(rng, 4)
        datas.append(data)
        labels.append(lab)
    members["batches.meta"] = pickle.dumps({b"label_names": [b"airplane"]}, protocol=3)
    _tar_gz(tmp_path / "cifar-10-python.tar.gz", members)
    monkeypatch.setenv("LAMINA_DATASETS", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)
    assert y_train.shape == (20, 1) and y_test.shape == (4, 1)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    keras_x = np.concatenate(datas[:5]).reshape(20, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, keras_x)
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate(labels[:5]))
    np.testing.assert_array_equal(x_test, datas[5].reshape(4, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], labels[5])
    # red channel of pixel (0, 0) of image 0 is the first byte of its row
    assert x_train[0, 0, 0, 0] == datas[0][0, 0] and x_train[0, 0, 0, 2] == datas[0][0, 2048]
    # the extracted folder is accepted in LAMINA_DATASETS too, with the same result
    (tmp_path / "cifar-10-python.tar.gz").unlink()
    (tmp_path / "cifar-10-batches-py").mkdir()
    for name in cifar10.BATCHES:
        (tmp_path / "cifar-10-batches-py" / name).write_bytes(members[name])
    (a, b), (c, d) = cifar10.load_data()
    for got, ref in zip((a, b, c, d), (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(got, ref)


# --- the restricted unpickler -------------------------------------------------------------


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _malicious_npz(path, marker):
    header = io.BytesIO()  # magic string + header of a 1-element object array
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|O", "fortran_order": False, "shape": (1,)}
    )
    payload = header.getvalue() + pickle.dumps(_Exploit(marker), protocol=2)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.npy", payload)
        z.writestr("y.npy", payload)


def test_restricted_unpickler_refuses_os_system_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "reuters_evil.npz"
    _malicious_npz(path, marker)
    assert b"system" in zipfile.ZipFile(path).read("x.npy")
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load global (posix|os)\.system"):
        reuters.load_data(path=str(path))
    with pytest.raises(pickle.UnpicklingError):
        load_npz(path)
    assert not marker.exists()
    # the same bytes do execute with np.load(allow_pickle=True): the test's exploit is real
    with np.load(path, allow_pickle=True) as f:
        f["x"]
    assert marker.exists()


def test_cifar_batches_are_unpickled_with_the_restricted_unpickler(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({b"data": _Exploit(marker), b"labels": [0]}, protocol=2)
    _tar_gz(tmp_path / "cifar-10-python.tar.gz", {name: evil for name in cifar10.BATCHES})
    monkeypatch.setenv("LAMINA_DATASETS", str(tmp_path))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        cifar10.load_data()
    assert not marker.exists()
