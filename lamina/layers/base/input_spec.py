"""`InputSpec`: the rank and axis sizes a layer accepts, checked on every call."""
from lamina.engine import sparse
from lamina.symbolic.keras_tensor import KerasTensor


class InputSpec:
    """Constraints on a layer's input checked on every call: rank and sizes of some axes."""

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None, dtype=None, shape=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.max_ndim = max_ndim
        self.axes = dict(axes or {})
        self.dtype = dtype
        self.shape = shape


def check_input_spec(layer, x):
    """Raise a ValueError naming the layer and the shapes when `x` breaks its `input_spec`."""
    spec = layer.input_spec
    if isinstance(x, (list, tuple, dict)) or spec is None:
        return
    shape = shape_of(x)
    nd = len(shape)
    bad = (spec.ndim is not None and nd != spec.ndim) or (
        spec.min_ndim is not None and nd < spec.min_ndim) or (
        spec.max_ndim is not None and nd > spec.max_ndim)
    if not bad:
        for axis, size in spec.axes.items():
            if size is not None and (nd < (abs(axis) if axis < 0 else axis + 1) or shape[axis] != size):
                bad = True
                break
    if bad:
        raise ValueError(_input_error(layer, shape))


def _input_error(layer, shape):
    expected = getattr(layer, "_expected_input_shape", None)
    exp = expected() if callable(expected) else None
    kind = type(layer).__name__
    msg = f"{kind} layer {layer.name!r}: expected input of shape {exp}, got {tuple(shape)}" if exp else (
        f"{kind} layer {layer.name!r} got an input of incompatible shape {tuple(shape)}")
    hint = getattr(layer, "_input_hint", None)
    return msg + (f": {hint(shape)}" if callable(hint) and hint(shape) else "")


def shape_of(x):
    """The static shape of an input: a KerasTensor, a Tensor, an array or a sparse matrix."""
    if isinstance(x, KerasTensor):
        return x.shape
    return tuple(sparse.shape_of(x))
