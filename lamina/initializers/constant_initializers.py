"""Deterministic initializers: Zeros, Ones, Constant and Identity."""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.initializers.initializer import Initializer, _dtype, _shape


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return Tensor(np.zeros(_shape(shape, "Zeros"), dtype=_dtype(dtype, "Zeros")))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return Tensor(np.ones(_shape(shape, "Ones"), dtype=_dtype(dtype, "Ones")))


class Constant(Initializer):
    """Every entry equal to `value` (a scalar, or an array that broadcasts to the shape)."""

    def __init__(self, value=0.0):
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        self.value = value

    def __call__(self, shape, dtype=None):
        shape, dt = _shape(shape, "Constant"), _dtype(dtype, "Constant")
        value = np.asarray(self.value, dtype=dt)
        try:
            return Tensor(np.array(np.broadcast_to(value, shape)))
        except ValueError:
            raise ValueError(
                f"Constant: value of shape {value.shape} cannot be broadcast to the requested "
                f"shape {shape}; pass a scalar or an array of a compatible shape"
            ) from None

    def get_config(self):
        value = self.value
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        return {"value": value}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular gives ones on the diagonal)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer only builds 2-D matrices, got shape={shape} of rank "
                f"{len(shape)}"
            )
        out = np.zeros(shape, dtype=_dtype(dtype, "Identity"))
        np.fill_diagonal(out, self.gain)
        return Tensor(out)

    def get_config(self):
        return {"gain": self.gain}
