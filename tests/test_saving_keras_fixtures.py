"""Interchange with Keras 3: `.keras` files written by real Keras (tests/fixtures/keras,
made by tests/fixtures/make_fixtures.py) load in lamina and predict what Keras predicted;
lamina re-saves them in Keras's layout, byte-stably. Keras itself is not needed here."""
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import lamina

FIXTURES = Path(__file__).parent / "fixtures" / "keras"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.keras"))
h5py = pytest.importorskip("h5py")  # Keras writes HDF5 weights


def _inputs(name):
    data = np.load(FIXTURES / f"{name}.npz")
    xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    return (xs if len(xs) > 1 else xs[0]), data["y"]


def test_fixtures_are_present():
    assert len(NAMES) >= 6, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_loads_and_predicts_like_keras(name):
    model = lamina.models.load_model(FIXTURES / f"{name}.keras")
    x, expected = _inputs(name)
    got = model.predict(x, verbose=0)
    assert got.shape == expected.shape
    rel = np.abs(got - expected) / np.maximum(np.abs(expected), 1e-3)
    assert rel.max() <= 1e-5, (name, rel.max())


@pytest.mark.parametrize("name", NAMES)
def test_keras_optimizer_state_is_restored(name):
    model = lamina.models.load_model(FIXTURES / f"{name}.keras")
    with zipfile.ZipFile(FIXTURES / f"{name}.keras") as zf, \
            h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f:
        stored = [f[f"optimizer/vars/{i}"][()] for i in range(len(f["optimizer/vars"]))]
        config = json.loads(zf.read("config.json"))
    opt = model.optimizer
    assert type(opt).__name__ == config["compile_config"]["optimizer"]["class_name"]
    assert int(opt.iterations.numpy()) == int(stored[0]) == 8  # 2 epochs of 4 batches
    variables = opt.variables
    assert len(variables) == len(stored)
    for v, a in zip(variables, stored):
        np.testing.assert_array_equal(v.numpy(), np.asarray(a, v.numpy().dtype))
    assert any(np.abs(a).sum() > 0 for a in stored[2:])  # real moments, not fresh zeros


@pytest.mark.parametrize("name", NAMES)
def test_training_continues_from_a_keras_file(name):
    model = lamina.models.load_model(FIXTURES / f"{name}.keras")
    x, y = _inputs(name)
    y = (np.zeros(len(y), "int64") if model.loss == "sparse_categorical_crossentropy"
         else np.zeros_like(y))
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=6, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 9
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("name", NAMES)
def test_lamina_resave_keeps_keras_layout_and_is_byte_stable(name, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    model = lamina.models.load_model(FIXTURES / f"{name}.keras")
    model.save(tmp_path / "a.keras")
    lamina.models.load_model(tmp_path / "a.keras").save(tmp_path / "b.keras")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()

    def h5_names(path):
        with zipfile.ZipFile(path) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f:
            out = {}
            f.visititems(lambda n, o: out.__setitem__(n, getattr(o, "shape", None)))
            return out

    assert h5_names(tmp_path / "a.keras") == h5_names(FIXTURES / f"{name}.keras")
    x, expected = _inputs(name)
    np.testing.assert_allclose(lamina.models.load_model(tmp_path / "b.keras").predict(x, verbose=0),
                               expected, rtol=1e-5, atol=1e-6)
