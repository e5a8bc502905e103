"""Symbolic tensors for the functional API: shapes with a `None` batch, and call records.

`keras.Input(shape=(784,))` returns a `KerasTensor`; calling a layer, a `keras.ops` function
or a Python operator (+ - * / ** @, x[...]) on KerasTensors records a `CallNode` and
returns new KerasTensors. A functional `Model(inputs, outputs)` replays those nodes on
real data.
"""
import numpy as np

from lamina.engine import dtypes, tree


class KerasTensor:
    """A placeholder with a static shape (None for unknown dims) and a dtype."""

    def __init__(self, shape, dtype=None, sparse=False, name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        if any(d is not None and not 0 <= d < 1 << 62 for d in self.shape):
            raise ValueError(f"a tensor shape needs dimensions from 0 to 2**62 (or None), got {tuple(shape)}")
        self.dtype = dtypes.standardize(dtype)
        self.sparse = bool(sparse)
        self.name = name
        self._keras_history = history  # (CallNode, output index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        name = f", name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}{name}>"

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "a KerasTensor (the output of keras.Input or of a layer called on one) is a symbolic "
            "placeholder with no values: use keras.ops / keras.layers on it inside the model, or "
            "build a Model(inputs, outputs) and call it on data"
        )

    __array_ufunc__ = None  # ndarray + KerasTensor: NumPy defers to the reflected operator

    def __bool__(self):
        raise TypeError("a symbolic KerasTensor has no truth value (it holds no data): use "
                        "keras.ops.where / keras.ops.cond on tensors, or branch in a layer's call()")

    def __iter__(self):
        raise TypeError("iterating over a symbolic KerasTensor is not supported: index it "
                        "(x[:, 0]) or use keras.ops.unstack(x, num=...) instead")

    def __len__(self):
        raise TypeError(f"len() of a symbolic KerasTensor is undefined (shape {self.shape}); use "
                        "x.shape[0] for the static size")

    def reshape(self, newshape):
        return _op("reshape", self, newshape)

    def squeeze(self, axis=None):
        return _op("squeeze", self, axis=axis)

    def __round__(self, ndigits=None):
        return _op("round", self, decimals=ndigits or 0)


def _op(name, *args, **kwargs):
    """Record keras.ops.<name> on symbolic arguments (lamina/ops/operation.py)."""
    from lamina.ops.operation import symbolic_call  # noqa: PLC0415  (ops import this module)

    return symbolic_call(name, args, kwargs)


def _binary(name):
    return lambda self, other: _op(name, self, other)


def _reflected(name):
    return lambda self, other: _op(name, other, self)


def _unary(name):
    return lambda self: _op(name, self)


# Python operators on KerasTensors record the op Keras records for them
for _name, _method in {
    "__add__": _binary("add"), "__radd__": _reflected("add"),
    "__sub__": _binary("subtract"), "__rsub__": _reflected("subtract"),
    "__mul__": _binary("multiply"), "__rmul__": _reflected("multiply"),
    "__truediv__": _binary("true_divide"), "__rtruediv__": _reflected("true_divide"),
    "__floordiv__": _binary("floor_divide"), "__rfloordiv__": _reflected("floor_divide"),
    "__mod__": _binary("mod"), "__rmod__": _reflected("mod"),
    "__pow__": _binary("power"), "__rpow__": _reflected("power"),
    "__matmul__": _binary("matmul"), "__rmatmul__": _reflected("matmul"),
    "__lt__": _binary("less"), "__le__": _binary("less_equal"),
    "__gt__": _binary("greater"), "__ge__": _binary("greater_equal"), "__ne__": _binary("not_equal"),
    "__and__": _binary("logical_and"), "__rand__": _reflected("logical_and"),
    "__or__": _binary("logical_or"), "__ror__": _reflected("logical_or"),
    "__xor__": _binary("logical_xor"), "__rxor__": _reflected("logical_xor"),
    "__neg__": _unary("negative"), "__abs__": _unary("absolute"), "__invert__": _unary("logical_not"),
    "__getitem__": _binary("get_item"),
}.items():  # fmt: skip
    setattr(KerasTensor, _name, _method)


class CallNode:
    """One call of `layer` (a Layer, or an op's Operation) on symbolic arguments, producing
    `outputs` (KerasTensors)."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.flat_outputs = tree.flatten(outputs)
        self.parents = [t for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        for i, t in enumerate(self.flat_outputs):
            t._keras_history = (self, i)

    @property
    def input_tensors(self):
        return self.parents


def any_symbolic(args, kwargs=None):
    return any(isinstance(t, KerasTensor) for t in tree.flatten((args, kwargs or {})))


MAX_STAND_IN = 1 << 25  # elements: the largest stand-in shape inference may run a layer or op on


def concrete_stand_in(t, batch=2, fill=None, writable=False):
    """Zeros with t's shape (None -> `batch` or `fill`), to run a layer for shape inference:
    a zero-strided read-only view (no memory) unless `writable`. Refused over `MAX_STAND_IN`
    elements, so a file declaring huge inputs cannot make inference allocate gigabytes."""
    shape = tuple((batch if i == 0 else (fill or 3)) if d is None else d for i, d in enumerate(t.shape))
    size = 1
    for d in shape:
        size *= max(int(d), 0)
    if size > MAX_STAND_IN:
        raise ValueError(
            f"inferring output shapes on an input of shape {t.shape} would need arrays of "
            f"{size:,} elements, over the {MAX_STAND_IN:,}-element bound; give the layer a "
            "compute_output_shape(), or smaller input shapes")
    view = np.broadcast_to(np.zeros((), dtype=t.dtype), shape)
    return view.copy() if writable else view
