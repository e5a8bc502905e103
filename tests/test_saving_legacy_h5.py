"""Keras's legacy HDF5 model files (`model.save("m.h5")`, `load_model("m.h5")`,
`ModelCheckpoint("best.h5")`): interchange with Keras 3 (fixtures written by real Keras, see
tests/fixtures/make_fixtures.py), round trips, and loading as safely as `.keras` files."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import SavingError, UnsafeContentError

h5py = pytest.importorskip("h5py")
FIXTURES = Path(__file__).parent / "fixtures" / "keras"
NAMES = sorted(p.stem for p in FIXTURES.glob("*.h5"))


def _inputs(name):
    data = np.load(FIXTURES / f"{name}.npz")
    xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    return (xs if len(xs) > 1 else xs[0]), data["y"]


def _names(group, attr):
    return [n.decode() if isinstance(n, bytes) else n for n in group.attrs[attr]]


def _layout(path):
    """The file's structure: root attributes, layer names, and per layer (and for the optimizer)
    the shapes of the weights in order. Weight paths differ (Keras 3.15 prefixes the model name)."""
    with h5py.File(path) as f:
        weights = f["model_weights"]
        layers = {name: [weights[name][w].shape for w in _names(weights[name], "weight_names")]
                  for name in _names(weights, "layer_names")}
        opt = f.get("optimizer_weights")
        opt_shapes = [opt[w].shape for w in _names(opt, "weight_names")] if opt is not None else None
        return sorted(f.attrs), sorted(weights.attrs), layers, opt_shapes


def test_keras_h5_fixtures_present():
    assert len(NAMES) >= 6, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_keras_h5_file_loads_predicts_and_keeps_optimizer_state(name):
    model = lamina.models.load_model(FIXTURES / f"{name}.h5")
    x, expected = _inputs(name)
    got = model.predict(x, verbose=0)
    rel = np.abs(got - expected) / np.maximum(np.abs(expected), 1e-3)
    assert rel.max() <= 1e-5, (name, rel.max())
    with h5py.File(FIXTURES / f"{name}.h5") as f:
        group = f["optimizer_weights"]
        stored = [group[n][()] for n in _names(group, "weight_names")]
    assert int(model.optimizer.iterations.numpy()) == int(stored[0]) == 8
    assert len(model.optimizer.variables) == len(stored)
    for v, a in zip(model.optimizer.variables, stored):
        np.testing.assert_array_equal(v.numpy(), np.asarray(a, v.numpy().dtype))
    assert model.compiled and model.loss is not None


@pytest.mark.parametrize("name", NAMES)
def test_lamina_resave_of_keras_h5_has_keras_layout(name, tmp_path):
    model = lamina.models.load_model(FIXTURES / f"{name}.h5")
    with pytest.warns(UserWarning, match="legacy HDF5"):
        model.save(tmp_path / "again.h5")
    assert _layout(tmp_path / "again.h5") == _layout(FIXTURES / f"{name}.h5")
    x, expected = _inputs(name)
    np.testing.assert_allclose(lamina.models.load_model(tmp_path / "again.h5").predict(x, verbose=0),
                               expected, rtol=1e-5, atol=1e-6)


def _trained(seed=0):
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(6, activation="relu"),
                               layers.BatchNormalization(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 4)).astype("float32")
    model.fit(x, rng.integers(0, 3, 32), epochs=2, batch_size=8, verbose=0)
    return model, x


def test_round_trip_keeps_weights_compile_and_optimizer(tmp_path):
    model, x = _trained()
    with pytest.warns(UserWarning, match=r"legacy HDF5 model format.*my_model\.keras"):
        model.save(tmp_path / "m.h5")
    loaded = lamina.models.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(loaded.optimizer).__name__ == "Adam" and loaded.loss == "sparse_categorical_crossentropy"
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    history = loaded.fit(x, np.zeros(32, "int64"), epochs=1, batch_size=8, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"] and int(loaded.optimizer.iterations) == 12
    with h5py.File(tmp_path / "m.h5") as f:
        config = json.loads(f.attrs["model_config"])
        training = json.loads(f.attrs["training_config"])
    assert config["class_name"] == "Sequential"
    assert [e["class_name"] for e in config["config"]["layers"]] == ["InputLayer", "Dense",
                                                                      "BatchNormalization", "Dense"]
    assert all(set(e) == {"class_name", "config"} for e in config["config"]["layers"])  # legacy entries
    assert training["optimizer_config"]["class_name"] == "Adam" and training["metrics"] == ["accuracy"]


def test_save_model_function_and_hdf5_extension(tmp_path):
    model, x = _trained()
    with pytest.warns(UserWarning, match="legacy"):
        lamina.saving.save_model(model, tmp_path / "m.hdf5", include_optimizer=False)
    with h5py.File(tmp_path / "m.hdf5") as f:
        assert "optimizer_weights" not in f and "training_config" not in f.attrs
    with pytest.warns(UserWarning, match="no training configuration"):
        loaded = lamina.saving.load_model(tmp_path / "m.hdf5")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_weights_from_legacy_h5(tmp_path):
    model, x = _trained()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "m.h5")
    fresh, _ = _trained(seed=5)
    fresh.load_weights(tmp_path / "m.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    other = lamina.Sequential([lamina.Input((4,)), layers.Dense(6), layers.Dense(3)])
    with pytest.raises(SavingError, match="weights for 3 layers.*2 layers with weights"):
        other.load_weights(tmp_path / "m.h5")


def test_model_checkpoint_best_h5(tmp_path):
    model, x = _trained()
    path = tmp_path / "best.h5"
    checkpoint = lamina.callbacks.ModelCheckpoint(str(path), save_best_only=True, monitor="loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, np.zeros(32, "int64"), epochs=3, batch_size=8, verbose=0, callbacks=[checkpoint])
    assert h5py.is_hdf5(path)
    best = lamina.models.load_model(path)
    np.testing.assert_allclose(best.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


# --- safety -----------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    model, x = _trained()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "m.h5")
    return tmp_path / "m.h5"


def _dense_weights(f, index=0):
    """(kernel path, bias path) of the index-th Dense layer's weights in the file."""
    group = f["model_weights"]
    name = [n for n in _names(group, "layer_names") if n.startswith("dense")][index]
    kernel, bias = _names(group[name], "weight_names")
    return f"model_weights/{name}/{kernel}", f"model_weights/{name}/{bias}"


def test_not_hdf5(tmp_path):
    (tmp_path / "bad.h5").write_bytes(b"PK\x03\x04 not hdf5")
    with pytest.raises(SavingError, match="not an HDF5 file"):
        lamina.models.load_model(tmp_path / "bad.h5")


def test_external_link_refused(saved):
    with h5py.File(saved, "a") as f:
        kernel, _ = _dense_weights(f)
        del f[kernel]
        f[kernel] = h5py.ExternalLink("/etc/passwd", "/x")
    with pytest.raises(UnsafeContentError, match="ExternalLink"):
        lamina.models.load_model(saved)


def test_soft_link_refused(saved):
    with h5py.File(saved, "a") as f:
        _, bias = _dense_weights(f)
        del f[bias]
        f[bias] = h5py.SoftLink("/" + _dense_weights(f, 1)[1])
    with pytest.raises(UnsafeContentError, match="SoftLink"):
        lamina.models.load_model(saved)


def test_wrong_shape_names_weight_and_shapes(saved):
    with h5py.File(saved, "a") as f:
        kernel, _ = _dense_weights(f)
        del f[kernel]
        f[kernel] = np.zeros((5, 6), "float32")
    with pytest.raises(SavingError, match=r"'dense\w*/kernel' has shape \(5, 6\).*expects \(4, 6\)"):
        lamina.models.load_model(saved)


def test_string_dataset_refused(saved):
    with h5py.File(saved, "a") as f:
        _, bias = _dense_weights(f)
        del f[bias]
        f[bias] = np.array([b"a"] * 6)
    with pytest.raises(UnsafeContentError, match="only numbers are read"):
        lamina.models.load_model(saved)


def test_huge_layer_in_config_fails_before_allocating(saved):
    with h5py.File(saved, "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 10**9
        f.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(SavingError):
        lamina.models.load_model(saved)


def test_lambda_layer_refused_in_safe_mode(tmp_path):
    model = lamina.Sequential([lamina.Input((2,)), layers.Lambda(lambda t: t * 2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "lambda.h5")
    with pytest.raises(SavingError, match="Lambda"):
        lamina.models.load_model(tmp_path / "lambda.h5")


def test_unknown_class_is_not_imported(saved):
    with h5py.File(saved, "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["class_name"] = "os.system"
        config["config"]["layers"][1]["module"] = "os"
        f.attrs["model_config"] = json.dumps(config).encode()
    with pytest.raises(SavingError):
        lamina.models.load_model(saved)


def test_config_not_json(saved):
    with h5py.File(saved, "a") as f:
        f.attrs["model_config"] = b"{not json"
    with pytest.raises(SavingError, match="not valid JSON"):
        lamina.models.load_model(saved)


def test_size_limit_applies(saved, monkeypatch):
    lamina.saving.set_size_limit(max_bytes=1000)
    try:
        with pytest.raises(SavingError):
            lamina.models.load_model(saved)
    finally:
        lamina.saving.set_size_limit(max_bytes=4 << 30)
