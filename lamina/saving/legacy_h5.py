"""Keras's legacy HDF5 model files: `model.save("m.h5")`, `load_model("m.h5")`, as Keras 3 does.

Keras 3 still reads and writes this format (with a warning that it is legacy); the files are
interchangeable with Keras's. One HDF5 file holds:

- root attributes `keras_version`, `backend`, `model_config` (JSON: {"class_name", "config"},
  the model's config with each layer entry in the legacy {"class_name", "config"} form) and,
  for a compiled model, `training_config` (JSON: the compile arguments, the optimizer as
  `optimizer_config`);
- group `model_weights`: attribute `layer_names`, one group per layer (sorted by name) with
  attribute `weight_names` (the variables' paths, trainable ones first) and one dataset per
  weight at that path, plus `top_level_model_weights` for the model's own variables;
- group `optimizer_weights` (if compiled): `weight_names` and one dataset per optimizer variable.

Layers are matched in order (the file's layers that have weights, against the model's).
Loading is as guarded as for `.keras` files: the file is read within the size limit, the
config only names classes lamina knows (or `custom_objects`), Lambda layers are refused
unless `safe_mode=False`, HDF5 links to other places or files are refused, and a dataset is
read only if it holds numbers of exactly the shape of the weight it fills.
"""
import io
import json
import os
import warnings

import numpy as np

from lamina.codec import serialization
from lamina.saving import files, weights_store
from lamina.codec.errors import SavingError
from lamina.saving.legacy_h5_reader import LegacyH5Reader, modern_config
from lamina.saving.object_registration import CustomObjectScope

H5_EXTS = (".h5", ".hdf5")
BACKEND = "numpy"  # what the `backend` attribute says (Keras ignores it when loading)
HDF5_OBJECT_HEADER_LIMIT = 64512  # bytes per attribute; longer name lists are split in chunks
_WEIGHT_SLACK = 64 << 20  # bytes of weights a rebuilt model may hold beyond the stored ones


def is_legacy_path(path):
    """True for `*.h5` / `*.hdf5` paths that are not Keras 3 weights files (`*.weights.h5`)."""
    name = os.fspath(path)
    return isinstance(name, str) and name.endswith(H5_EXTS) and not name.endswith(".weights.h5")


def warn_legacy(what, stacklevel=3):
    warnings.warn(
        f"{what}: '.h5' is the legacy HDF5 model format. lamina writes it as Keras 3 does, but "
        "the native format keeps more (e.g. assets): prefer model.save('my_model.keras')",
        UserWarning, stacklevel=stacklevel)


# --- writing -----------------------------------------------------------------------------

def save_model_to_hdf5(model, filepath, overwrite=True, include_optimizer=True):
    """Write `model` (config, weights, compile settings and optimizer state) as a legacy
    HDF5 file, atomically."""
    weights_store.require_h5py("saving a model as .h5")
    import h5py  # noqa: PLC0415  (optional dependency, checked just above)

    path = os.fspath(filepath)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)  # as Keras does for .h5
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for key, value in model_metadata(model, include_optimizer).items():
            f.attrs[key] = json.dumps(value).encode("utf8") if isinstance(value, dict) else value
        save_weights_to_group(f.create_group("model_weights"), model)
        optimizer = getattr(model, "optimizer", None)
        if include_optimizer and optimizer is not None and optimizer.variables:
            group = f.create_group("optimizer_weights")
            _write_weights(group, optimizer.variables)
    files.atomic_write(path, buffer.getvalue())


def model_metadata(model, include_optimizer=True):
    """The root attributes: versions, the legacy model config and the training config."""
    from lamina.saving.saving_api import KERAS_FORMAT_VERSION  # noqa: PLC0415  (saving_api imports this module)

    serialized = serialization.serialize_keras_object(model)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "backend": BACKEND,
        "model_config": {"class_name": serialized.get("registered_name") or serialized["class_name"],
                         "config": _legacy_model_config(serialized["config"])},
    }
    compiled = getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None
    if include_optimizer and compiled:
        training = {k: _legacy_objects(v) for k, v in model.get_compile_config().items()}
        optimizer = training.pop("optimizer")
        training["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
        metadata["training_config"] = training
    return metadata


def _legacy_entry(entry):
    """A layer's Keras 3 config entry in the legacy {"class_name", "config"} form."""
    out = {"class_name": entry.get("registered_name") or entry["class_name"],
           "config": _legacy_model_config(entry.get("config"))}
    for key in ("name", "inbound_nodes"):  # functional models keep the graph next to each layer
        if key in entry:
            out[key] = entry[key]
    if str(entry.get("module", "")).startswith("keras.src.ops"):
        out["module"] = entry["module"]  # a keras.ops call (x + 3.0), not the layer of that name
    return out


def _legacy_model_config(config):
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        config = dict(config, layers=[_legacy_entry(e) for e in config["layers"]])
    return config


def _legacy_objects(value):
    """Serialized objects (losses, metrics...) in the legacy form: without module/registered_name."""
    if isinstance(value, list):
        return [_legacy_objects(v) for v in value]
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:
            return {"class_name": value.get("registered_name") or value["class_name"],
                    "config": value["config"]}
        return {k: _legacy_objects(v) for k, v in value.items()}
    return value


def save_weights_to_group(group, model):
    """`layer_names`, one group of weights per layer (sorted by name), the model's own weights."""
    from lamina.saving.saving_api import KERAS_FORMAT_VERSION  # noqa: PLC0415  (saving_api imports this module)

    layers = list(model.layers)
    _write_names(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_FORMAT_VERSION.encode("utf8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        _write_weights(group.create_group(layer.name), legacy_weights(layer))
    _write_weights(group.create_group("top_level_model_weights"), own_weights(model))


def legacy_weights(layer):
    """The order weights have in legacy files: trainable first, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def own_weights(model):
    """The model's own variables (not its layers'), trainable first."""
    nested = {id(v) for layer in model.layers for v in layer.weights}
    own = [v for v in legacy_weights(model) if id(v) not in nested]
    return own


def _write_weights(group, variables):
    names = [str(v.path) for v in variables]
    _write_names(group, "weight_names", names)
    for name, v in zip(names, variables):
        value = np.asarray(v.data)
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        dataset[()] = value


def _write_names(group, name, names):
    """Attribute `name` = the names as bytes, split in chunks `name0`, `name1`... when too long."""
    data = np.asarray([n.encode("utf8") for n in names]) if names else np.asarray([], dtype="S1")
    too_long = [n for n in names if len(n.encode("utf8")) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise SavingError(f"cannot save names longer than {HDF5_OBJECT_HEADER_LIMIT} bytes in HDF5: "
                          f"{too_long[0][:80]!r}...")
    chunks = 1
    parts = np.array_split(data, chunks)
    while any(p.nbytes > HDF5_OBJECT_HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(data, chunks)
    if chunks == 1:
        group.attrs[name] = data
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


# --- reading -----------------------------------------------------------------------------

def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """The model in a legacy HDF5 file (written by lamina, Keras 3 or tf.keras)."""
    weights_store.require_h5py("loading a .h5 model")
    path = os.fspath(filepath)
    data = files.read_bytes(path)
    from lamina import random as lrandom  # noqa: PLC0415  (building draws weights: keep the stream)

    rng_state = lrandom._Global.rng.bit_generator.state
    reader = None
    try:
        reader = LegacyH5Reader(data, path, files.size_limit())
        return _load(reader, path, custom_objects, compile, safe_mode)
    except ImportError:
        raise
    except Exception as e:  # noqa: BLE001  (anything a malformed file provokes)
        files.ensure_saving_error(e, path, "the file cannot be loaded")
    finally:
        lrandom._Global.rng.bit_generator.state = rng_state
        if reader is not None:
            reader.close()


def _load(reader, path, custom_objects, compile, safe_mode):  # noqa: A002
    from lamina.layers.base.layer import Layer, WeightBudget  # noqa: PLC0415  (models sit above saving)

    config = reader.json_attr("model_config")
    if config is None:
        raise SavingError(f"{path!r} has no model config (a weights-only .h5? build the model in code "
                          "and call model.load_weights)")
    weights = reader.group("model_weights")
    budget = min(reader.declared_nbytes(weights), files.size_limit()) + _WEIGHT_SLACK
    with serialization.SafeModeScope(safe_mode), WeightBudget(budget, path):
        model = serialization.deserialize_keras_object(modern_config(config), custom_objects=custom_objects,
                                                       safe_mode=safe_mode)
    if not isinstance(model, Layer):
        raise SavingError(f"{path!r}: model_config describes a {type(model).__name__}, not a model")
    load_weights_from_group(reader, weights, model)
    if compile:
        training = reader.json_attr("training_config")
        if training is None:
            warnings.warn(f"{path!r} has no training configuration, so the model was not compiled; "
                          "compile it yourself", UserWarning, stacklevel=3)
        else:
            _compile(model, training, custom_objects)
            if reader.has("optimizer_weights"):
                _load_optimizer_state(reader, model)
    return model


def load_weights_from_hdf5(model, filepath):
    """`model.load_weights("m.h5")`: the weights of a legacy HDF5 file (a whole-model file's
    `model_weights`, or a tf.keras weights file), in layer order."""
    weights_store.require_h5py("loading .h5 weights")
    data = files.read_bytes(filepath)
    reader = None
    try:
        reader = LegacyH5Reader(data, filepath, files.size_limit())
        group = reader.group("model_weights") if reader.has("model_weights") else reader.group("/")
        load_weights_from_group(reader, group, model)
    except ImportError:
        raise
    except Exception as e:  # noqa: BLE001  (anything a malformed file provokes)
        files.ensure_saving_error(e, filepath, "the weights cannot be loaded")
    finally:
        if reader is not None:
            reader.close()


def load_weights_from_group(reader, group, model):
    """Fill the model's weights from a `model_weights`-style group, layer by layer in order."""
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    names = [n for n in reader.names(group, "layer_names") if reader.names(reader.group(n, group), "weight_names")]
    if len(names) != len(layers):
        raise SavingError(f"the file has weights for {len(names)} layers ({names[:8]}), the model has "
                          f"{len(layers)} layers with weights ({[layer.name for layer in layers][:8]}): "
                          "not the same architecture")
    for k, (name, layer) in enumerate(zip(names, layers)):
        _fill(reader, reader.group(name, group), legacy_weights(layer),
              f"layer #{k} ({layer.name!r} in the model, {name!r} in the file)")
    own = own_weights(model)
    if reader.has("top_level_model_weights", group) and own:
        _fill(reader, reader.group("top_level_model_weights", group), own, "the model's own weights")


def _fill(reader, group, variables, what):
    names = reader.names(group, "weight_names")
    if len(names) != len(variables):
        raise SavingError(f"{what}: the file has {len(names)} weights, the model {len(variables)}")
    values = [reader.dataset(group, n, v.shape, what) for n, v in zip(names, variables)]
    for v, value in zip(variables, values):
        v.assign(value)


def _compile(model, training, custom_objects):
    optimizer = training.get("optimizer_config")
    if not isinstance(optimizer, dict) or "class_name" not in optimizer:
        raise SavingError("training_config has no optimizer_config")
    compile_config = {k: training.get(k) for k in ("loss", "metrics", "loss_weights", "weighted_metrics")}
    compile_config["optimizer"] = dict(modern_config(optimizer), module="keras.optimizers")
    with serialization.SafeModeScope(True):

        with CustomObjectScope(custom_objects or {}):
            model.compile_from_config(compile_config)


def _load_optimizer_state(reader, model):
    group = reader.group("optimizer_weights")
    names = reader.names(group, "weight_names")
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    variables = optimizer.variables
    if len(names) != len(variables):
        warnings.warn(f"the file holds {len(names)} optimizer variables, {optimizer.name} has "
                      f"{len(variables)}: the optimizer starts afresh", UserWarning, stacklevel=4)
        return
    values = [reader.dataset(group, n, v.shape, "the optimizer state") for n, v in zip(names, variables)]
    for v, value in zip(variables, values):
        v.assign(value)
