"""Loading never imports or runs code named in a file (issue 11 §1): one canary test per
entry point that turns a string into an object. Each payload names a canary module whose
import, class or function would write a marker file and print a marker, or a standard
library callable (`tempfile.mkdtemp` creates a folder, `os.system`, `exec`). The load must
fail with a ValueError-family error naming the file and the reason, and leave no trace —
also with `safe_mode=False` (lamina never imports modules named in a file). The same cases,
with memory bombs and fuzzing, run in a memory-limited subprocess in test_saving_hostile.py.
"""
import json
import sys
import tempfile

import numpy as np
import pytest

import lamina
from lamina import layers, registry
from lamina.codec import serialization
from tests.helpers import hostile_files as hf

_REASON = r"never imports|unknown|Lambda|lambda|refus|not a |no tensor input|must be|expected|cannot"


@pytest.fixture(scope="module")
def base():
    return hf.members_of(hf.base_model(), "npz")


@pytest.fixture
def canary(tmp_path, monkeypatch, capsys):
    """The canary module importable, its marker path set, the temp folder watched; after the
    test: no marker, the module never imported, no folder created, no marker printed."""
    folder = tmp_path / "modules"
    folder.mkdir()
    hf.write_canary_module(folder)
    monkeypatch.syspath_prepend(str(folder))
    marker = tmp_path / "marker"
    monkeypatch.setenv("LAMINA_CANARY_MARKER", str(marker))
    watched = tmp_path / "tmp"
    watched.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(watched))
    yield marker
    assert not marker.exists(), "code from the file ran"
    assert hf.CANARY_MODULE not in sys.modules, "a module named in the file was imported"
    assert not list(watched.iterdir()), "tempfile.mkdtemp ran"
    assert hf.PRINT_MARKER not in capsys.readouterr().out


def test_the_canary_fires_when_imported(tmp_path, monkeypatch):
    """The canary is live: importing it (what a vulnerable loader does) writes the marker."""
    hf.write_canary_module(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    marker = tmp_path / "marker"
    monkeypatch.setenv("LAMINA_CANARY_MARKER", str(marker))
    __import__(hf.CANARY_MODULE)
    try:
        assert marker.read_text() == "imported"
    finally:
        sys.modules.pop(hf.CANARY_MODULE)


def test_every_entry_point_is_in_the_base_model(base):
    config = json.loads(base["config.json"])
    found = {hf.ENTRY_POINTS[e]: hf._get(config, hf.ENTRY_POINTS[e]) for e in hf.ENTRY_POINTS}
    assert found[("config", "layers", 4)]["class_name"] == "Multiply"
    assert found[("compile_config", "optimizer", "config", "learning_rate")]["class_name"] == "ExponentialDecay"
    assert found[("config", "layers", 2, "config", "cell")]["class_name"] == "SimpleRNNCell"
    assert found[("compile_config", "metrics", 0)] == "mae"


@pytest.mark.parametrize("payload", list(hf.payloads()))
@pytest.mark.parametrize("entry", list(hf.ENTRY_POINTS))
def test_file_entry_point_never_runs_code(entry, payload, base, canary, tmp_path):
    config = hf.set_path(json.loads(base["config.json"]), hf.ENTRY_POINTS[entry], hf.payloads()[payload])
    path = tmp_path / "evil.keras"
    path.write_bytes(hf.with_config(base, config))
    for safe_mode in (True, False):
        with pytest.raises(ValueError, match=_REASON) as err:
            lamina.models.load_model(path, safe_mode=safe_mode)
        assert str(path) in str(err.value)


def test_the_reported_learning_rate_exploit(base, canary, tmp_path):
    """Issue 11: `{"module": "os", "class_name": "abort"}` as the learning rate (no
    "config") was imported and then called every step."""
    config = json.loads(base["config.json"])
    config["compile_config"]["optimizer"]["config"]["learning_rate"] = {"module": "os", "class_name": "abort"}
    path = tmp_path / "abort.keras"
    path.write_bytes(hf.with_config(base, config))
    with pytest.raises(ValueError, match="unknown schedule 'abort'.*never imports") as err:
        lamina.models.load_model(path)
    assert str(path) in str(err.value)


def test_a_learning_rate_from_a_file_is_a_number_or_a_schedule(canary):
    bad = [{"module": "tempfile", "class_name": "mkdtemp"}, "tempfile.mkdtemp", [0.1],
           {"module": "keras.activations", "class_name": "function", "config": "relu"},
           {"module": "keras.losses", "class_name": "MeanSquaredError", "config": {}}]
    for lr in bad:
        with pytest.raises(ValueError, match="learning_rate|schedule|LearningRateSchedule"):
            lamina.optimizers.Adam.from_config({"learning_rate": lr})
    lr = lamina.optimizers.Adam.from_config({"learning_rate": 0.25}).learning_rate
    assert float(lr) == 0.25


_DESERIALIZERS = {
    "deserialize_keras_object": serialization.deserialize_keras_object,
    "model_from_json": lambda c: lamina.models.model_from_json(json.dumps(c)),
    "registry.deserialize": registry.deserialize,
    "optimizers.deserialize": lamina.optimizers.deserialize,
    "schedules.deserialize": lamina.optimizers.schedules.deserialize,
    "losses.deserialize": lamina.losses.deserialize,
    "losses.get": lamina.losses.get,
    "metrics.deserialize": lamina.metrics.deserialize,
    "metrics.get": lamina.metrics.get,
    "activations.deserialize": lamina.activations.deserialize,
    "activations.get": lamina.activations.get,
    "initializers.deserialize": lamina.initializers.deserialize,
    "regularizers.deserialize": lamina.regularizers.deserialize,
    "constraints.deserialize": lamina.constraints.deserialize,
    "Bidirectional.from_config": lambda c: layers.Bidirectional.from_config({"layer": c}),
    "TimeDistributed.from_config": lambda c: layers.TimeDistributed.from_config({"layer": c}),
    "RNN.from_config": lambda c: layers.RNN.from_config({"cell": c}),
    "StackedRNNCells.from_config": lambda c: layers.StackedRNNCells.from_config({"cells": [c]}),
    "Dense(activation=)": lambda c: layers.Dense(1, activation=c),
    "Dense(kernel_initializer=)": lambda c: layers.Dense(1, kernel_initializer=c),
}
_CALLING_PAYLOADS = [p for p in hf.payloads() if p not in ("tempfile.mkdtemp",)]


@pytest.mark.parametrize("payload", list(hf.payloads()))
@pytest.mark.parametrize("entry", list(_DESERIALIZERS))
def test_api_entry_point_never_imports(entry, payload, canary):
    """The public deserializers (the same codec: `lamina.registry`) refuse the payloads."""
    value = hf.payloads()[payload]
    try:
        out = _DESERIALIZERS[entry](value)
    except (ValueError, TypeError, NotImplementedError) as e:
        assert not isinstance(e, (TypeError, NotImplementedError)) or "expect" in str(e) or "serialized" in str(e)
        return
    # a dict with no 'config' may be read back as plain data; it must stay inert data
    assert isinstance(out, dict) and out == value, (entry, payload, out)


def test_registered_and_custom_objects_still_load(tmp_path):
    """What safe mode allows: lamina's registered built-ins, objects registered with
    register_keras_serializable, and custom_objects / custom_object_scope."""

    @lamina.saving.register_keras_serializable(package="canary_test")
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2.0

    class Thrice(layers.Layer):
        def call(self, x):
            return x * 3.0

    model = lamina.Sequential([layers.Input((2,)), Twice(), Thrice(), layers.Dense(1)])
    path = tmp_path / "custom.keras"
    model.save(path)
    with pytest.raises(ValueError, match="unknown class 'Thrice'"):
        lamina.models.load_model(path)
    loaded = lamina.models.load_model(path, custom_objects={"Thrice": Thrice})
    assert [type(l).__name__ for l in loaded.layers[:2]] == ["Twice", "Thrice"]
    with lamina.saving.custom_object_scope({"Thrice": Thrice}):
        again = lamina.models.load_model(path)
    x = np.array([[1.0, -2.0]])
    assert again.predict(x, verbose=0).tolist() == model.predict(x, verbose=0).tolist()
