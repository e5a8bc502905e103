"""Label and vector encodings: `to_categorical` (one-hot) and `normalize` (unit norm), Keras's."""

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, data_of
from lamina.ops.nn import normalize as ops_normalize


def to_categorical(x, num_classes=None):
    """One-hot encode integer class labels: float32 array `(*x.shape, num_classes)`.

    A trailing axis of size 1 is dropped first (labels `(n, 1)` give `(n, num_classes)`), as
    Keras does. `num_classes` defaults to `max(x) + 1`. Labels outside [0, num_classes)
    raise ValueError. A lamina Tensor gives a Tensor.
    """
    labels = np.array(data_of(x), dtype=np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if not num_classes:
        if labels.size == 0:
            raise ValueError("to_categorical of an empty array needs `num_classes`")
        num_classes = int(labels.max()) + 1
    num_classes = int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels.min() if labels.min() < 0 else labels.max()
        raise ValueError(
            f"to_categorical: label {bad} is outside [0, num_classes={num_classes}); labels must "
            "be integers from 0 to num_classes - 1"
        )
    out = np.zeros((labels.size, num_classes), np.float32)
    out[np.arange(labels.size), labels] = 1.0
    out = out.reshape(shape + (num_classes,))
    return Tensor(out) if isinstance(x, Tensor) else out


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (zero norms left as is); same shape.

    NumPy arrays give NumPy arrays (float input keeps its dtype, integers become float32);
    lamina Tensors go through the differentiable `lamina.ops.nn.normalize`. Unlike Keras's
    NumPy branch, a 1-D input keeps its shape and `axis=0` normalises along axis 0.
    """
    if isinstance(x, Tensor):
        return ops_normalize(x, axis=axis, order=order)
    a = np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype(dtypes.floatx())
    norm = np.linalg.norm(a, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return a / norm
