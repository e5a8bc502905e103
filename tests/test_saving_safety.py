"""Safe loading: malformed or hostile files give a clean `SavingError` (a ValueError naming
the file and the problem) or load; nothing is unpickled, imported or run. Ends with a fuzz
test that mutates valid files a few thousand times."""
import io
import json
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lamina
from lamina import layers
from lamina.saving import files, saving_api
from lamina.codec.errors import (
    ArchitectureMismatchError,
    CorruptFileError,
    SavingError,
    UnsafeContentError,
)


def _model():
    a = layers.Input((3,), name="a")
    b = layers.Input((2,), name="b")
    h = layers.Dense(2, activation="relu")(a)
    out = layers.Dense(1)(layers.Dropout(0.1)(layers.Concatenate()([h, b])))
    model = lamina.Model([a, b], out)
    model.compile(lamina.optimizers.SGD(0.1, momentum=0.5), "mse", metrics=["mae"])
    model.fit([np.ones((4, 3)), np.ones((4, 2))], np.ones((4, 1)), verbose=0)
    return model


@pytest.fixture(scope="module")
def valid():
    """{format: (bytes of a valid .keras file, its members)}"""
    model = _model()
    out = {}
    for fmt in ("h5", "npz"):
        if fmt == "h5":
            pytest.importorskip("h5py")
        data = saving_api.model_to_bytes(model, fmt)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            out[fmt] = (data, {n: zf.read(n) for n in zf.namelist()})
    return out


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _load(tmp_path, data, name="m.keras", **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return lamina.models.load_model(path, **kwargs)


def _raises(tmp_path, data, error, match):
    with pytest.raises(error, match=match) as err:
        _load(tmp_path, data)
    assert "m.keras" in str(err.value)
    return err.value


def test_valid_file_loads(tmp_path, valid):
    for data, _ in valid.values():
        assert _load(tmp_path, data).count_params() == 3 * 2 + 2 + 4 * 1 + 1


def test_truncated_zip(tmp_path, valid):
    data, _ = valid["npz"]
    for cut in (10, len(data) // 2, len(data) - 5):
        _raises(tmp_path, data[:cut], CorruptFileError, "damaged or truncated|no 'config.json'|truncated")


def test_wrong_magic_and_hdf5_instead_of_zip(tmp_path, valid):
    _raises(tmp_path, b"not a zip at all", CorruptFileError, "wrong magic")
    _raises(tmp_path, b"", CorruptFileError, "wrong magic")
    _raises(tmp_path, b"\x89HDF\r\n\x1a\n" + b"\0" * 100, CorruptFileError, "HDF5 file")


@pytest.mark.parametrize("missing", ["config.json", "model.weights"])
def test_missing_member(tmp_path, valid, missing):
    _, members = valid["npz"]
    kept = {k: v for k, v in members.items() if not k.startswith(missing)}
    _raises(tmp_path, _zip(kept), CorruptFileError, "has no")


@pytest.mark.parametrize("text", ["[1, 2, 3]", '"model"', "null", "{not json", "\xff\xfe"])
def test_config_json_not_an_object(tmp_path, valid, text):
    _, members = valid["npz"]
    data = _zip({**members, "config.json": text.encode("latin-1")})
    _raises(tmp_path, data, CorruptFileError, "config.json")


def test_shapes_that_do_not_match_the_architecture(tmp_path, valid):
    _, members = valid["npz"]
    config = json.loads(members["config.json"])
    dense = next(l for l in config["config"]["layers"] if l["class_name"] == "Dense")
    dense["config"]["units"] = 7
    data = _zip({**members, "config.json": json.dumps(config)})
    err = _raises(tmp_path, data, ArchitectureMismatchError, dense["name"])
    assert "(3, 7)" in str(err) and "(3, 2)" in str(err)


@pytest.mark.parametrize("fmt", ["h5", "npz"])
def test_huge_layers_in_the_config_fail_before_allocating(tmp_path, valid, fmt):
    """Dense(10**11) would need 1.2 TB: refused by the weight budget (the bytes the file's
    weights hold plus 64 MiB), before any allocation, with the layer and shape named."""
    _, members = valid[fmt]
    config = json.loads(members["config.json"])
    dense = next(l for l in config["config"]["layers"] if l["class_name"] == "Dense")
    dense["config"]["units"] = 10**11
    data = _zip({**members, "config.json": json.dumps(config)})
    err = _raises(tmp_path, data, SavingError, "more than the weights stored")
    assert f"(3, {10**11})" in str(err) and dense["config"]["name"] in str(err)
    # just above the slack (64 MiB of extra kernel) is refused too
    dense["config"]["units"] = (64 << 20) // (4 * 3) + 100
    _raises(tmp_path, _zip({**members, "config.json": json.dumps(config)}), SavingError,
            "more than the weights stored")


def test_nan_weights_warn(tmp_path):
    model = lamina.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.layers[0].kernel.assign(np.array([[np.nan], [1.0]], "float32"))
    model.save(tmp_path / "nan.keras")
    with pytest.warns(RuntimeWarning, match="NaN.*learning rate"):
        loaded = lamina.models.load_model(tmp_path / "nan.keras")
    assert np.isnan(loaded.layers[0].kernel.numpy()[0, 0])


def test_zip_bomb_is_refused(tmp_path, valid, monkeypatch):
    _, members = valid["npz"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr("assets/padding.bin", b"\0" * (8 << 20))  # 8 MiB that deflate to ~8 KiB
    data = buffer.getvalue()
    assert len(data) < 100_000
    monkeypatch.setattr(files._Limits, "archive_bytes", 4 << 20)
    _raises(tmp_path, data, UnsafeContentError, "zip bomb|limit")
    monkeypatch.setattr(files._Limits, "config_bytes", 100)
    monkeypatch.setattr(files._Limits, "archive_bytes", 64 << 20)
    _raises(tmp_path, data, UnsafeContentError, "config.json.*limit")


def test_dotdot_paths_inside_the_zip_are_ignored(tmp_path, valid):
    _, members = valid["npz"]
    evil = {"../config.json": b"[]", "../../outside.txt": b"x", "/abs/config.json": b"[]",
            "dir\\..\\config.json": b"[]"}
    data = _zip({**evil, **members})
    model = _load(tmp_path, data)
    assert model.count_params() == 13
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras"]  # nothing extracted


def test_duplicate_member_is_refused(tmp_path, valid):
    _, members = valid["npz"]
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(buffer, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
            zf.writestr("config.json", b"{}")
    _raises(tmp_path, buffer.getvalue(), CorruptFileError, "twice")


def test_pickled_npz_is_never_unpickled(tmp_path, valid):
    _, members = valid["npz"]
    payload = io.BytesIO()
    np.savez(payload, **{"layers/dense": np.array({"0": np.ones(2)}, dtype=object)})
    data = _zip({**{k: v for k, v in members.items() if not k.endswith(".npz")},
                 "model.weights.npz": payload.getvalue()})
    _raises(tmp_path, data, UnsafeContentError, "pickle")


def test_object_arrays_in_lamina_npz_layout_are_refused(tmp_path, valid):
    _, members = valid["npz"]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        arr = io.BytesIO()
        np.lib.format.write_array(arr, np.array([{"x": 1}], dtype=object), allow_pickle=True)
        zf.writestr("layers/dense/vars/0.npy", arr.getvalue())
        ok = io.BytesIO()
        np.lib.format.write_array(ok, np.zeros(2, "float32"))
        zf.writestr("layers/dense/vars/1.npy", ok.getvalue())
    data = _zip({**members, "model.weights.npz": inner.getvalue()})
    _raises(tmp_path, data, UnsafeContentError, "only numbers")


def test_hdf5_links_to_other_files_are_refused(tmp_path, valid):
    h5py = pytest.importorskip("h5py")
    _, members = valid["h5"]
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.arange(6, dtype="float32").reshape(3, 2)
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        group = f["layers/dense/vars"]
        del group["0"]
        group["0"] = h5py.ExternalLink(str(secret), "/data")
    data = _zip({**members, "model.weights.h5": buffer.getvalue()})
    _raises(tmp_path, data, UnsafeContentError, "ExternalLink")


def test_numpy_config_values_must_be_numbers():
    config = {"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}}
    with pytest.raises(UnsafeContentError, match="only numbers"):
        lamina.saving.deserialize_keras_object(config)


def test_weights_file_errors_name_the_file(tmp_path):
    model = lamina.Sequential([layers.Input((2,)), layers.Dense(1)])
    (tmp_path / "w.weights.npz").write_bytes(b"garbage")
    with pytest.raises(CorruptFileError, match="w.weights.npz.*magic"):
        model.load_weights(tmp_path / "w.weights.npz")
    (tmp_path / "w.weights.h5").write_bytes(b"PK\x03\x04garbage")
    if files and pytest.importorskip("h5py"):
        with pytest.raises(CorruptFileError, match="w.weights.h5.*HDF5"):
            model.load_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileNotFoundError, match="missing.keras"):
        lamina.models.load_model(tmp_path / "missing.keras")


# --- fuzzing -------------------------------------------------------------------------------

def _check_load(data):
    """A mutated file must load or raise a SavingError naming it; nothing else."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = saving_api.model_from_bytes(data, "fuzzed.keras")
        assert isinstance(model, layers.Layer)
    except SavingError as e:
        assert "fuzzed.keras" in str(e)


_mutation = st.tuples(st.sampled_from(["set", "cut", "insert", "copy"]), st.integers(0, 2**31),
                      st.integers(0, 255), st.binary(min_size=1, max_size=8))


def _mutate(data, mutations):
    data = bytearray(data)
    for op, pos, byte, chunk in mutations:
        i = pos % (len(data) + 1)
        if op == "set" and data:
            data[i % len(data)] = byte
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = chunk
        elif op == "copy" and data:
            j = (pos // 7) % len(data)
            data[i:i + len(chunk)] = data[j:j + len(chunk)]
    return bytes(data)


_FUZZ = {"derandomize": True, "deadline": None, "database": None,
         "suppress_health_check": list(HealthCheck)}


@pytest.mark.parametrize("fmt", ["h5", "npz"])
@pytest.mark.parametrize("target", ["whole file", "config.json", "model.weights"])
def test_fuzz_mutated_files_give_clean_errors(valid, fmt, target):
    data, members = valid[fmt]
    count = {"whole file": 300, "config.json": 300, "model.weights": 600}[target]

    @settings(max_examples=count, **_FUZZ)
    @given(st.lists(_mutation, min_size=1, max_size=4))
    def run(mutations):
        if target == "whole file":
            _check_load(_mutate(data, mutations))
        else:
            name = next(n for n in members if n.startswith(target))
            _check_load(_zip({**members, name: _mutate(members[name], mutations)}))

    run()


_JSON_VALUES = st.sampled_from([
    None, True, False, 0, -1, 1, 3, 1000, 2**63, 1.5, -0.0, "", "relu", "Dense", "function",
    "__numpy__", "__lambda__", "keras.layers", "os", [], [None], [1, 2], {}, ["a", 0, 0],
    ["dense", 5, 0], ["a", 0, 9], {"class_name": "Dense", "config": {}},
    {"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}},
    {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "print"}},
    {"module": "builtins", "class_name": "function", "config": "eval", "registered_name": None},
    {"module": "os", "class_name": "system", "config": {}, "registered_name": None},
])


def _json_paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _json_paths(child, prefix + (key,))


def test_fuzz_structurally_mutated_configs(valid):
    """Values anywhere in config.json replaced or removed: deeper than byte flips."""
    _, members = valid["npz"]
    config = json.loads(members["config.json"])
    paths = list(_json_paths(config))[1:]

    @settings(max_examples=700, **_FUZZ)
    @given(st.lists(st.tuples(st.integers(0, len(paths) - 1), st.booleans(), _JSON_VALUES),
                    min_size=1, max_size=3))
    def run(edits):
        mutated = json.loads(members["config.json"])
        for index, remove, value in edits:
            parent, key = mutated, None
            try:
                for key in paths[index][:-1]:
                    parent = parent[key]
                key = paths[index][-1]
                if remove and isinstance(parent, dict):
                    parent.pop(key, None)
                else:
                    parent[key] = value
            except (KeyError, IndexError, TypeError):
                continue  # an earlier edit removed this path
        _check_load(_zip({**members, "config.json": json.dumps(mutated)}))

    run()
