"""`keras.regularizers`: weight penalties added to the loss (L1, L2, L1L2, orthogonality).

Calling a regularizer on a weight tensor returns a scalar lamina Tensor built from
`lamina.ops`, so the GradientTape differentiates it. Formulas are Keras's:
L1 = l1 * sum(|x|), L2 = l2 * sum(x^2) (no 1/2 factor).
"""
import difflib
import math
import numbers

import numpy as np

from lamina import ops
from lamina.engine.tensor import Tensor
from lamina.registry import Registry


def validate_float_arg(value, name):
    """`value` as a float if it is a finite, non-negative number, else a ValueError naming it."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float, got "
            f"{name}={value!r}"
        )
    return float(value)


def _tensor(x):
    return x if isinstance(x, Tensor) else ops.convert_to_tensor(x)


class Regularizer:
    """Base class: a callable `x -> scalar penalty` with a config.

    The base penalty is zero; subclasses override `__call__` and `get_config`.
    """

    def __call__(self, x):
        return ops.zeros((), dtype=_tensor(x).dtype)

    def get_config(self):
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_config(); return its constructor "
            "arguments as a dict to make it serializable"
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2); both factors default to 0 (as Keras 3's class)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, "l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = _tensor(x)
        penalty = None
        if self.l1:
            penalty = ops.multiply(self.l1, ops.sum(ops.abs(x)))
        if self.l2:
            p2 = ops.multiply(self.l2, ops.sum(ops.square(x)))
            penalty = p2 if penalty is None else ops.add(penalty, p2)
        return ops.zeros((), dtype=x.dtype) if penalty is None else penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(_tensor(x))))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """l2 * sum(x^2)."""

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(_tensor(x))))

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (mode="rows") or columns of a 2-D weight towards orthogonality.

    penalty = factor / 2 * mean over distinct pairs (i, j) of |<u_i, u_j>|, the u being
    the L2-normalized rows (or columns), i.e. factor * 0.5 * sum_{i != j} |G_ij| / (n (n-1) / 2)
    with G the Gram matrix of the n normalized vectors.
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = validate_float_arg(factor, "factor")
        if mode not in ("rows", "columns"):
            close = difflib.get_close_matches(str(mode), ["rows", "columns"], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"OrthogonalRegularizer: invalid mode={mode!r}{hint} (expected 'rows' or 'columns')"
            )
        self.mode = mode

    def __call__(self, inputs):
        x = _tensor(inputs)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer expects a rank-2 weight, got inputs.shape={x.shape}"
            )
        axis = 1 if self.mode == "rows" else 0
        size = x.shape[1 - axis]
        if size < 2:
            raise ValueError(
                f"OrthogonalRegularizer(mode={self.mode!r}) needs at least 2 {self.mode} to "
                f"compare, got inputs.shape={x.shape}"
            )
        u = ops.normalize(x, axis=axis)
        gram = ops.matmul(u, ops.transpose(u)) if axis == 1 else ops.matmul(ops.transpose(u), u)
        off_diagonal = ops.multiply(gram, 1.0 - np.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1) / 2.0
        return ops.multiply(self.factor * 0.5 / num_pairs, ops.sum(ops.abs(off_diagonal)))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras exports the classes under function-style names too: `keras.regularizers.l2(0.002)`.
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update(l1=L1, l2=L2, l1l2=L1L2, l1_l2=L1L2, orthogonal_regularizer=OrthogonalRegularizer)
# By name, "l1_l2" means l1 = l2 = 0.01 (Keras's documented string default); the class
# L1L2() itself defaults to zeros, as in Keras 3.
_NAME_DEFAULTS = {"l1_l2": {"l1": 0.01, "l2": 0.01}}


_REGISTRY = Registry("regularizer", ALL_OBJECTS_DICT,
                     "a name such as 'l2', a config dict, a Regularizer or a callable(weights) -> scalar", name_defaults=_NAME_DEFAULTS, cutoff=0.5)
serialize, deserialize, get = _REGISTRY.serialize, _REGISTRY.deserialize, _REGISTRY.get
