"""Weight stores: Keras 3's HDF5 layout, and lamina's pickle-free npz alternative.

Both hold, for each saveable object (model, layer, optimizer) at a path such as
"layers/dense" or "optimizer", its own variables as arrays "0", "1", ... :
- HDF5 (`model.weights.h5`, `*.weights.h5`): group `<path>/vars` (the model's own is the
  root `vars`) with a "name" attribute and datasets "0", "1", ..., as Keras writes them.
  Needs h5py (`pip install lamina[h5]`).
- npz (`model.weights.npz`, `*.weights.npz`): one `.npy` member per array, named
  `<path>/vars/<i>.npy`, plain numbers only. Keras's own npz pickles whole dicts, which
  lamina refuses to read (loading never unpickles).

Readers check every array before reading it: numeric dtype, no links to other files, and
a byte budget, so a hostile file cannot make lamina read other files or allocate without
bound.
"""
import io
import json
import zipfile

import numpy as np

from lamina.saving import files
from lamina.codec.errors import CorruptFileError, UnsafeContentError


class _H5:
    module = False  # not looked up yet


def _h5py():
    """h5py, imported on first use (optional: `pip install lamina[h5]`); None if absent."""
    if _H5.module is False:
        try:
            import h5py  # noqa: PLC0415  (optional: h5py)
        except ImportError:
            h5py = None
        _H5.module = h5py
    return _H5.module

FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # zip member dates: saving twice gives the same bytes
_NUMERIC = "biuf"


def h5py_available():
    return _h5py() is not None


def require_h5py(what):
    if _h5py() is None:
        raise ImportError(
            f"{what} needs h5py, which is not installed: `pip install lamina[h5]` (or "
            "`pip install h5py`), or use the npz format (`.weights.npz`, or "
            "model.save(path, weights_format='npz'))"
        )


def _vars_key(path):
    return f"{path}/vars" if path else "vars"


def _zip_info(name):
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


# --- writing -----------------------------------------------------------------------------

def _named(arrays):
    """(name, array) pairs of a list ("0", "1", ...) or a dict of arrays."""
    if isinstance(arrays, dict):
        return [(str(k), a) for k, a in arrays.items()]
    return [(str(i), a) for i, a in enumerate(arrays)]


class H5Writer:
    """Collects (path, name, arrays) and produces the bytes of a Keras-layout HDF5 file."""

    suffix = ".h5"

    def __init__(self):
        require_h5py("saving weights in HDF5")
        h5py = _h5py()
        self._buffer = io.BytesIO()
        self._file = h5py.File(self._buffer, "w", track_order=None)

    def put(self, path, name, arrays):
        """`arrays`: a list (datasets "0", "1", ...) or a {dataset name: array} dict."""
        group = self._file.create_group(_vars_key(path))
        if name is not None:
            group.attrs["name"] = name
        for key, a in _named(arrays):
            group.create_dataset(key, data=np.asarray(a))

    def getvalue(self):
        self._file.close()
        return self._buffer.getvalue()


class NpzWriter:
    """Collects arrays and produces an npz (a zip of `.npy` members) with fixed dates."""

    suffix = ".npz"

    def __init__(self):
        self._arrays = []
        self._names = {}

    def put(self, path, name, arrays):
        self._names[_vars_key(path)] = name
        for key, a in _named(arrays):
            self._arrays.append((f"{_vars_key(path)}/{key}", np.asarray(a)))

    def getvalue(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr(_zip_info("__names__.json"), json.dumps(self._names, sort_keys=True))
            for key, a in self._arrays:
                member = io.BytesIO()
                np.lib.format.write_array(member, np.array(a, order="C"), allow_pickle=False)
                zf.writestr(_zip_info(key + ".npy"), member.getvalue())
        return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------

class _Budget:
    """Bytes that may still be read from one file (a guard against decompression bombs)."""

    def __init__(self, limit, source):
        self.left = int(limit)
        self.source = source

    def take(self, nbytes, what):
        if nbytes > self.left:
            raise UnsafeContentError(
                f"{what} would need {nbytes:,} more bytes, over the size limit for this file "
                "(lamina.saving.set_size_limit raises it for a file you trust)", self.source)
        self.left -= nbytes


class Entry:
    """The arrays stored for one saveable: `keys()` ("0", "1", ...) and `read(key)`."""

    def __init__(self, reader, path, keys):
        self.reader = reader
        self.path = path
        self._keys = sorted(keys, key=lambda k: (len(k), k))

    def keys(self):
        return list(self._keys)

    def __len__(self):
        return len(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def shape(self, key):
        return self.reader._shape(self.path, key)

    def read(self, key):
        return self.reader._read(self.path, key)


class H5Reader:
    """Reads a Keras-layout HDF5 weights file from bytes, refusing links and odd datasets."""

    def __init__(self, data, source, limit):
        require_h5py("reading HDF5 weights")
        self._h5 = h5py = _h5py()
        self.source = source
        self.budget = _Budget(limit, source)
        if not data.startswith(b"\x89HDF\r\n\x1a\n"):
            raise CorruptFileError("the weights are not an HDF5 file (wrong magic bytes)", source)
        try:
            self._file = h5py.File(io.BytesIO(data), "r")
            self._paths = self._collect()
        except (CorruptFileError, UnsafeContentError):
            raise
        except Exception as e:  # noqa: BLE001  (h5py raises many kinds on damaged files)
            raise CorruptFileError(f"the HDF5 weights cannot be read ({e})", source) from None

    def _collect(self):
        """{saveable path: [dataset names]} for every `.../vars` group."""
        out = {}
        stack = [("", self._file)]
        seen = 0
        while stack:
            prefix, group = stack.pop()
            for name in list(group.keys()):
                seen += 1
                if seen > 100_000:
                    raise UnsafeContentError("the HDF5 file has too many objects", self.source)
                link = group.get(name, getlink=True)
                if not isinstance(link, self._h5.HardLink):
                    raise UnsafeContentError(
                        f"the HDF5 weights contain a {type(link).__name__} at "
                        f"{prefix + name!r}: links to other places or files are refused", self.source)
                obj = group[name]
                full = f"{prefix}{name}"
                if isinstance(obj, self._h5.Group):
                    if name == "vars":
                        out[prefix.rstrip("/")] = list(obj)
                    stack.append((full + "/", obj))
        return out

    def paths(self):
        return list(self._paths)

    def declared_nbytes(self):
        """Bytes the file's datasets really hold (metadata only: nothing is read). A dataset
        counts the storage HDF5 allocated for it (times the zip ratio when it is filtered,
        i.e. compressed), never its declared shape: a never-written chunked dataset with a
        fill value declares any size but stores nothing."""
        total = 0
        for path, keys in self._paths.items():
            for key in keys:
                try:
                    total += self._stored_nbytes(self._file[_vars_key(path)][key])
                except (OSError, KeyError, ValueError, RuntimeError, TypeError, AttributeError):
                    continue  # reading it later reports the damage
        return total

    def _stored_nbytes(self, ds):
        """min(declared bytes, allocated bytes x the allowed expansion) of dataset `ds`."""
        declared = int(np.prod(ds.shape, dtype=np.float64)) * ds.dtype.itemsize
        stored = int(ds.id.get_storage_size())
        filtered = ds.chunks is not None and ds.id.get_create_plist().get_nfilters() > 0
        return min(declared, stored * (files._Limits.ratio if filtered else 1))

    def get(self, path):
        keys = self._paths.get(path)
        return None if keys is None else Entry(self, path, keys)

    def name_of(self, path):
        try:
            name = self._file[_vars_key(path)].attrs.get("name")
        except (KeyError, OSError):
            return None
        return name.decode() if isinstance(name, bytes) else name

    def _dataset(self, path, key):
        ds = self._file[_vars_key(path)][key]
        where = f"{_vars_key(path)}/{key}"
        if not isinstance(ds, self._h5.Dataset):
            raise CorruptFileError(f"{where} is not a dataset", self.source)
        if ds.dtype.kind not in _NUMERIC or ds.dtype.fields is not None:
            raise UnsafeContentError(f"{where} has dtype {ds.dtype}; only numbers are read", self.source)
        if ds.external or ds.is_virtual:
            raise UnsafeContentError(f"{where} stores its data in another file; refused", self.source)
        return ds, where

    def _shape(self, path, key):
        try:
            return tuple(self._dataset(path, key)[0].shape)
        except (OSError, KeyError, ValueError, RuntimeError) as e:
            raise CorruptFileError(f"cannot read {_vars_key(path)}/{key} ({e})", self.source) from None

    def _read(self, path, key):
        try:
            ds, where = self._dataset(path, key)
            declared = int(ds.size) * ds.dtype.itemsize
            if declared > self._stored_nbytes(ds):
                raise UnsafeContentError(
                    f"dataset {where} declares {declared:,} bytes but the file stores only "
                    f"{int(ds.id.get_storage_size()):,} for it (unwritten or over-compressed data)",
                    self.source)
            self.budget.take(declared, f"dataset {where}")
            return np.array(ds[()])
        except (OSError, KeyError, ValueError, RuntimeError, TypeError) as e:
            if isinstance(e, (CorruptFileError, UnsafeContentError)):
                raise
            raise CorruptFileError(f"cannot read {_vars_key(path)}/{key} ({e})", self.source) from None

    def close(self):
        self._file.close()


class NpzReader:
    """Reads lamina's npz weights from bytes with `allow_pickle=False` and size checks."""

    def __init__(self, data, source, limit):
        self.source = source
        self.budget = _Budget(limit, source)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise CorruptFileError(f"the npz weights are not a valid zip ({e})", source) from None
        self._members = {}
        self._paths = {}
        for info in infos:
            name = info.filename
            if not name.endswith(".npy") or ".." in name.split("/") or name.startswith("/"):
                continue
            parts = name[:-4].split("/")
            if len(parts) < 2 or parts[-2] != "vars":
                continue
            path = "/".join(parts[:-2])
            self._members[(path, parts[-1])] = info
            self._paths.setdefault(path, []).append(parts[-1])
        if not self._members and any(i.filename.endswith(".npy") for i in infos):
            raise UnsafeContentError(
                "these npz weights are not in lamina's layout (Keras's npz format pickles its "
                "arrays, which lamina never loads): re-save the model with HDF5 weights", source)

    def paths(self):
        return list(self._paths)

    def declared_nbytes(self):
        """Uncompressed bytes of the arrays (an array holds at most its member's size, and a
        member expands at most by the zip ratio, checked here)."""
        return sum(info.file_size for info in self._members.values()
                   if info.file_size <= files.check_expansion(info, self.source))

    def get(self, path):
        keys = self._paths.get(path)
        return None if keys is None else Entry(self, path, keys)

    def name_of(self, path):
        return None

    def _header(self, path, key):
        info = self._members[(path, key)]
        try:
            with self._zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"unsupported .npy format version {version}")
        except (ValueError, zipfile.BadZipFile, OSError, EOFError, SyntaxError, KeyError, TypeError) as e:
            raise CorruptFileError(f"{info.filename} is not a valid .npy array ({e})", self.source) from None
        if dtype.kind not in _NUMERIC or dtype.fields is not None or dtype.hasobject:
            raise UnsafeContentError(f"{info.filename} has dtype {dtype}; only numbers are read", self.source)
        return info, tuple(int(s) for s in shape), dtype

    def _shape(self, path, key):
        return self._header(path, key)[1]

    def _read(self, path, key):
        info, shape, dtype = self._header(path, key)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes > info.file_size:
            raise CorruptFileError(f"{info.filename} declares more data than it holds", self.source)
        files.check_expansion(info, self.source)
        self.budget.take(nbytes, f"array {info.filename}")
        try:
            with self._zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except (ValueError, zipfile.BadZipFile, OSError, EOFError) as e:
            raise CorruptFileError(f"cannot read {info.filename} ({e})", self.source) from None

    def close(self):
        self._zip.close()
