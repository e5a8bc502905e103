"""`save_model` / `load_model` (Keras 3's `.keras` zip) and weights-only files.

A `.keras` file is a zip of three members (stored, not compressed, as Keras writes it):
    metadata.json     {"keras_version", "date_saved", "lamina_version"}
    config.json       the model as `serialize_keras_object` writes it, with compile_config
    model.weights.h5  every variable in Keras's HDF5 layout (layers and optimizer state)
or `model.weights.npz` instead of the `.h5` member when h5py is not installed or
`weights_format="npz"` is asked for (lamina reads it; Keras cannot), plus asset files
`assets/<layer path>/<file>` for layers that keep state outside variables (vocabularies of
TextVectorization / StringLookup; see `assets.py`), and `lamina_random_state.json`: the
positions of the layers' random generators and of the global one, so that training resumes
exactly (`random_state.py`; Keras ignores the member).
"""
import datetime
import io
import json
import os
import warnings
import zipfile

from lamina.codec import serialization
from lamina.saving import assets, files, legacy_h5, random_state, state, weights_store
from lamina.codec.errors import CorruptFileError, SavingError
from lamina import random as lrandom
from lamina.layers.base.layer import WeightBudget
from lamina.layers.base.layer import Layer

_WEIGHT_SLACK = 64 << 20  # bytes of weights a rebuilt model may hold beyond the stored ones
KERAS_FORMAT_VERSION = "3.15.1"  # the Keras release whose files lamina's match
_CONFIG, _METADATA = "config.json", "metadata.json"
_WEIGHTS_H5, _WEIGHTS_NPZ = "model.weights.h5", "model.weights.npz"


# --- whole models ------------------------------------------------------------------------

def save_model(model, filepath, overwrite=True, weights_format=None, **kwargs):
    """Save `model` (architecture, weights, compile settings and optimizer state) to a
    `.keras` file, atomically. weights_format: "h5" (default when h5py is installed) or
    "npz" (the default without h5py; readable by lamina only). A `.h5` / `.hdf5` path
    writes Keras's legacy HDF5 format instead, with a warning, as Keras 3 does."""
    if legacy_h5.is_legacy_path(filepath):
        include_optimizer = kwargs.pop("include_optimizer", True)
        kwargs.pop("zipped", None)
        if kwargs:
            raise TypeError(f"save_model() got unexpected keyword arguments {sorted(kwargs)}")
        legacy_h5.warn_legacy("save_model")
        return legacy_h5.save_model_to_hdf5(model, filepath, overwrite, include_optimizer)
    if kwargs.pop("zipped", True) is False:
        raise NotImplementedError("lamina saves .keras files as zips only (zipped=True)")
    if kwargs:
        raise TypeError(f"save_model() got unexpected keyword arguments {sorted(kwargs)}")
    path = files.check_extension(filepath, (files.MODEL_EXT,), "save_model")
    files.check_folder(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    if weights_format is None:
        weights_format = "h5" if weights_store.h5py_available() else "npz"
    if weights_format not in ("h5", "npz"):
        raise ValueError(f"weights_format must be 'h5' or 'npz', got {weights_format!r}")
    if not getattr(model, "built", False):
        warnings.warn("saving a model that is not built yet: it has no weights to save",
                      stacklevel=2)
    files.atomic_write(path, model_to_bytes(model, weights_format))


def model_to_bytes(model, weights_format="h5"):
    """The bytes of a `.keras` file for `model` (deterministic given SOURCE_DATE_EPOCH)."""
    config = json.dumps(serialization.serialize_keras_object(model))
    writer = weights_store.H5Writer() if weights_format == "h5" else weights_store.NpzWriter()
    state.save_state(model, writer)
    weights = writer.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(weights_store._zip_info(_METADATA), _metadata_json())
        zf.writestr(weights_store._zip_info(_CONFIG), config)
        name = _WEIGHTS_H5 if weights_format == "h5" else _WEIGHTS_NPZ
        zf.writestr(weights_store._zip_info(name), weights)
        for member, data in assets.collect(model).items():  # e.g. vocabularies
            zf.writestr(weights_store._zip_info(member), data)
        zf.writestr(weights_store._zip_info(random_state.MEMBER), random_state.to_json(model))
    return buffer.getvalue()


def _metadata_json():
    import lamina  # noqa: PLC0415  (the lamina facade imports this module)

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
            else datetime.datetime.now())
    return json.dumps({"keras_version": KERAS_FORMAT_VERSION,
                       "date_saved": when.strftime("%Y-%m-%d@%H:%M:%S"),
                       "lamina_version": lamina.__version__})


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """A model from a `.keras` file (written by lamina or by Keras 3).

    custom_objects: {name: class or function} for custom layers, losses, ... (or register
    them with `@lamina.saving.register_keras_serializable()`). compile: restore the
    compile settings and optimizer state. safe_mode: refuse Lambda layers (code); loading
    never imports modules named in the file nor unpickles anything.
    Malformed files raise a `SavingError` (a ValueError) naming the file and the problem.
    """
    path = os.fspath(filepath)
    if legacy_h5.is_legacy_path(path):  # Keras's legacy HDF5 model file (model.save("m.h5"))
        return legacy_h5.load_model_from_hdf5(path, custom_objects, compile, safe_mode)
    if not isinstance(path, str) or not path.endswith(files.MODEL_EXT):
        if isinstance(path, str) and path.endswith(files.WEIGHT_EXTS):
            raise ValueError(
                f"load_model: {path!r} holds weights only; build the model in code and call "
                "model.load_weights(path)")
        files.check_extension(path, (files.MODEL_EXT,), "load_model")
    data = files.read_bytes(path)
    return model_from_bytes(data, path, custom_objects, compile, safe_mode)


def model_from_bytes(data, source, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002
    """The model in a `.keras` file's bytes. Building it draws initial weights, which the
    stored ones then replace. A file with `lamina_random_state.json` then moves the layers'
    generators and lamina's global random stream to where they were at the save, so
    `fit(initial_epoch=k)` continues the saved run exactly, in any process; without it
    (files from Keras) the global stream is left as it was before loading."""

    rng_state = lrandom.get_state()
    restored = False
    try:
        model, restored = _model_from_bytes(data, source, custom_objects, compile, safe_mode)
        return model
    except ImportError:  # h5py missing: not the file's fault
        raise
    except Exception as e:  # noqa: BLE001  (anything a malformed file provokes)
        files.ensure_saving_error(e, source, "the file cannot be loaded")
    finally:
        if not restored:
            lrandom.set_state(None, rng_state)


def _model_from_bytes(data, source, custom_objects, compile, safe_mode):  # noqa: A002
    archive = files.Archive(data, source)
    try:
        config = archive.read_json(_CONFIG)
        if archive.has(_METADATA):
            archive.read_json(_METADATA)
        if archive.has(_WEIGHTS_H5):
            weights_store.require_h5py(f"loading {source!r} (its weights are HDF5)")
            reader = weights_store.H5Reader(archive.read(_WEIGHTS_H5), source, files.size_limit())
        elif archive.has(_WEIGHTS_NPZ):
            reader = weights_store.NpzReader(archive.read(_WEIGHTS_NPZ), source, files.size_limit())
        else:
            raise CorruptFileError(f"the archive has no {_WEIGHTS_H5!r} (or .npz) member", source)
        if not compile:
            config = {k: v for k, v in config.items() if k != "compile_config"}
        # layers may create only about as many weight bytes as the file stores (plus slack
        # for variables a format leaves out): a config asking for more fails before allocating

        budget = min(reader.declared_nbytes(), files.size_limit()) + _WEIGHT_SLACK
        try:
            with serialization.SafeModeScope(safe_mode), WeightBudget(budget, source):
                model = serialization.deserialize_keras_object(
                    config, custom_objects=custom_objects, safe_mode=safe_mode)
        except (Exception, RecursionError) as e:  # noqa: BLE001
            files.ensure_saving_error(e, source, "the model in config.json cannot be rebuilt")

        if not isinstance(model, Layer):
            raise CorruptFileError(f"config.json describes a {type(model).__name__}, not a model", source)
        try:
            state.load_state(model, reader, source)
        except (Exception, RecursionError) as e:  # noqa: BLE001
            files.ensure_saving_error(e, source, "the weights cannot be loaded")
        try:
            assets.restore(model, archive)
        except (Exception, RecursionError) as e:  # noqa: BLE001
            files.ensure_saving_error(e, source, "the assets (e.g. a vocabulary) cannot be loaded")
        if not archive.has(random_state.MEMBER):  # files written by Keras
            return model, False
        random_state.restore(model, archive.read_json(random_state.MEMBER), source)
        return model, True
    finally:
        archive.close()


# --- weights only ------------------------------------------------------------------------

def save_weights(model, filepath, overwrite=True):
    """Save the variables (and optimizer state) to `.weights.h5` (Keras's layout; needs
    h5py) or `.weights.npz` (lamina only), atomically."""
    path = files.check_extension(filepath, files.WEIGHT_EXTS, "save_weights")
    files.check_folder(path)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} exists and overwrite=False")
    writer = weights_store.H5Writer() if path.endswith(".h5") else weights_store.NpzWriter()
    state.save_state(model, writer)
    files.atomic_write(path, writer.getvalue())


def open_weights(data, path):
    """(weights reader, open Archive or None) of the bytes of a `.keras`, `.weights.h5` or
    `.weights.npz` file; the caller closes the archive."""
    if path.endswith(files.MODEL_EXT):
        archive = files.Archive(data, path)
        if archive.has(_WEIGHTS_H5):
            weights_store.require_h5py(f"loading {path!r}")
            return weights_store.H5Reader(archive.read(_WEIGHTS_H5), path, files.size_limit()), archive
        if not archive.has(_WEIGHTS_NPZ):
            archive.close()
            raise CorruptFileError(f"the archive has no {_WEIGHTS_H5!r} (or .npz) member", path)
        return weights_store.NpzReader(archive.read(_WEIGHTS_NPZ), path, files.size_limit()), archive
    if path.endswith(".h5"):
        weights_store.require_h5py(f"loading {path!r}")
        return weights_store.H5Reader(data, path, files.size_limit()), None
    if data[:2] != b"PK":
        raise CorruptFileError("not an npz file (wrong magic bytes)", path)
    return weights_store.NpzReader(data, path, files.size_limit()), None


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights saved by `save_weights` or `save_model` (`.keras`) into `model`, which
    must have the same architecture (else an error names the first layer that differs).
    A legacy `.h5` / `.hdf5` file (model.save("m.h5"), tf.keras save_weights) is read in
    layer order, as Keras 3 does."""
    if legacy_h5.is_legacy_path(filepath):
        return legacy_h5.load_weights_from_hdf5(model, os.fspath(filepath))
    path = files.check_extension(filepath, files.ALL_EXTS, "load_weights")
    if not getattr(model, "built", False):
        raise ValueError(
            f"load_weights({path!r}): model {model.name!r} is not built, so it has no weights "
            "to load into; build it first (call it on data, or model.build(input_shape))")
    data = files.read_bytes(path)
    archive = None
    try:
        reader, archive = open_weights(data, path)
        state.load_state(model, reader, path, skip_mismatch=skip_mismatch)
    except ImportError:  # h5py missing: not the file's fault
        raise
    except Exception as e:  # noqa: BLE001  (anything a malformed file provokes)
        files.ensure_saving_error(e, path, "the weights cannot be loaded")
    finally:
        if archive is not None:
            archive.close()


# --- JSON --------------------------------------------------------------------------------

def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A new (untrained) model from `model.to_json()`'s string."""
    try:
        config = json.loads(json_string)
    except (ValueError, RecursionError) as e:
        raise SavingError(f"model_from_json: not valid JSON ({e})") from None
    if not isinstance(config, dict):
        raise SavingError(f"model_from_json: the JSON holds a {type(config).__name__}, not an object")
    with serialization.SafeModeScope(safe_mode):
        return serialization.deserialize_keras_object(config, custom_objects=custom_objects,
                                                      safe_mode=safe_mode)


def model_from_config(config, custom_objects=None):
    """A new model from a config dict (`serialize_keras_object(model)` or `get_config()`)."""
    return serialization.deserialize_keras_object(config, custom_objects=custom_objects)
