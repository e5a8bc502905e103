"""Saving and loading: `.keras` round trips, weights files, configs, custom objects,
optimizer state, resuming `fit`, and the errors for bad paths and other architectures."""
import json
import os
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import weights_store
from lamina.codec.errors import ArchitectureMismatchError, SavingError, UnsafeContentError


def _data(n=48, d=13, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ rng.normal(size=(d, 1)) + 0.5).astype("float32")
    return x, y


def _mlp(d=13, units=8, optimizer="adam"):
    model = lamina.Sequential([layers.Input((d,)), layers.Dense(units, activation="relu"),
                               layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def _functional():
    a = layers.Input((4,), name="a")
    b = layers.Input((3, 2), name="b")
    h = layers.Dense(5, activation="tanh")(a)
    g = layers.Dense(5)(layers.Flatten()(b))
    s = layers.Activation("relu")(layers.Add()([h, g]))
    c = layers.Concatenate()([s, layers.Reshape((6,))(b)])
    out = layers.Dense(2)(layers.Dropout(0.2)(c))
    model = lamina.Model([a, b], out)
    model.compile(optimizer="rmsprop", loss="mse")
    return model


def _weights_equal(m1, m2):
    w1, w2 = m1.get_weights(), m2.get_weights()
    return len(w1) == len(w2) and all(np.array_equal(a, b) for a, b in zip(w1, w2))


@pytest.mark.parametrize("fmt", ["h5", "npz"])
def test_sequential_round_trip_keeps_predictions_and_optimizer_state(tmp_path, fmt):
    x, y = _data()
    model = _mlp()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path, weights_format=fmt)
    names = zipfile.ZipFile(path).namelist()
    assert names == ["metadata.json", "config.json", f"model.weights.{fmt}",
                     "lamina_random_state.json"]  # the last one: lamina only, Keras ignores it
    loaded = lamina.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
    assert int(loaded.optimizer.iterations.numpy()) == 6
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    meta = json.loads(zipfile.ZipFile(path).read("metadata.json"))
    assert set(meta) >= {"keras_version", "date_saved"}


def test_functional_round_trip_two_inputs(tmp_path):
    model = _functional()
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3, 2)).astype("float32")
    model.fit([xa, xb], rng.normal(size=(8, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "f.keras")
    loaded = lamina.models.load_model(tmp_path / "f.keras")
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers] or \
        sorted(l.name for l in loaded.layers) == sorted(l.name for l in model.layers)
    np.testing.assert_array_equal(loaded.predict([xa, xb], verbose=0),
                                  model.predict([xa, xb], verbose=0))
    assert loaded.input_names == ["a", "b"]


def test_resave_is_byte_stable(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    model = _functional()
    model.save(tmp_path / "a.keras")
    lamina.models.load_model(tmp_path / "a.keras").save(tmp_path / "b.keras")
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()
    meta = json.loads(zipfile.ZipFile(tmp_path / "a.keras").read("metadata.json"))
    assert meta["date_saved"] == "2023-11-14@22:13:20"


def test_weights_files_round_trip_and_json(tmp_path):
    x, y = _data()
    model = _mlp()
    model.fit(x, y, epochs=1, verbose=0)
    clone = lamina.models.model_from_json(model.to_json())
    assert not _weights_equal(clone, model)
    for ext in (".weights.h5", ".weights.npz"):
        model.save_weights(tmp_path / f"w{ext}")
        fresh = lamina.models.model_from_json(model.to_json())
        fresh.load_weights(tmp_path / f"w{ext}")
        assert _weights_equal(fresh, model)
    fresh = lamina.models.model_from_json(model.to_json())
    model.save(tmp_path / "m.keras")
    fresh.load_weights(tmp_path / "m.keras")  # the weights of a whole-model file
    assert _weights_equal(fresh, model)


def test_weights_h5_has_keras_layout(tmp_path):
    h5py = pytest.importorskip("h5py")
    model = _mlp()
    model.fit(*_data(), epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        names = []
        f.visit(names.append)
        assert "layers/dense/vars/0" in names and "layers/dense_1/vars/1" in names
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].kernel.numpy())
        assert f["layers/dense"]["vars"].attrs["name"] == model.layers[0].name
        assert f["optimizer/vars"].attrs["name"] == "adam"
        assert len(f["optimizer/vars"]) == len(model.optimizer.variables) == 2 + 2 * 4
        assert f["optimizer/vars/0"][()] == model.optimizer.iterations.numpy()


def test_get_config_from_config_and_functional_config_format():
    model = _functional()
    config = model.get_config()
    assert set(config) == {"name", "trainable", "layers", "input_layers", "output_layers"}
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    add = next(l for l in config["layers"] if l["class_name"] == "Add")
    history = [a["config"]["keras_history"] for a in add["inbound_nodes"][0]["args"][0]]
    assert [h[1:] for h in history] == [[0, 0], [0, 0]]
    rebuilt = lamina.Model.from_config(config)
    assert [type(l).__name__ for l in rebuilt.layers].count("Dense") == 3
    assert rebuilt.count_params() == model.count_params()


def test_shared_layer_nodes_round_trip(tmp_path):
    inp = layers.Input((3,))
    shared = layers.Dense(3, activation="tanh")
    out = layers.Dense(1)(shared(shared(inp)))
    model = lamina.Model(inp, out)
    config = model.get_config()
    entry = next(l for l in config["layers"] if l["name"] == shared.name)
    assert len(entry["inbound_nodes"]) == 2
    assert entry["inbound_nodes"][1]["args"][0]["config"]["keras_history"] == [shared.name, 0, 0]
    model.save(tmp_path / "s.keras")
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    loaded = lamina.models.load_model(tmp_path / "s.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_nested_sequential_inside_functional(tmp_path):
    block = lamina.Sequential([layers.Input((4,)), layers.Dense(3, activation="relu")], name="block")
    inp = layers.Input((4,))
    model = lamina.Model(inp, layers.Dense(1)(block(inp)))
    model.save(tmp_path / "n.keras")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    loaded = lamina.models.load_model(tmp_path / "n.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


# --- custom objects ----------------------------------------------------------------------

@lamina.saving.register_keras_serializable(package="tests")
class ScaleLayer(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Unregistered(ScaleLayer):
    pass


def test_registered_custom_layer_round_trip(tmp_path):
    model = lamina.Sequential([layers.Input((3,)), ScaleLayer(3.0), layers.Dense(1)])
    entry = json.loads(model.to_json())["config"]["layers"][1]
    assert entry["registered_name"] == "tests>ScaleLayer" and entry["module"] == __name__
    model.save(tmp_path / "c.keras")
    loaded = lamina.models.load_model(tmp_path / "c.keras")
    assert isinstance(loaded.layers[0], ScaleLayer) and loaded.layers[0].factor == 3.0
    assert lamina.saving.get_registered_object("tests>ScaleLayer") is ScaleLayer
    assert lamina.saving.get_registered_name(ScaleLayer) == "tests>ScaleLayer"


def test_unknown_class_is_refused_with_instructions_then_custom_objects_work(tmp_path):
    model = lamina.Sequential([layers.Input((3,)), Unregistered(), layers.Dense(1)])
    model.save(tmp_path / "u.keras")
    with pytest.raises(SavingError, match="custom_objects=.*register_keras_serializable") as err:
        lamina.models.load_model(tmp_path / "u.keras")
    assert "u.keras" in str(err.value) and "Unregistered" in str(err.value)
    loaded = lamina.models.load_model(tmp_path / "u.keras", custom_objects={"Unregistered": Unregistered})
    assert type(loaded.layers[0]) is Unregistered
    with lamina.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert type(lamina.models.load_model(tmp_path / "u.keras").layers[0]) is Unregistered


def double(x):
    return x * 2.0


def test_lambda_refused_by_default_and_loaded_with_opt_in(tmp_path):
    model = lamina.Sequential([layers.Input((3,)), layers.Lambda(double), layers.Dense(1)])
    model.save(tmp_path / "l.keras")
    with pytest.raises(UnsafeContentError, match="safe_mode=False"):
        lamina.models.load_model(tmp_path / "l.keras")
    with pytest.raises(SavingError, match="custom_objects"):
        lamina.models.load_model(tmp_path / "l.keras", safe_mode=False)
    loaded = lamina.models.load_model(tmp_path / "l.keras", safe_mode=False,
                                      custom_objects={"double": double})
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_lambda_bytecode_is_never_run(tmp_path):
    config = {"module": "keras.layers", "class_name": "Lambda", "config": {
        "name": "evil", "function": {"class_name": "__lambda__",
                                     "config": {"code": "YQ==", "defaults": None, "closure": None}},
        "arguments": {}}, "registered_name": None}
    with pytest.raises(UnsafeContentError):
        lamina.saving.deserialize_keras_object(config)
    with pytest.raises(UnsafeContentError, match="never runs code"):
        lamina.saving.deserialize_keras_object(config, safe_mode=False)


def test_config_naming_other_modules_never_imports_them(tmp_path):
    config = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}
    with pytest.raises(SavingError, match="never imports"):
        lamina.saving.deserialize_keras_object(config, safe_mode=False)
    fn = {"module": "os", "class_name": "function", "config": "system", "registered_name": None}
    with pytest.raises(SavingError, match="never imports"):
        lamina.saving.deserialize_keras_object(fn)
    assert lamina.saving.deserialize_keras_object(
        {"module": "keras.activations", "class_name": "function", "config": "relu",
         "registered_name": None}) is lamina.activations.relu


def test_register_refuses_class_without_get_config():
    with pytest.raises(ValueError, match="get_config"):
        lamina.saving.register_keras_serializable("tests")(type("NoConfig", (), {}))


# --- optimizer state and resuming --------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "nadam"])
def test_fit_resumes_exactly_after_save_and_load(tmp_path, optimizer):
    x, y = _data(n=40)

    def make():
        opt = lamina.optimizers.SGD(0.01, momentum=0.9) if optimizer == "sgd_momentum" else optimizer
        return _mlp(optimizer=opt)

    lamina.utils.set_random_seed(7)
    straight = make()
    h_all = straight.fit(x, y, epochs=6, batch_size=8, verbose=0).history
    lamina.utils.set_random_seed(7)
    first = make()
    h1 = first.fit(x, y, epochs=3, batch_size=8, verbose=0).history
    first.save(tmp_path / "half.keras")
    resumed = lamina.models.load_model(tmp_path / "half.keras")  # keeps the random stream
    h2 = resumed.fit(x, y, epochs=6, initial_epoch=3, batch_size=8, verbose=0).history
    assert _weights_equal(resumed, straight)
    for key in h_all:
        assert h1[key] + h2[key] == h_all[key], key


def test_optimizer_state_follows_keras_variable_order(tmp_path):
    """Saved slots are ordered like Keras's trainable variables even when lamina built the
    optimizer in another order; loading maps them back."""
    h5py = pytest.importorskip("h5py")
    a = layers.Input((2,), name="in_a")
    deep = layers.Dense(3, name="deep_2")(layers.Dense(4, name="deep_1")(a))
    b = layers.Input((5,), name="in_b")
    wide = layers.Dense(6, name="wide")(b)
    out = layers.Dense(1, name="out")(layers.Concatenate()([deep, wide]))
    model = lamina.Model([a, b], out)
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(8, 2)), rng.normal(size=(8, 5))]
    model.fit(xs, rng.normal(size=(8, 1)), epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.weights.h5")
    from lamina.saving.state import keras_trainable_order

    order = keras_trainable_order(model)
    with h5py.File(tmp_path / "w.weights.h5") as f:
        stored = [f[f"optimizer/vars/{i}"][()] for i in range(len(f["optimizer/vars"]))]
    slots = {v.name: v.numpy() for v in model.optimizer.variables}
    for i, v in enumerate(order):
        expected = slots[f"{v.path.replace('/', '_')}_momentum"]
        np.testing.assert_array_equal(stored[2 + 2 * i], expected)
    clone = lamina.models.model_from_json(model.to_json())
    clone.compile("adam", "mse")
    clone.load_weights(tmp_path / "w.weights.h5")
    got = {v.name: v.numpy() for v in clone.optimizer.variables}
    for name, value in slots.items():
        np.testing.assert_array_equal(got[name.replace(model.optimizer.name, clone.optimizer.name, 1)]
                                      if name not in got else got[name], value)


# --- no h5py ------------------------------------------------------------------------------

def test_without_h5py_npz_is_written_and_h5_asks_for_the_extra(tmp_path, monkeypatch):
    monkeypatch.setattr(weights_store._H5, "module", None)
    model = _mlp()
    model.save(tmp_path / "m.keras")
    assert "model.weights.npz" in zipfile.ZipFile(tmp_path / "m.keras").namelist()
    loaded = lamina.models.load_model(tmp_path / "m.keras")
    assert _weights_equal(loaded, model)
    with pytest.raises(ImportError, match=r"lamina\[h5\]"):
        model.save_weights(tmp_path / "w.weights.h5")


# --- bad input -----------------------------------------------------------------------------

def test_missing_folder_and_unknown_extension(tmp_path):
    model = _mlp()
    with pytest.raises(FileNotFoundError, match="no_such_dir"):
        model.save(tmp_path / "no_such_dir" / "m.keras")
    with pytest.raises(FileNotFoundError, match="no_such_dir"):
        model.save_weights(tmp_path / "no_such_dir" / "w.weights.h5")
    for bad in ("m.pt", "m"):  # "m.h5" is the legacy HDF5 format (test_saving_legacy_h5.py)
        with pytest.raises(ValueError, match=r"\.keras.*\.weights\.h5.*\.weights\.npz"):
            model.save(tmp_path / bad)
    with pytest.raises(ValueError, match=r"\.keras.*\.weights\.h5.*\.weights\.npz"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"\.keras.*\.weights\.h5.*\.weights\.npz"):
        lamina.models.load_model(tmp_path / "m.zip")
    with pytest.raises(ValueError, match="save_weights"):
        model.save(tmp_path / "w.weights.h5")
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("ext", [".weights.h5", ".weights.npz", ".keras"])
def test_load_weights_into_other_architecture_names_first_layer(tmp_path, ext):
    model = _mlp(units=8)
    path = tmp_path / f"w{ext}"
    model.save(path) if ext == ".keras" else model.save_weights(path)
    other = _mlp(units=16)
    before = other.get_weights()
    with pytest.raises(ArchitectureMismatchError) as err:
        other.load_weights(path)
    message = str(err.value)
    assert other.layers[0].name in message and "(13, 16)" in message and "(13, 8)" in message
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))  # untouched
    deeper = lamina.Sequential([layers.Input((13,)), layers.Dense(8), layers.Dense(4), layers.Dense(1)])
    with pytest.raises(ArchitectureMismatchError, match="different architecture|another architecture"):
        deeper.load_weights(path)


def test_overwrite_false_and_unbuilt_model(tmp_path):
    model = _mlp()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    unbuilt = lamina.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        unbuilt.load_weights(tmp_path / "m.keras")
