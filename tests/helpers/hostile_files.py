"""Hostile `.keras` files, crafted at run time (nothing binary is committed).

Three families, used by tests/test_saving_canary.py (in process) and
tests/test_saving_hostile.py (in a memory-limited subprocess, see hostile_runner.py):

- canaries: every place of a model's config that names an object (the model, each layer,
  nested wrapped layers and RNN cells, op nodes, activations, initializers, regularizers,
  constraints, the compiled optimizer, its learning-rate schedule, the loss, the metrics)
  replaced by payloads naming code: a canary module whose import, class or function would
  write a marker file and print a marker, and standard-library callables (`os.system`,
  `tempfile.mkdtemp`, `builtins.exec`);
- memory bombs: declared shapes, constant op arguments, HDF5 fill-value datasets and zip
  members that would take gigabytes if trusted;
- fuzz: seeded structural and byte mutations of a valid file.
"""
import copy
import io
import json
import random
import zipfile

import numpy as np

CANARY_MODULE = "lamina_canary_payload"
PRINT_MARKER = "CANARY-CODE-RAN"

CANARY_SOURCE = '''
import os, pathlib
pathlib.Path(os.environ["LAMINA_CANARY_MARKER"]).write_text("imported")
print("{marker}")


def _fire(*args, **kwargs):
    pathlib.Path(os.environ["LAMINA_CANARY_MARKER"]).write_text("called")
    print("{marker}")
    return 0.1


class Boom:
    def __init__(self, *args, **kwargs):
        _fire()

    @classmethod
    def from_config(cls, config=None, **kwargs):
        return cls()

    def get_config(self):
        return {{}}

    def __call__(self, *args, **kwargs):
        return _fire()


boom = _fire
'''.format(marker=PRINT_MARKER)


def write_canary_module(folder):
    """The canary module in `folder` (put `folder` on sys.path to make it importable)."""
    path = folder / f"{CANARY_MODULE}.py"
    path.write_text(CANARY_SOURCE)
    return path


def payloads():
    """{label: JSON value} naming code to import or call."""
    m = CANARY_MODULE
    return {
        "canary class": {"module": m, "class_name": "Boom", "config": {}, "registered_name": None},
        "canary class, no config": {"module": m, "class_name": "Boom"},
        "canary function": {"module": m, "class_name": "function", "config": "boom",
                            "registered_name": "boom"},
        "registered-name spoof": {"module": "keras.layers", "class_name": "Boom", "config": {},
                                  "registered_name": f"{m}>Boom"},
        "tempfile.mkdtemp": {"module": "tempfile", "class_name": "mkdtemp"},
        "os.system": {"module": "os", "class_name": "function", "config": "system",
                      "registered_name": "system"},
        "builtins.exec": {"module": "builtins", "class_name": "exec",
                          "config": {"source": f"import {m}"}},
        "lambda bytecode": {"class_name": "__lambda__", "config": {"code": "4wAAAAA=",
                                                                   "defaults": None}},
    }


# entry point -> path of the object it names in the base model's config.json
ENTRY_POINTS = {
    "model config": (),
    "layer": ("config", "layers", 5),
    "op node": ("config", "layers", 4),
    "TimeDistributed layer": ("config", "layers", 1, "config", "layer"),
    "Bidirectional layer": ("config", "layers", 3, "config", "layer"),
    "Bidirectional backward_layer": ("config", "layers", 3, "config", "backward_layer"),
    "RNN cell": ("config", "layers", 2, "config", "cell"),
    "activation": ("config", "layers", 5, "config", "activation"),
    "initializer": ("config", "layers", 5, "config", "kernel_initializer"),
    "regularizer": ("config", "layers", 1, "config", "layer", "config", "kernel_regularizer"),
    "constraint": ("config", "layers", 1, "config", "layer", "config", "kernel_constraint"),
    "optimizer": ("compile_config", "optimizer"),
    "schedule": ("compile_config", "optimizer", "config", "learning_rate"),
    "loss": ("compile_config", "loss"),
    "metric": ("compile_config", "metrics", 0),
}


def base_model():
    """A small functional model touching every entry point above, compiled and trained."""
    import lamina  # noqa: PLC0415
    from lamina import layers  # noqa: PLC0415

    inp = layers.Input((4, 3), name="x")
    h = layers.TimeDistributed(layers.Dense(2, activation="relu", kernel_regularizer="l2",
                                            kernel_constraint="max_norm"))(inp)
    h = layers.RNN(layers.SimpleRNNCell(2), return_sequences=True)(h)
    h = layers.Bidirectional(layers.LSTM(2))(h)
    h = h * 2.0
    out = layers.Dense(1)(h)
    model = lamina.Model(inp, out)
    schedule = lamina.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    model.compile(optimizer=lamina.optimizers.Adam(schedule), loss="mse", metrics=["mae"])
    model.fit(np.ones((4, 4, 3)), np.ones((4, 1)), verbose=0)
    return model


def members_of(model, fmt="npz"):
    from lamina.saving import saving_api  # noqa: PLC0415

    with zipfile.ZipFile(io.BytesIO(saving_api.model_to_bytes(model, fmt))) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def pack(members, compress=None):
    """A zip of {name: bytes}; `compress` = {name: True} deflates those members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            kind = zipfile.ZIP_DEFLATED if (compress or {}).get(name) else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, compress_type=kind)
    return buffer.getvalue()


def with_config(members, config):
    return pack({**members, "config.json": json.dumps(config).encode()})


def set_path(config, path, value):
    """A deep copy of `config` with the value at `path` replaced (the root when path == ());
    a functional model's layer entry keeps its "name" and "inbound_nodes"."""
    if not path:
        return copy.deepcopy(value)
    out = copy.deepcopy(config)
    node = out
    for key in path[:-1]:
        node = node[key]
    old = node[path[-1]]
    if isinstance(old, dict) and "inbound_nodes" in old and isinstance(value, dict):
        value = {"name": old["name"], "inbound_nodes": old["inbound_nodes"], **value}
    node[path[-1]] = copy.deepcopy(value)
    return out


def object_paths(config, path=()):
    """Every path of `config` holding an object dict or an object name (a string under an
    activation / loss / initializer... key, or a metric), except symbolic tensors."""
    if isinstance(config, dict):
        if "class_name" in config and config["class_name"] != "__keras_tensor__":
            yield path
        for key, value in config.items():
            yield from object_paths(value, path + (key,))
    elif isinstance(config, list):
        for i, value in enumerate(config):
            yield from object_paths(value, path + (i,))
    elif isinstance(config, str) and path and (
            path[-1] in ("activation", "recurrent_activation", "loss")
            or str(path[-1]).endswith(("_initializer", "_regularizer", "_constraint"))
            or (len(path) >= 2 and path[-2] == "metrics")):
        yield path


def canary_cases(members):
    """(label, file bytes) for every object place x every payload."""
    config = json.loads(members["config.json"])
    for path in object_paths(config):
        for label, payload in payloads().items():
            yield f"{'/'.join(map(str, path)) or 'root'} <- {label}", with_config(
                members, set_path(config, path, payload))
        if path and isinstance(_get(config, path), str):
            for name in (f"{CANARY_MODULE}.boom", "os.system", "builtins.exec"):
                yield f"{'/'.join(map(str, path))} <- {name!r}", with_config(
                    members, set_path(config, path, name))


def _get(config, path):
    for key in path:
        config = config[key]
    return config


def _input_then(batch_shape, entry, node_args):
    """A functional config: an InputLayer of `batch_shape` and one more layer/op entry."""
    tensor = {"class_name": "__keras_tensor__",
              "config": {"shape": batch_shape, "dtype": "float32", "keras_history": ["x", 0, 0]}}
    entry = {**entry, "name": "node", "inbound_nodes": [
        {"args": [tensor if a == "X" else a for a in node_args], "kwargs": {}}]}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "registered_name": "Functional", "config": {
                "name": "bomb", "trainable": True,
                "layers": [{"module": "keras.layers", "class_name": "InputLayer", "name": "x",
                            "config": {"name": "x", "batch_shape": batch_shape, "dtype": "float32"},
                            "inbound_nodes": []}, entry],
                "input_layers": ["x", 0, 0], "output_layers": ["node", 0, 0]}}


def _op(class_name, **config):
    return {"module": "keras.src.ops", "class_name": class_name, "registered_name": class_name,
            "config": {"name": "node", **config}}


def empty_members():
    """A `.keras` file's members for a model without weights (so that a crafted config
    that would be harmless loads completely)."""
    import lamina  # noqa: PLC0415

    inp = lamina.layers.Input((3,), name="x")
    return members_of(lamina.Model(inp, lamina.layers.Activation("relu")(inp)), "npz")


def memory_cases(members, h5_members=None):
    """(label, file bytes) of files that would take gigabytes if their sizes were trusted."""
    empty = empty_members()
    big = [None, 20000, 20000]
    configs = {
        "Input (None, 6000, 6000) + Add op": _input_then([None, 6000, 6000], _op("Add"), ["X", "X"]),
        "Input (None, 20000, 20000) + Add op": _input_then(big, _op("Add"), ["X", "X"]),
        "Input (None, 20000, 20000) + Mean op": _input_then(big, _op("Mean", axis=-1), ["X"]),
        "Input (None, 20000, 20000) + Softmax op": _input_then(big, _op("Softmax"), ["X"]),
        "Input (None, 20000, 20000) + Matmul op": _input_then(big, _op("Matmul"), ["X", "X"]),
        "Input (None, 20000, 20000) + Dropout layer": _input_then(
            big, {"module": "keras.layers", "class_name": "Dropout", "config": {"rate": 0.5}}, ["X"]),
        "Input (None, 20000, 20000) + Flatten layer": _input_then(
            big, {"module": "keras.layers", "class_name": "Flatten", "config": {}}, ["X"]),
        "Ones([[20000, 20000]]) op node": _input_then([None, 3], _op("Ones"), [[20000, 20000]]),
        "Eye(60000) op node": _input_then([None, 3], _op("Eye"), [60000]),
        "Tile(x, [20000, 20000]) op node": _input_then([None, 3], _op("Tile"), ["X", [20000, 20000]]),
        "Repeat(x, 10**9) op node": _input_then([None, 3], _op("Repeat", axis=1), ["X", 10**9]),
        "BroadcastTo(x, [10**5, 10**5]) op node": _input_then(
            [None, 1], _op("BroadcastTo"), ["X", [10**5, 10**5]]),
        "Input with 10**30 dims": _input_then([None, 10**30], _op("Add"), ["X", "X"]),
        "Dense(10**11) layer": _input_then(
            [None, 3], {"module": "keras.layers", "class_name": "Dense", "config": {"units": 10**11}}, ["X"]),
        "Embedding(10**10, 64)": _input_then(
            [None, 3], {"module": "keras.layers", "class_name": "Embedding",
                        "config": {"input_dim": 10**10, "output_dim": 64}}, ["X"]),
    }
    for label, config in configs.items():
        yield label, with_config(empty, config)
    yield "nested 100000 deep config.json", pack({**members, "config.json": b"[" * 100000 + b"]" * 100000})
    yield "deflated 200 MB config.json of spaces", pack(
        {**members, "config.json": b" " * (200 << 20)}, compress={"config.json": True})
    weights = next(n for n in members if n.startswith("model.weights"))
    yield "deflated 300 MB weights member", pack(
        {**members, weights: members[weights] + b"\0" * (300 << 20)}, compress={weights: True})
    yield "zip header declaring a 3 GB member", _lying_zip(members)
    if h5_members is not None:
        yield "HDF5 fill-value dataset + Dense(12_500_000)", _fill_value_h5(h5_members)


def _lying_zip(members):
    """A zip whose config.json local/central headers claim 3 GB (data is 10 bytes)."""
    data = bytearray(pack(members))
    i = data.find(b"PK\x01\x02")  # the first central directory entry
    while i >= 0:
        name_len = int.from_bytes(data[i + 28:i + 30], "little")
        if bytes(data[i + 46:i + 46 + name_len]) == b"config.json":
            data[i + 24:i + 28] = (3 << 30).to_bytes(4, "little")
        i = data.find(b"PK\x01\x02", i + 4)
    return bytes(data)


def _fill_value_h5(h5_members):
    """The Dense kernel replaced by a never-written chunked dataset of 12.5M x 3 declared
    floats (a fill value only: a few KB on disk), with the config asking for Dense(12_500_000)."""
    import h5py  # noqa: PLC0415

    config = json.loads(h5_members["config.json"])
    raw = io.BytesIO(h5_members["model.weights.h5"])
    with h5py.File(raw, "r+") as f:
        paths = []
        f.visit(lambda name: paths.append(name) if name.endswith("vars") else None)
        for path in paths:
            group = f[path]
            for key in list(group):
                if group[key].ndim == 2 and group[key].shape == (3, 2):
                    del group[key]
                    group.create_dataset(key, shape=(3, 12_500_000), dtype="float32",
                                         chunks=(3, 1024), fillvalue=0.5)
    dense = next(l for l in config["config"]["layers"] if l["class_name"] == "Dense")
    dense["config"]["units"] = 12_500_000
    return pack({**h5_members, "model.weights.h5": raw.getvalue(),
                 "config.json": json.dumps(config).encode()})


_FUZZ_VALUES = [None, True, 0, -1, 2**63, 1e308, "", "relu", "Dense", "function", "__numpy__",
                [], {}, [None], {"class_name": "Dense", "config": {}}, ["dense", 5, 0],
                {"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}}]


def fuzz_cases(members, count, seed=0):
    """(label, file bytes): `count` seeded mutations, half structural (config.json values
    replaced or removed), half byte-level (flips, truncation, splices of the whole file)."""
    rng = random.Random(seed)
    config = json.loads(members["config.json"])
    paths = [p for p in _all_paths(config) if p]
    whole = pack(members)
    for i in range(count):
        if i % 2 == 0:
            mutated = copy.deepcopy(config)
            for _ in range(rng.randint(1, 3)):
                path = rng.choice(paths)
                try:
                    parent = _get(mutated, path[:-1])
                    if rng.random() < 0.3 and isinstance(parent, dict):
                        parent.pop(path[-1], None)
                    else:
                        parent[path[-1]] = copy.deepcopy(rng.choice(_FUZZ_VALUES))
                except (KeyError, IndexError, TypeError):
                    continue
            yield f"fuzz {i}: structural", with_config(members, mutated)
        else:
            data = bytearray(whole)
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(len(data))
                op = rng.random()
                if op < 0.6:
                    data[at] = rng.randrange(256)
                elif op < 0.8:
                    del data[at:at + rng.randint(1, 64)]
                else:
                    data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            yield f"fuzz {i}: bytes", bytes(data)


def _all_paths(value, prefix=()):
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _all_paths(child, prefix + (key,))
