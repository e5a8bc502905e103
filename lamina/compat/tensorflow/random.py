"""`tf.random`: seeded draws from lamina's generator, with TensorFlow's defaults (float32)."""
import numpy as np

from lamina import random as _random
from lamina.compat.tensorflow._common import dtype_of as _dtype_of
from lamina.compat.tensorflow._common import module_getattr as _module_getattr
from lamina.compat.tensorflow._common import op_seed as _op_seed
from lamina.compat.tensorflow._common import reset_op_seeds as _reset_op_seeds
from lamina.compat.tensorflow._common import shape_tuple as _shape_tuple
from lamina.engine.tensor import Tensor as _Tensor


def set_seed(seed):
    """Seed lamina's global generator (and Python's and NumPy's), like `keras.utils.set_random_seed`."""
    _reset_op_seeds()
    _random.set_seed(seed)


def normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _random.normal(_shape_tuple(shape), mean=mean, stddev=stddev, dtype=_dtype_of(dtype),
                          seed=_op_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _random.truncated_normal(_shape_tuple(shape), mean=mean, stddev=stddev,
                                    dtype=_dtype_of(dtype), seed=_op_seed(seed))


def uniform(shape, minval=0, maxval=None, dtype="float32", seed=None, name=None):
    """Uniform in [minval, maxval); maxval defaults to 1 for floats and is required for integers."""
    dt = _dtype_of(dtype)
    if maxval is None:
        if dt.kind in "iu":
            raise ValueError(f"tf.random.uniform: maxval is required for integer dtype {dt.name}")
        maxval = 1
    return _random.uniform(_shape_tuple(shape), minval=minval, maxval=maxval, dtype=dt,
                           seed=_op_seed(seed))


def shuffle(value, seed=None, name=None):
    """A copy of `value` with its first axis randomly permuted."""
    return _random.shuffle(value, axis=0, seed=_op_seed(seed))


def categorical(logits, num_samples, dtype="int64", seed=None, name=None):
    """Draw `num_samples` class indices per row of `logits` (shape [batch, classes])."""
    a = np.asarray(logits.data if isinstance(logits, _Tensor) else logits, np.float64)
    p = np.exp(a - a.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = _random.generator(_op_seed(seed))
    out = np.stack([rng.choice(p.shape[-1], size=int(num_samples), p=row) for row in p])
    return _Tensor(out.astype(_dtype_of(dtype)))


__getattr__ = _module_getattr("tensorflow.random")
