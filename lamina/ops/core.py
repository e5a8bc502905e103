"""Conversion, casting, stop_gradient and tensor creation."""
import numpy as np

from lamina.engine import dtypes
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor, Variable, as_array, data_of, record
from lamina.ops._base import const


def convert_to_tensor(x, dtype=None, sparse=None):
    """A Tensor holding `x` (Python floats become float32, as in Keras)."""
    if isinstance(x, Tensor) and not isinstance(x, Variable) and dtype is None:
        return x
    if dtype is not None:
        return cast(x, dtype)
    if isinstance(x, Variable):
        return x.value
    return Tensor(as_array(x))


def convert_to_numpy(x):
    """The value of `x` as a NumPy array."""
    if isinstance(x, Tensor):
        return x.data
    if is_sparse(x):
        return x.toarray()
    return np.asarray(x)


def is_tensor(x):
    return isinstance(x, Tensor)


def cast(x, dtype):
    """`x` converted to `dtype`; the gradient flows between float dtypes only."""
    dtype = dtypes.standardize(dtype)
    a = data_of(x) if isinstance(x, Tensor) else as_array(x)
    out = np.asarray(a).astype(dtype, copy=False)
    if not (dtypes.is_float(out.dtype) and dtypes.is_float(np.asarray(a).dtype)):
        return const(out)  # bfloat16 (ml_dtypes) counts as a float
    return record(out, (x,), lambda g, need: (g,))  # the engine casts g back


def stop_gradient(x):
    """The same value, seen as a constant by every tape."""
    return Tensor(data_of(x) if isinstance(x, Tensor) else as_array(x))


def copy(x):
    a = data_of(x)
    return record(np.array(a), (x,), lambda g, need: (g,))


def array(x, dtype=None):
    """A new Tensor holding a copy of `x` (Python floats become float32, as in Keras)."""
    return Tensor(np.array(as_array(x, dtype)))


def ndim(x):
    return np.ndim(data_of(x))


def empty(shape, dtype=None):
    return _creation(np.empty(shape, dtypes.standardize(dtype)))


def dtype(x):
    return dtypes.standardize(np.asarray(data_of(x)).dtype)


def _creation(array):
    return Tensor(array)


def zeros(shape, dtype=None):
    return _creation(np.zeros(shape, dtypes.standardize(dtype)))


def ones(shape, dtype=None):
    return _creation(np.ones(shape, dtypes.standardize(dtype)))


def full(shape, fill_value, dtype=None):
    return _creation(np.full(shape, data_of(fill_value), dtypes.standardize(dtype)))


def zeros_like(x, dtype=None):
    a = np.asarray(data_of(x))
    return _creation(np.zeros(a.shape, dtype or a.dtype))


def ones_like(x, dtype=None):
    a = np.asarray(data_of(x))
    return _creation(np.ones(a.shape, dtype or a.dtype))


def full_like(x, fill_value, dtype=None):
    a = np.asarray(data_of(x))
    return _creation(np.full(a.shape, data_of(fill_value), dtype or a.dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803  (keras.ops name)
    return _creation(np.eye(N, M, k, dtype=dtypes.standardize(dtype)))


identity = eye


def arange(start, stop=None, step=1, dtype=None):
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, stop, step))
        dtype = dtypes.floatx() if is_float else "int32"
    return _creation(np.arange(start, stop, step, dtype=dtypes.standardize(dtype)))


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    return _creation(np.linspace(start, stop, num, endpoint=endpoint, dtype=dtypes.standardize(dtype)))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    return _creation(np.tri(N, M, k, dtype=dtypes.standardize(dtype)))


def triu(x, k=0):
    a = data_of(x)
    mask = np.triu(np.ones(a.shape[-2:], bool), k)
    return record(np.where(mask, a, 0), (x,), lambda g, need: (np.where(mask, g, 0),))


def tril(x, k=0):
    a = data_of(x)
    mask = np.tril(np.ones(a.shape[-2:], bool), k)
    return record(np.where(mask, a, 0), (x,), lambda g, need: (np.where(mask, g, 0),))
