"""The `Initializer` base class: a callable `(shape, dtype=None) -> Tensor` with a config."""
import numpy as np

from lamina.engine import dtypes


class Initializer:
    """Base class of all initializers (Keras's `keras.initializers.Initializer`).

    Subclasses implement `__call__(shape, dtype=None)`, returning a lamina Tensor of that
    shape and dtype (floatx, float32, by default), and `get_config()` returning the
    constructor arguments, so that `from_config(get_config())` rebuilds an equal object.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None) returning a "
            "tensor of that shape"
        )

    def get_config(self):
        """The constructor arguments, as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """A new initializer from the output of `get_config()`."""
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _shape(shape, who):
    """`shape` as a tuple of non-negative ints, or a ValueError naming the initializer."""
    try:
        out = tuple(int(d) for d in (shape if np.iterable(shape) else (shape,)))
    except (TypeError, ValueError):
        raise ValueError(f"{who}: shape must be a tuple of integers, got {shape!r}") from None
    if any(d < 0 for d in out):
        raise ValueError(f"{who}: shape must not have negative dimensions, got {out}")
    return out


def _dtype(dtype, who, float_only=False):
    """The NumPy dtype to produce (floatx when None); random draws need a float dtype."""
    dt = np.dtype(dtypes.standardize(dtype))
    if float_only and dt.kind != "f":
        raise ValueError(
            f"{who} draws random floats and needs a float dtype, got dtype={dt.name}; "
            "use 'float32' (the default) or 'float64'"
        )
    return dt
