"""The `Metric` base class: streaming state in non-trainable Variables, updated in NumPy.

Metrics are not differentiated: `update_state` reads the raw arrays of its inputs and
accumulates into Variables (`variables`, zeroed by `reset_state`); `result()` returns a
float32 Tensor (0-d, or 1-d for per-threshold / per-class results). `metric(y_true,
y_pred)` updates then returns the result, as in Keras.
"""
import numpy as np

from lamina.engine import dtypes
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor, Variable, as_array
from lamina.naming import to_snake_case
from lamina.metrics.stateless import StatelessMetricAPI


def to_numpy(x):
    """The NumPy value of a Tensor, array or array-like (floats from Python become float32)."""
    t = type(x)
    if t is np.ndarray:
        return x
    if isinstance(x, Tensor):
        return x.data
    if is_sparse(x):  # scipy.sparse targets
        return x.toarray()
    return as_array(x)


def as_float(x, dtype="float32"):
    """`to_numpy(x)` as a float array (floats keep their dtype; ints/bools become `dtype`)."""
    a = to_numpy(x)
    return a if a.dtype.kind == "f" else a.astype(dtype)


class Metric(StatelessMetricAPI):
    """Base class: subclasses create state with `add_variable` and define `update_state`/`result`."""

    def __init__(self, dtype=None, name=None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = dtypes.standardize(dtype) if dtype is not None else dtypes.floatx()
        self._variables = []

    @property
    def dtype(self):
        return self._dtype

    @property
    def variables(self):
        return list(self._variables)

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable state Variable of `shape`, tracked in `variables`."""
        shape = tuple(shape or ())
        dtype = dtypes.standardize(dtype) if dtype is not None else self._dtype
        if isinstance(initializer, str) and initializer in ("zeros", "ones"):
            value = (np.zeros if initializer == "zeros" else np.ones)(shape, dtype=dtype)
        else:
            value = initializer
        var = Variable(value, shape=shape, dtype=dtype, trainable=False, name=name)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def reset_state(self):
        """Zero every state variable (called between epochs)."""
        for v in self._variables:
            v.data[...] = 0

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state()")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result()")

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _result_tensor(self, value):
        return Tensor(np.asarray(value, dtype=self._dtype))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
