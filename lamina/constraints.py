"""`keras.constraints`: projections applied to a weight after each optimizer update.

A constraint is a callable `w -> projected w`. The optimizer applies it outside any
GradientTape, so the built-ins compute directly on the NumPy value of `w` (a Variable,
Tensor or array) and return a new lamina Tensor of the same shape and float dtype, with
no gradient (`variable.assign(constraint(variable))` writes it back). Norms are L2 norms
along `axis` (an int or a tuple/list of ints), with Keras's epsilon placement:
w * desired / (epsilon + norm), epsilon = 1e-7.
"""

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, data_of
from lamina.registry import Registry


def _values(w):
    a = np.asarray(data_of(w))
    return a if a.dtype.kind == "f" else a.astype(dtypes.floatx())


def _norms(a, axis, who):
    """L2 norms of `a` along `axis`, kept as size-1 axes so they broadcast against `a`."""
    axis = tuple(axis) if isinstance(axis, list) else axis
    try:
        return np.sqrt(np.sum(np.square(a), axis=axis, keepdims=True))
    except (np.exceptions.AxisError, TypeError):
        raise ValueError(
            f"{who}: axis={axis!r} is not valid for a weight of shape {a.shape}; e.g. use "
            "axis=0 for a Dense kernel (input_dim, units), [0, 1, 2] for a Conv2D kernel"
        ) from None


class Constraint:
    """Base class: `__call__(w)` returns the projected weight (the base returns `w` itself)."""

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments, as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale each slice along `axis` whose L2 norm exceeds `max_value` down to it.

    w * clip(norm, 0, max_value) / (epsilon + norm).
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        a = _values(w)
        norms = _norms(a, self.axis, "MaxNorm")
        desired = np.clip(norms, 0.0, float(self.max_value))  # Python floats: no upcast
        return Tensor(a * (desired / (dtypes.epsilon() + norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights set to zero."""

    def __call__(self, w):
        return Tensor(np.maximum(_values(w), 0))


class UnitNorm(Constraint):
    """Each slice along `axis` divided by (epsilon + its L2 norm)."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        a = _values(w)
        return Tensor(a / (dtypes.epsilon() + _norms(a, self.axis, "UnitNorm")))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each slice's L2 norm into [min_value, max_value], a fraction `rate` of the way.

    desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm;
    w * desired / (epsilon + norm). rate=1 enforces the bounds strictly.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        if min_value > max_value:
            raise ValueError(
                f"MinMaxNorm: min_value={min_value} must not exceed max_value={max_value}"
            )
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        a = _values(w)
        norms = _norms(a, self.axis, "MinMaxNorm")
        rate = float(self.rate)
        desired = np.clip(norms, float(self.min_value), float(self.max_value))
        desired *= rate
        desired += (1.0 - rate) * norms
        return Tensor(a * (desired / (dtypes.epsilon() + norms)))

    def get_config(self):
        return {
            "min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
            "axis": self.axis,
        }  # fmt: skip


# Keras exports the classes under snake_case names too (`keras.constraints.max_norm(3)`).
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CLASSES = (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update(max_norm=MaxNorm, non_neg=NonNeg, unit_norm=UnitNorm, min_max_norm=MinMaxNorm)


_REGISTRY = Registry("constraint", ALL_OBJECTS_DICT,
                     "a name such as 'max_norm', a config dict, a Constraint or a callable(w) -> w")
serialize, deserialize, get = _REGISTRY.serialize, _REGISTRY.deserialize, _REGISTRY.get
