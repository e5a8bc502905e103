"""`tf.random`: seeded draws from lamina's generator, with TensorFlow's defaults (float32)."""
import numpy as np

from lamina import random as _random
from lamina.compat.tensorflow._common import dtype_of, module_getattr, shape_tuple
from lamina.engine.tensor import Tensor

_OP_STREAMS = {}  # op seed -> its stream: repeated calls with one seed give new, repeatable draws


def set_seed(seed):
    """Seed lamina's global generator (and Python's and NumPy's), like `keras.utils.set_random_seed`."""
    _OP_STREAMS.clear()
    _random.set_seed(seed)


def op_seed(seed):
    """The lamina seed argument for a TensorFlow op-level `seed` (None: the global generator)."""
    if seed is None:
        return None
    seed = int(seed)
    stream = _OP_STREAMS.get(seed)
    if stream is None:
        stream = _OP_STREAMS[seed] = _random.SeedGenerator(seed)
    return stream


def normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _random.normal(shape_tuple(shape), mean=mean, stddev=stddev, dtype=dtype_of(dtype),
                          seed=op_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    return _random.truncated_normal(shape_tuple(shape), mean=mean, stddev=stddev,
                                    dtype=dtype_of(dtype), seed=op_seed(seed))


def uniform(shape, minval=0, maxval=None, dtype="float32", seed=None, name=None):
    """Uniform in [minval, maxval); maxval defaults to 1 for floats and is required for integers."""
    dt = dtype_of(dtype)
    if maxval is None:
        if dt.kind in "iu":
            raise ValueError(f"tf.random.uniform: maxval is required for integer dtype {dt.name}")
        maxval = 1
    return _random.uniform(shape_tuple(shape), minval=minval, maxval=maxval, dtype=dt,
                           seed=op_seed(seed))


def shuffle(value, seed=None, name=None):
    """A copy of `value` with its first axis randomly permuted."""
    return _random.shuffle(value, axis=0, seed=op_seed(seed))


def categorical(logits, num_samples, dtype="int64", seed=None, name=None):
    """Draw `num_samples` class indices per row of `logits` (shape [batch, classes])."""
    a = np.asarray(logits.data if isinstance(logits, Tensor) else logits, np.float64)
    p = np.exp(a - a.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = _random.generator(op_seed(seed))
    out = np.stack([rng.choice(p.shape[-1], size=int(num_samples), p=row) for row in p])
    return Tensor(out.astype(dtype_of(dtype)))


__getattr__ = module_getattr("tensorflow.random")
