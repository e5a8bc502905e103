"""Safe loading of Keras's dataset files: `.npz` archives and pickled CIFAR batches.

The IMDB and Reuters archives store ragged sequences as object arrays, which NumPy can only
save as pickles, and the CIFAR batches are pickles. `np.load(allow_pickle=True)` would run
whatever a tampered file asks for; here numeric arrays load with pickling disabled and every
pickle goes through `RestrictedUnpickler`, which only resolves the globals that rebuild a
NumPy array. Loading a file therefore never executes code from it, and never takes more
memory than its bytes can honestly describe: a pickle can refer to one list many times
(its memo), so after unpickling the elements reachable from an object array are counted
and refused beyond one per pickled byte (every genuine element costs at least one byte).
"""

import gc
import io
import pickle
import zipfile

import numpy as np

# The only globals a genuine dataset pickle references (numpy < 2 and numpy >= 2 spellings).
ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
})  # fmt: skip


class RestrictedUnpickler(pickle.Unpickler):
    """A `pickle.Unpickler` that resolves only `ALLOWED_GLOBALS` and refuses everything else."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load global {module}.{name!s} from a dataset pickle: only NumPy array "
            "reconstruction is allowed. The file is corrupted or malicious; delete it and "
            "download it again."
        )


def restricted_loads(data, encoding="latin1"):
    """Unpickle `data` (bytes or a binary file) allowing only NumPy array reconstruction.

    `encoding` decodes Python 2 `str` objects: "latin1" (NumPy's advice for Python 2 arrays)
    or "bytes" (keep them as bytes, as the CIFAR batches need).
    """
    fp = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    enabled = gc.isenabled()
    gc.disable()  # an object array of 25,000 lists would trigger many useless collections
    try:
        return RestrictedUnpickler(fp, encoding=encoding).load()
    finally:
        if enabled:
            gc.enable()


def expanded_size(obj, limit):
    """Elements reachable from `obj` (nested lists, tuples and arrays), counting shared or
    cyclic references each time they are reached; stops counting once past `limit`."""
    total, stack = 0, [obj]
    while stack and total <= limit:
        o = stack.pop()
        if isinstance(o, np.ndarray):
            total += o.size
            if o.dtype.hasobject:
                stack.extend(o.ravel().tolist())
        elif isinstance(o, (list, tuple)):
            total += len(o)
            stack.extend(v for v in o if isinstance(v, (list, tuple, np.ndarray)))
    return total


def _read_npy(fp, source="the archive"):
    """One `.npy` member: numeric arrays with pickling off, object arrays restricted."""
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        # Format 3.0 differs from 2.0 only in the header's text encoding (utf-8).
        shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    if not dtype.hasobject:
        fp.seek(0)
        return np.lib.format.read_array(fp, allow_pickle=False)
    start = fp.tell()
    fp.seek(0, io.SEEK_END)
    nbytes = fp.tell() - start
    fp.seek(start)
    out = restricted_loads(fp)
    if not isinstance(out, np.ndarray) or out.shape != shape:
        raise ValueError(
            f"{source}: pickled member holds {type(out).__name__} {getattr(out, 'shape', '')}, "
            f"expected an array of shape {shape}; the file is corrupted"
        )
    if expanded_size(out, nbytes) > nbytes:
        raise ValueError(
            f"{source}: a pickle of {nbytes} bytes expands to more than {nbytes} elements (the "
            "same list referenced many times, or a list containing itself); a genuine dataset "
            "spends at least one byte per element. The file is corrupted or malicious; delete "
            "it and download it again."
        )
    return out


def load_npz(path):
    """Load every `name.npy` member of the `.npz` archive at `path` into a dict of arrays."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                source = f"{path} (member {member!r})"
                arrays[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)), source)
    return arrays
