"""TensorFlow's top-level tensor functions (creation, shape, matmul, printing...) on lamina ops.

Argument names and orders, defaults and dtypes are TensorFlow's: `tf.constant(1.)` is float32,
`tf.range(5)` int32, `tf.shape(x)` an int32 tensor, `tf.one_hot` float32, `tf.where(c)` the int64
indices of the true entries.
"""
import contextlib
import functools
import sys

import numpy as np

from lamina import ops
from lamina.compat.tensorflow._common import dtype_of, shape_tuple, value
from lamina.engine.tensor import Tensor


# creation ---------------------------------------------------------------------------------
def constant(value_, dtype=None, shape=None, name=None):
    """A tensor holding `value_` (Python floats -> float32, ints -> int32; arrays keep their dtype)."""
    a = np.array(value(value_, dtype))
    if shape is not None:
        shape = shape_tuple(shape)
        a = np.broadcast_to(a, shape).copy() if a.size == 1 else a.reshape(shape)
    return Tensor(a)


def convert_to_tensor(value_, dtype=None, dtype_hint=None, name=None):
    if isinstance(value_, Tensor) and (dtype is None or value_.dtype == dtype_of(dtype)):
        return value_ if type(value_) is Tensor else ops.convert_to_tensor(value_)
    if isinstance(value_, Tensor):
        raise ValueError(f"convert_to_tensor: a {value_.dtype} tensor cannot be converted to "
                         f"{dtype_of(dtype)}; use tf.cast")
    if dtype is None and dtype_hint is not None and not isinstance(value_, np.ndarray):
        dtype = dtype_hint
    return Tensor(np.array(value(value_, dtype)))


def cast(x, dtype, name=None):
    """`x` as `dtype` (float to int truncates toward zero); the gradient flows between floats."""
    return ops.cast(x, dtype_of(dtype))


def zeros(shape, dtype="float32", name=None):
    return Tensor(np.zeros(shape_tuple(shape), dtype_of(dtype)))


def ones(shape, dtype="float32", name=None):
    return Tensor(np.ones(shape_tuple(shape), dtype_of(dtype)))


def zeros_like(input, dtype=None, name=None):  # noqa: A002  (TensorFlow name)
    return Tensor(np.zeros_like(value(input), dtype=dtype_of(dtype)))


def ones_like(input, dtype=None, name=None):  # noqa: A002
    return Tensor(np.ones_like(value(input), dtype=dtype_of(dtype)))


def fill(dims, value_, name=None):
    """A tensor of shape `dims` filled with `value_` (its dtype as in `tf.constant`)."""
    v = value(value_)
    return Tensor(np.full(shape_tuple(dims), v, dtype=v.dtype))


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001  (TensorFlow name)
    """[start, limit) by `delta`; int32 for integer arguments, float32 if any is a float."""
    if limit is None:
        start, limit = 0, start
    args = [value(a) for a in (start, limit, delta)]
    floats = [a.dtype for a in args if a.dtype.kind == "f"]
    dt = dtype_of(dtype) if dtype is not None else (np.result_type(*floats) if floats else np.result_type(*args))
    return Tensor(np.arange(*(a.item() for a in args), dtype=dt))


def linspace(start, stop, num, name=None, axis=0):
    """`num` evenly spaced values from start to stop inclusive (float32 for Python floats)."""
    a, b = value(start), value(stop)
    dt = np.result_type(a, b)
    if dt.kind != "f":
        raise TypeError(f"tf.linspace: start and stop must be floats, got {a.dtype} and {b.dtype} "
                        "(write 0. instead of 0)")
    return Tensor(np.linspace(a, b, int(num), axis=axis).astype(dt))


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32", name=None):
    a = np.eye(int(num_rows), None if num_columns is None else int(num_columns), dtype=dtype_of(dtype))
    if batch_shape is not None:
        a = np.broadcast_to(a, shape_tuple(batch_shape) + a.shape).copy()
    return Tensor(a)


# shape ------------------------------------------------------------------------------------
def reshape(tensor, shape, name=None):
    return ops.reshape(tensor, shape_tuple(shape))


def transpose(a, perm=None, conjugate=False, name=None):
    return ops.transpose(a, None if perm is None else shape_tuple(perm))


def concat(values, axis, name=None):
    return ops.concatenate(list(values), axis=int(axis))


def stack(values, axis=0, name="stack"):
    return ops.stack(list(values), axis=int(axis))


def unstack(value_, num=None, axis=0, name="unstack"):
    return ops.unstack(value_, num=num, axis=axis)


def squeeze(input, axis=None, name=None):  # noqa: A002
    return ops.squeeze(input, axis=tuple(axis) if isinstance(axis, list) else axis)


def expand_dims(input, axis, name=None):  # noqa: A002
    return ops.expand_dims(input, int(axis))


def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Rows (or slices along `axis`, default 0) of `params` picked by `indices`."""
    if batch_dims != 0:
        raise NotImplementedError(f"tf.gather: batch_dims={batch_dims} is not implemented (only 0)")
    return ops.take(params, indices, axis=0 if axis is None else int(axis))


def tile(input, multiples, name=None):  # noqa: A002
    return ops.tile(input, shape_tuple(multiples))


def split(value_, num_or_size_splits, axis=0, num=None, name="split"):
    if np.ndim(num_or_size_splits) == 0:
        return ops.split(value_, int(num_or_size_splits), axis=axis)
    cuts = np.cumsum(np.asarray(num_or_size_splits)[:-1]).tolist()
    return ops.split(value_, cuts, axis=axis)


def shape(input, out_type="int32", name=None):  # noqa: A002
    """The shape of `input` as a 1-D integer tensor."""
    return Tensor(np.array(np.shape(value(input)), dtype=dtype_of(out_type)))


def size(input, out_type="int32", name=None):  # noqa: A002
    return Tensor(np.array(np.size(value(input)), dtype=dtype_of(out_type)))


def rank(input, name=None):  # noqa: A002
    return Tensor(np.array(np.ndim(value(input)), dtype=np.int32))


# math that lives at the top level ---------------------------------------------------------
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """a @ b over the last two axes (batched), optionally transposing either operand first."""
    if transpose_a or adjoint_a:
        a = ops.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = ops.swapaxes(b, -1, -2)
    out = ops.matmul(a, b)
    return out if output_type is None else ops.cast(out, dtype_of(output_type))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot vectors of length `depth` (float32 by default; -1 or out-of-range gives all off)."""
    idx = value(indices)
    dt = dtype_of(dtype) if dtype is not None else (
        value(on_value).dtype if on_value is not None else np.dtype("float32"))
    on = 1 if on_value is None else value(on_value).item()
    off = 0 if off_value is None else value(off_value).item()
    hot = idx[..., None] == np.arange(int(depth))
    out = np.where(hot, on, off).astype(dt)
    if axis is not None and axis != -1:
        out = np.moveaxis(out, -1, axis)
    return Tensor(out)


def where(condition, x=None, y=None, name=None):
    """With x and y: elementwise choice; alone: the int64 indices (one row per true entry)."""
    if x is None and y is None:
        return Tensor(np.argwhere(value(condition)).astype(np.int64))
    if x is None or y is None:
        raise ValueError("tf.where: pass both x and y, or neither")
    return ops.where(condition, x, y)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    return ops.clip(t, clip_value_min, clip_value_max)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """`t` scaled down so that its L2 norm over `axes` is at most `clip_norm`."""
    norm = ops.sqrt(ops.sum(ops.square(t), axis=axes, keepdims=True))
    return ops.divide(ops.multiply(t, clip_norm), ops.maximum(norm, clip_norm))


def global_norm(t_list, name=None):
    """sqrt of the sum of squares of every entry of every tensor in `t_list` (None skipped)."""
    squares = [ops.sum(ops.square(t)) for t in t_list if t is not None]
    if not squares:
        raise ValueError("tf.linalg.global_norm: t_list has no tensors")
    total = squares[0]
    for s in squares[1:]:
        total = ops.add(total, s)
    return ops.sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(the tensors scaled by clip_norm / max(global_norm, clip_norm), the global norm)."""
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else ops.convert_to_tensor(use_norm)
    scale = ops.divide(clip_norm, ops.maximum(norm, clip_norm))
    return [None if t is None else ops.multiply(t, scale) for t in t_list], norm


def identity(input, name=None):  # noqa: A002
    """The same values as a new tensor (the gradient passes through)."""
    return ops.copy(input)


def stop_gradient(input, name=None):  # noqa: A002
    return ops.stop_gradient(input)


def is_tensor(x):
    return isinstance(x, Tensor)


def executing_eagerly():
    return True


# functions, devices, printing --------------------------------------------------------------
def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             experimental_implements=None, experimental_autograph_options=None,
             experimental_attributes=None, experimental_relax_shapes=None,
             experimental_compile=None, experimental_follow_type_hints=None):
    """`@tf.function` (with or without arguments): lamina runs the Python function eagerly."""
    if func is None:
        return lambda f: function(f)
    if not callable(func):
        raise TypeError(f"tf.function expects a callable, got {type(func).__name__}")

    @functools.wraps(func)
    def eager(*args, **kwargs):
        return func(*args, **kwargs)

    eager.python_function = func
    return eager


@contextlib.contextmanager
def device(device_name):
    """`with tf.device("/CPU:0"):` - accepted; lamina computes on the CPU."""
    yield


@contextlib.contextmanager
def name_scope(name):
    yield name


def _format(x, summarize):
    if isinstance(x, Tensor):
        x = x.data
    if isinstance(x, np.ndarray):
        edge = 3 if summarize is None else (sys.maxsize if summarize < 0 else int(summarize))
        big = any(d > 2 * edge for d in x.shape)
        with np.printoptions(threshold=0 if big else sys.maxsize, edgeitems=min(edge, 1000)):
            return np.array2string(x, separator=" ")
    return str(x)


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """Print tensors like TensorFlow (to sys.stderr by default; `summarize` items per axis end)."""
    stream = sys.stderr if output_stream is None else output_stream
    if isinstance(stream, str):
        raise NotImplementedError("tf.print: output_stream as a 'file://' path is not implemented; "
                                  "pass sys.stdout, sys.stderr or an open file")
    stream.write(sep.join(_format(x, summarize) for x in inputs) + end)
