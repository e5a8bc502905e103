"""Tensors and Variables: thin wrappers around NumPy arrays that the tape can track.

A `Tensor` is an immutable value (`.data`, a NumPy array) plus, when it was produced by a
recorded op, the graph node that made it. A `Variable` is named mutable state (weights):
a Tensor whose array is updated in place by `assign*`, and a permanent leaf of the graph.
"""
import weakref

import numpy as np

from lamina.engine import dtypes, scopes
from lamina.engine.graph import STATE, Node, VariableLeaf
from lamina.engine.sparse import is_sparse


class Tensor:
    """An immutable array value; arithmetic and indexing dispatch to `lamina.ops`.

    Works with NumPy: `np.asarray(t)` gives the array, NumPy ufuncs on tensors map to
    lamina ops (so `np.exp(t)` is differentiable) where an equivalent op exists.
    """

    # `_keras_logits_from` ("softmax"/"sigmoid", set with `_keras_logits`) names the activation
    # whose input `_keras_logits` holds; unset on other tensors (read it with getattr)
    __slots__ = ("data", "_node", "_keras_logits", "_keras_logits_from", "_keras_mask", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, data, node=None):
        self.data = data
        self._node = node
        self._keras_logits = None
        self._keras_mask = None

    # NumPy-like read-only attributes -------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def numpy(self):
        """The value as a NumPy array (shares memory; do not modify it in place)."""
        return self.data

    def item(self):
        return self.data.item()

    def __array__(self, dtype=None, copy=None):
        a = self.data
        if dtype is not None and a.dtype != dtype:
            return a.astype(dtype)
        return a.copy() if copy else a

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a scalar) is undefined")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor (a scalar)")
        for i in range(self.data.shape[0]):
            yield self[i]

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def __index__(self):
        return self.data.__index__()

    def __format__(self, spec):
        if not spec:  # f"{t}": as str(t) (a float32 prints 0.1, not 0.10000000149011612)
            return str(self)
        if self.data.ndim == 0 or self.data.size == 1:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        body = np.array2string(np.asarray(self.data), separator=", ", prefix="lamina.Tensor(")
        return f"lamina.Tensor({body}, shape={self.shape}, dtype={self.dtype})"

    def __str__(self):
        return str(self.data)

    __hash__ = object.__hash__  # identity: `==` is elementwise, as for arrays

    def __setitem__(self, key, value):
        raise TypeError(
            "a lamina Tensor is immutable: use a lamina.Variable and .assign(), or build a new "
            "tensor with lamina.ops.where / lamina.ops.scatter_update"
        )

    # Arithmetic, comparison and indexing operators, the array-style methods (.sum, .T, ...)
    # and `__array_ufunc__` (np.exp(t) -> ops.exp) are bound onto this class by
    # lamina/ops/_operators.py: the engine imports nothing above it.


class Variable(Tensor):
    """Named, mutable, optionally trainable state holding an array (float32 by default).

    `initializer` is an array-like value, or a callable/initializer name used with `shape`
    (names are resolved by the function `lamina.initializers` registers with
    `set_initializer_resolver`). Trainable variables are watched by every GradientTape
    automatically.

    Storage: `.data` is the variable's array, updated in place by `assign*`. When an optimizer
    builds for a set of variables (lamina/optimizers/base.py), it moves each variable's storage
    into one flat per-dtype buffer: `.data` becomes a view of that buffer (same shape and dtype),
    so the update rule runs on a few whole arrays. Code that replaces `.data` by a new array
    detaches the variable from the buffer; use `assign` to change the value.
    """

    __slots__ = ("name", "trainable", "_leaf", "constraint", "path", "regularizer",
                 "overwrite_with_gradient")

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        name=None,
        constraint=None,
        overwrite_with_gradient=False,
        **kwargs,
    ):
        unknown = set(kwargs) - {"autocast", "aggregation", "synchronization"}
        if unknown:
            raise TypeError(f"Variable() got unexpected keyword arguments {sorted(unknown)}")
        value = _initial_value(initializer, shape, dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name!r}: initial value has shape {value.shape}, expected {tuple(shape)}"
            )
        Tensor.__init__(self, value)
        self.name = name or "variable"
        self.path = scopes.scoped(self.name)
        self.trainable = bool(trainable)
        self.constraint = constraint
        self.regularizer = None
        # optimizers assign this variable its "gradient" instead of descending (float8 scales)
        self.overwrite_with_gradient = bool(overwrite_with_gradient)
        self._leaf = VariableLeaf(self.data.shape, self.data.dtype, weakref.ref(self))

    @property
    def value(self):
        """The current value as a Tensor (tracked by an active tape like the variable)."""
        return Tensor(self.data, node_of(self))

    def assign(self, value):
        """Replace the value in place (same shape); returns the variable."""
        value = value.data if isinstance(value, Tensor) else value
        arr = np.asarray(value)
        if arr.shape != self.data.shape:
            raise ValueError(
                f"cannot assign a value of shape {arr.shape} to variable {self.path!r} of shape "
                f"{self.data.shape}"
            )
        scopes.before_assign(self)
        np.copyto(self.data, arr, casting="unsafe")
        return self

    def assign_add(self, delta):
        scopes.before_assign(self)
        self.data += delta.data if isinstance(delta, Tensor) else np.asarray(delta, self.dtype)
        return self

    def assign_sub(self, delta):
        scopes.before_assign(self)
        self.data -= delta.data if isinstance(delta, Tensor) else np.asarray(delta, self.dtype)
        return self

    def __repr__(self):
        return (
            f"<lamina.Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
            f"value={np.array2string(self.data, threshold=20)}>"
        )


_INITIALIZER_RESOLVER = []  # [fn(name) -> callable(shape, dtype)], set by lamina.initializers


def set_initializer_resolver(resolve):
    """Let `Variable("glorot_uniform", shape=...)` resolve initializer names with `resolve`
    (called once by lamina/initializers/__init__.py, a floor above the engine)."""
    _INITIALIZER_RESOLVER[:] = [resolve]


def _resolve_initializer(name):
    if not _INITIALIZER_RESOLVER:
        raise ValueError(f"Variable: cannot resolve the initializer name {name!r}: no initializer "
                         "names are registered (import lamina, or pass a callable or an array)")
    return _INITIALIZER_RESOLVER[0](name)


def _initial_value(initializer, shape, dtype):
    # As in Keras, a Variable's dtype is `dtype` or floatx, whatever the initial value's dtype.
    dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.floatx()
    if isinstance(initializer, Tensor):
        initializer = initializer.data
    if isinstance(initializer, str) or (callable(initializer) and not hasattr(initializer, "shape")):
        if shape is None:
            raise ValueError("Variable: when the initializer is a callable or a name, pass `shape=`")
        if isinstance(initializer, str):
            initializer = _resolve_initializer(initializer)
        initializer = initializer(tuple(shape), dtype=dtype)
        if isinstance(initializer, Tensor):
            initializer = initializer.data
    return np.array(initializer, dtype=dtype, order="C")  # a private C-contiguous copy (0-d stays 0-d)


def node_of(x):
    """The graph node through which gradients reach `x`, or None if `x` is not tracked."""
    t = type(x)
    if t is Tensor:
        return x._node
    if t is np.ndarray:
        if STATE.watched:
            entry = STATE.watched.get(id(x))
            return entry[1] if entry is not None else None
        return None
    if t is Variable or isinstance(x, Variable):
        if (x.trainable and STATE.auto_watch) or id(x) in STATE.watched:
            return x._leaf
        return None
    if isinstance(x, Tensor):  # a user subclass of Tensor
        return x._node
    return None


def record(out, inputs, backward):
    """Wrap `out` as a Tensor; if a tape records and an input is tracked, attach a Node.

    `backward(g, need)` returns one gradient (or None) per entry of `inputs`.
    """
    if type(out) is not np.ndarray:
        out = np.asarray(out)
    if not STATE.recording:
        return Tensor(out)
    parents = tuple(map(node_of, inputs))
    if parents.count(None) == len(parents):
        return Tensor(out)
    return Tensor(out, Node(parents, backward, out.shape, out.dtype, STATE.tapes))


def data_of(x):
    """The NumPy value of an op argument (Tensor, Variable, array, scalar or nested list)."""
    t = type(x)
    if t is np.ndarray:
        return x
    if t is Tensor or t is Variable or isinstance(x, Tensor):
        return x.data
    if t is float or t is int or t is bool:
        return x  # weak Python scalars: NumPy keeps the array's dtype (no float64 upcast)
    if t is np.float64 or (isinstance(x, np.generic) and x.dtype.kind in "iub"):
        return x.item()  # NumPy's default scalars (np.sqrt(2.0), np.int64(3)) are weak too
    return as_array(x)


def as_array(x, dtype=None):
    """Convert any array-like to a NumPy array with Keras's default dtypes.

    Python floats and float lists become floatx (float32), Python ints int32, as
    `keras.ops.convert_to_tensor` does; NumPy arrays keep their dtype (float64 stays).
    """
    if isinstance(x, Tensor):
        x = x.data
    if dtype is not None:
        return np.asarray(x, dtype=dtypes.standardize(dtype))
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, np.generic):
        return np.asarray(x)
    if is_sparse(x):  # scipy.sparse: leave it to the caller
        raise TypeError(
            "a scipy.sparse matrix is only accepted as the left operand of matmul/dot; "
            "call .toarray() to densify it elsewhere"
        )
    try:
        arr = np.asarray(x)
    except ValueError:  # NumPy >= 1.24 refuses ragged nested sequences
        arr = np.empty(0, dtype=object)
    if arr.dtype == np.float64:
        return arr.astype(dtypes.floatx())
    if arr.dtype == np.int64 and not isinstance(x, np.ndarray):
        return arr.astype(np.int32)
    if arr.dtype == object:
        raise TypeError(
            "cannot convert a ragged or mixed-type sequence to a tensor (got an object array); "
            "pad sequences with lamina.utils.pad_sequences or encode them first"
        )
    return arr
