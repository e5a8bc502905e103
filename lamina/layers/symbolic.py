"""Symbolic tensors for the functional API: shapes with a `None` batch, and call records.

`keras.Input(shape=(784,))` returns a `KerasTensor`; calling a layer on KerasTensors
records a `CallNode` and returns new KerasTensors. A functional `Model(inputs, outputs)`
replays those nodes on real data.
"""
import numpy as np

from lamina.engine import dtypes, tree


class KerasTensor:
    """A placeholder with a static shape (None for unknown dims) and a dtype."""

    def __init__(self, shape, dtype=None, sparse=False, name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
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
            "placeholder with no values: build a Model(inputs, outputs) and call it on data"
        )

    def _op(self, *args, **kwargs):
        raise TypeError(
            "lamina does not trace arbitrary ops on symbolic tensors: wrap the computation in a "
            "layer (e.g. layers.Add, layers.Multiply, layers.Lambda) to use it in a functional model"
        )

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _op
    __truediv__ = __rtruediv__ = __matmul__ = __pow__ = __neg__ = __getitem__ = _op


class CallNode:
    """One call of `layer` on symbolic arguments, producing `outputs` (KerasTensors)."""

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


def concrete_stand_in(t, batch=2, fill=None):
    """Zeros with t's shape (None -> `batch` or `fill`), to run a layer for shape inference."""
    shape = tuple((batch if i == 0 else (fill or 3)) if d is None else d for i, d in enumerate(t.shape))
    return np.zeros(shape, dtype=t.dtype)
