"""cifar100 and california_housing loaders, on small stand-ins in Keras's file formats."""

import io
import pickle
import tarfile

import numpy as np
import pytest

from lamina.datasets import california_housing, cifar100


def _archive(path, parts):
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in parts.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_cifar100_fine_and_coarse_labels(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    parts, truth = {}, {}
    for name, n in (("train", 6), ("test", 3)):
        data = rng.integers(0, 256, (n, 3072)).astype(np.uint8)
        fine, coarse = rng.integers(0, 100, n).tolist(), rng.integers(0, 20, n).tolist()
        parts[name] = pickle.dumps(
            {b"data": data, b"fine_labels": fine, b"coarse_labels": coarse}, protocol=3
        )
        truth[name] = (data, fine, coarse)
    parts["meta"] = pickle.dumps({b"fine_label_names": [b"apple"]}, protocol=3)
    _archive(tmp_path / "cifar-100-python.tar.gz", parts)
    monkeypatch.setenv("LAMINA_DATASETS", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert (
        x_train.shape == (6, 32, 32, 3)
        and y_test.shape == (3, 1)
        and x_train.dtype == y_train.dtype == np.uint8
    )
    np.testing.assert_array_equal(
        x_train, truth["train"][0].reshape(6, 3, 32, 32).transpose(0, 2, 3, 1)
    )
    np.testing.assert_array_equal(y_train[:, 0], truth["train"][1])
    (_, y_coarse), (_, y_test_coarse) = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(y_coarse[:, 0], truth["train"][2])
    np.testing.assert_array_equal(y_test_coarse[:, 0], truth["test"][2])
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def test_california_housing_split_like_keras(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.random((1000, 8)).astype(np.float32)
    y = (rng.random(1000) * 5e5).astype(np.float32)
    np.savez(tmp_path / "california_housing.npz", x=x, y=y)
    monkeypatch.setenv("LAMINA_DATASETS", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = california_housing.load_data()
    assert x_train.shape == (800, 8) and x_test.shape == (200, 8)
    order = np.arange(1000)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(x_train, x[order[:800]])
    np.testing.assert_array_equal(y_test, y[order[800:]])
    (xs, _), (xs_test, _) = california_housing.load_data(version="small", test_split=0.5)
    assert len(xs) == len(xs_test) == 300
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")
