"""What the non-image preprocessing layers share: they take raw NumPy data (strings or
integers, not float tensors), have no trainable weights, and `adapt` to data given as an
array, a list, a `PyDataset` or any iterable of batches."""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.base.layer import Layer


class DataLayer(Layer):
    """A layer whose `call` converts its own inputs (strings stay strings)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def _convert_input(self, x):
        return x  # `call` turns strings / integers into arrays itself

    def get_build_config(self):
        return {}


def raw(x):
    """The NumPy value of a layer input (Tensor, array, list or scalar)."""
    if isinstance(x, Tensor):
        return x.data
    return x


def as_string_array(x, layer, encoding="utf-8"):
    """An object array of Python str with x's shape; bytes are decoded with `encoding`."""
    a = np.asarray(raw(x))
    if a.dtype.kind == "U":
        return a.astype(object)
    if a.dtype.kind == "S":
        return np.vectorize(lambda b: b.decode(encoding), otypes=[object])(a)
    if a.dtype.kind == "O":
        out = np.empty(a.shape, dtype=object)
        for i, v in enumerate(a.ravel().tolist()):
            if isinstance(v, bytes):
                v = v.decode(encoding)
            elif not isinstance(v, str):
                raise TypeError(f"{layer}: expected strings, got an element of type "
                                f"{type(v).__name__} ({v!r})")
            out.flat[i] = v
        return out
    raise TypeError(f"{layer}: expected strings, got an array of dtype {a.dtype} with shape "
                    f"{a.shape}; pass text as a list or NumPy array of str")


def as_int_array(x, layer):
    """An int64 array with x's shape (floats must hold whole numbers)."""
    a = np.asarray(raw(x))
    if a.dtype.kind in "iub":
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
            raise TypeError(f"{layer}: expected integers, got non-integer floats such as "
                            f"{a[np.isfinite(a) & (a != np.round(a))][:3].tolist()}")
        return a.astype(np.int64)
    raise TypeError(f"{layer}: expected integers, got an array of dtype {a.dtype} with shape "
                    f"{a.shape}")


def iterate_batches(data, steps=None):
    """Batches of `data` for adapt(): an iterable of batches or a PyDataset (anything with
    `len` + `__getitem__` and no `__iter__`); `(x, y)` batches give their x; at most `steps`
    batches."""
    if hasattr(data, "__len__") and hasattr(data, "__getitem__") and not hasattr(data, "__iter__"):
        source = data
        data = (source[i] for i in range(len(source)))
    elif not hasattr(data, "__iter__"):
        raise TypeError(f"adapt() expects an array, a list, a PyDataset or an iterable of "
                        f"batches, got {type(data).__name__}")
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):
            batch = batch[0]
        yield raw(batch)


def is_array_like(data):
    return isinstance(data, (list, tuple, np.ndarray, Tensor, str, bytes, int, np.generic))
