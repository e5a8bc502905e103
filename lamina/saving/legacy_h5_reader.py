"""Guarded reading of legacy HDF5 model files (see legacy_h5.py) and their configs.

The file is opened from bytes already read within the size limit. Only hard links are
followed (no soft or external links), a dataset is read only if it holds plain numbers of the
exact shape expected, stored in this file (no external or virtual storage), and every JSON or
name attribute is bounded before it is decoded.
"""
import io
import json

import numpy as np

from lamina import registry
from lamina.saving import files
from lamina.codec.errors import CorruptFileError, SavingError, UnsafeContentError

_MAGIC = b"\x89HDF\r\n\x1a\n"
_NUMERIC = "biuf"
_MAX_OBJECTS = 100_000


class LegacyH5Reader:
    """Reads attributes, groups and weight datasets of a legacy HDF5 model file."""

    def __init__(self, data, source, limit):
        import h5py  # noqa: PLC0415  (optional dependency; the caller checked it is installed)

        self._h5 = h5py
        self.source = source
        self.left = int(limit)  # bytes of datasets that may still be read
        if not data.startswith(_MAGIC):
            raise CorruptFileError("not an HDF5 file (wrong magic bytes)", source)
        try:
            self._file = h5py.File(io.BytesIO(data), "r")
        except Exception as e:  # noqa: BLE001  (h5py raises many kinds on damaged files)
            raise CorruptFileError(f"the HDF5 file cannot be opened ({e})", source) from None

    def close(self):
        self._file.close()

    # --- attributes --------------------------------------------------------------------
    def json_attr(self, name):
        """The JSON object in root attribute `name`, or None if absent."""
        raw = self._file.attrs.get(name)
        if raw is None:
            return None
        if isinstance(raw, np.ndarray) and raw.ndim == 0:
            raw = raw.item()
        if not isinstance(raw, (bytes, str)):
            raise CorruptFileError(f"attribute {name!r} is not text", self.source)
        if len(raw) > files._Limits.config_bytes:
            raise UnsafeContentError(f"attribute {name!r} is longer than the config size limit "
                                     "(lamina.saving.set_size_limit raises it)", self.source)
        try:
            value = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise CorruptFileError(f"attribute {name!r} is not valid JSON ({e})", self.source) from None
        if not isinstance(value, dict):
            raise CorruptFileError(f"attribute {name!r} holds a JSON {type(value).__name__}, not an object",
                                   self.source)
        return value

    def names(self, group, attr):
        """A list-of-names attribute (split by Keras in `attr0`, `attr1`... when long)."""
        if attr in group.attrs:
            chunks = [group.attrs[attr]]
        else:
            chunks, i = [], 0
            while f"{attr}{i}" in group.attrs:
                chunks.append(group.attrs[f"{attr}{i}"])
                i += 1
        out = []
        for chunk in chunks:
            for n in np.atleast_1d(np.asarray(chunk)).tolist():
                if isinstance(n, bytes):
                    n = n.decode("utf8", errors="strict")
                if not isinstance(n, str):
                    raise CorruptFileError(f"attribute {attr!r} of {group.name!r} holds a {type(n).__name__}, "
                                           "not names", self.source)
                out.append(n)
        return out

    # --- groups and datasets ------------------------------------------------------------
    def has(self, name, parent=None):
        return name in (self._file if parent is None else parent)

    def _child(self, parent, path):
        obj = parent
        for part in path.split("/"):
            if not part:
                continue
            if part not in obj:
                raise CorruptFileError(f"{obj.name.rstrip('/')}/{part} is missing", self.source)
            link = obj.get(part, getlink=True)
            if not isinstance(link, self._h5.HardLink):
                raise UnsafeContentError(f"{obj.name.rstrip('/')}/{part} is a {type(link).__name__}: links "
                                         "to other places or files are refused", self.source)
            obj = obj[part]
        return obj

    def group(self, path, parent=None):
        obj = self._child(self._file if parent is None else parent, path)
        if not isinstance(obj, self._h5.Group):
            raise CorruptFileError(f"{obj.name} is not a group", self.source)
        return obj

    def _checked_dataset(self, obj):
        if not isinstance(obj, self._h5.Dataset):
            raise CorruptFileError(f"{obj.name} is not a dataset", self.source)
        if obj.dtype.kind not in _NUMERIC or obj.dtype.fields is not None:
            raise UnsafeContentError(f"{obj.name} has dtype {obj.dtype}; only numbers are read", self.source)
        if obj.external or obj.is_virtual:
            raise UnsafeContentError(f"{obj.name} stores its data in another file; refused", self.source)
        return obj

    def dataset(self, group, path, shape, what):
        """The array at `path` under `group`, which must have exactly `shape`."""
        ds = self._checked_dataset(self._child(group, path))
        if tuple(ds.shape) != tuple(shape):
            raise SavingError(f"{what}: weight {path!r} has shape {tuple(ds.shape)} in the file, the "
                              f"model expects {tuple(shape)}: not the same architecture")
        nbytes = int(ds.size) * ds.dtype.itemsize
        if nbytes > self.left:
            raise UnsafeContentError(f"{ds.name} would take the bytes read past the size limit "
                                     "(lamina.saving.set_size_limit raises it)", self.source)
        self.left -= nbytes
        try:
            return np.array(ds[()])
        except (OSError, ValueError, RuntimeError) as e:
            raise CorruptFileError(f"cannot read {ds.name} ({e})", self.source) from None

    def declared_nbytes(self, group):
        """Bytes the datasets under `group` declare (metadata only), links refused."""
        total, seen, stack = 0, 0, [group]
        while stack:
            g = stack.pop()
            for name in list(g):
                seen += 1
                if seen > _MAX_OBJECTS:
                    raise UnsafeContentError("the HDF5 file has too many objects", self.source)
                obj = self._child(g, name)
                if isinstance(obj, self._h5.Group):
                    stack.append(obj)
                else:
                    ds = self._checked_dataset(obj)
                    total += int(np.prod(ds.shape, dtype=np.float64)) * ds.dtype.itemsize
        return total


# --- configs ---------------------------------------------------------------------------------
_MODEL_MODULES = {"Sequential": "keras", "Functional": registry.FUNCTIONAL_MODULE,
                  "Model": registry.FUNCTIONAL_MODULE}


def _builtin_module(class_name):
    if class_name in _MODEL_MODULES:
        return _MODEL_MODULES[class_name]
    for kind in ("layer", "model"):
        if registry.builtin(kind, class_name) is not None:
            return registry.KERAS_MODULES[kind]
    return None  # a custom class: found through custom_objects / the registry


def modern_config(entry):
    """A legacy {"class_name", "config"} entry (and its layers) in the Keras 3 form lamina reads."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise CorruptFileError(f"a model config entry must be an object with a class_name, got "
                               f"{str(entry)[:80]!r}")
    out = dict(entry)
    if out["class_name"] == "Model":  # tf.keras before 2.4 called functional models "Model"
        out["class_name"] = "Functional"
    if "module" not in out:
        module = _builtin_module(out["class_name"])
        if module is not None:
            out["module"] = module
    config = out.get("config")
    if isinstance(config, dict):
        config = dict(config)
        if isinstance(config.get("layers"), list):
            config["layers"] = [modern_config(layer) for layer in config["layers"]]
        if out["class_name"] == "InputLayer" and "batch_input_shape" in config:  # tf.keras files
            config["batch_shape"] = config.pop("batch_input_shape")
        out["config"] = config
    return out
