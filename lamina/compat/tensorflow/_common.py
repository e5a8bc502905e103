"""Shared pieces of the TensorFlow subset: dtypes, the "not covered" error, argument helpers."""
import numpy as np

from lamina import random as _random
from lamina.engine.tensor import Tensor, as_array

float16, float32, float64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
bfloat16 = np.dtype("float32")  # NumPy has no bfloat16: computed in float32
int8, int16, int32, int64 = np.dtype("int8"), np.dtype("int16"), np.dtype("int32"), np.dtype("int64")
uint8, uint16, uint32, uint64 = (np.dtype("uint8"), np.dtype("uint16"), np.dtype("uint32"),
                                 np.dtype("uint64"))
bool_ = np.dtype("bool")
string = np.dtype("object")  # tf.string: NumPy object arrays of str/bytes
DTYPES = {
    "float16": float16, "half": float16, "float32": float32, "float64": float64,
    "double": float64, "bfloat16": bfloat16, "int8": int8, "int16": int16, "int32": int32,
    "int64": int64, "uint8": uint8, "uint16": uint16, "uint32": uint32, "uint64": uint64,
    "bool": bool_, "string": string,
}  # fmt: skip

DOCS = "docs/compat.md"


class NotCoveredError(NotImplementedError, AttributeError):
    """A TensorFlow name outside the subset lamina implements (also an AttributeError, so that
    `hasattr(tf, name)` is False as for a missing attribute)."""


def not_covered(module, name):
    qual = f"{module}.{name}"
    return NotCoveredError(
        f"{qual} is not implemented: lamina implements the TensorFlow subset used by courses "
        f"(tensors, GradientTape, Variable, math, nn, random, data, function, config, keras); "
        f"the covered names are listed in {DOCS}. Use lamina's Keras API (keras.ops.*) instead, "
        f"or install TensorFlow and run without `lamina run`"
    )


def module_getattr(module):
    """A module `__getattr__` raising NotCoveredError for names outside the subset."""

    def __getattr__(name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        raise not_covered(module, name)

    return __getattr__


def dtype_of(dtype):
    """A NumPy dtype for a TF dtype given as tf.float32, 'float32', np.float32..."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"dtype: cannot interpret {dtype!r} as a data type (use tf.float32, "
                        "tf.int32, ...)") from e


def value(x, dtype=None):
    """`x` as a NumPy array with TensorFlow's default dtypes (Python float -> float32, int -> int32)."""
    if isinstance(x, Tensor):
        a = x.data
        return a if dtype is None else a.astype(dtype_of(dtype))
    if dtype is not None:
        return np.asarray(as_array(x) if not isinstance(x, np.ndarray) else x).astype(dtype_of(dtype))
    return as_array(x)


def shape_tuple(shape):
    """A shape given as a list, tuple, int, array or tensor, as a tuple of ints."""
    if isinstance(shape, Tensor):
        shape = shape.data
    if np.ndim(shape) == 0:
        return (int(shape),)
    return tuple(int(d) for d in np.asarray(shape).reshape(-1))


_OP_STREAMS = {}  # op seed -> its stream: repeated calls with one seed give new, repeatable draws


def op_seed(seed):
    """The lamina seed argument for a TensorFlow op-level `seed` (None: the global generator)."""
    if seed is None:
        return None
    seed = int(seed)
    stream = _OP_STREAMS.get(seed)
    if stream is None:
        stream = _OP_STREAMS[seed] = _random.SeedGenerator(seed)
    return stream


def reset_op_seeds():
    """Forget the op-seed streams (`tf.random.set_seed` starts them again)."""
    _OP_STREAMS.clear()
