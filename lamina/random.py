"""Random draws (`keras.random` names) from one seedable generator.

Everything lamina draws (initial weights, dropout masks, shuffling) comes from here, so
`lamina.utils.set_random_seed(n)` makes a run repeatable.
"""
import random as _pyrandom

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, data_of, record


class _Global:
    rng = np.random.default_rng()


def set_seed(seed):
    """Reseed lamina's generator, Python's `random` and NumPy's legacy global generator."""
    seed = int(seed)
    _Global.rng = np.random.default_rng(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)


class SeedGenerator:
    """An independent, seedable stream of draws (pass as `seed=` to the functions here)."""

    def __init__(self, seed=None, **kwargs):
        self.rng = np.random.default_rng(seed if seed is not None else _Global.rng.integers(2**63))

    def get_state(self):
        """The stream's position as plain ints (JSON-safe); `set_state` continues from it."""
        return get_state(self.rng)

    def set_state(self, state):
        set_state(self.rng, state)


def get_state(rng=None):
    """The state of `rng` (default: lamina's global generator) as a dict of plain ints."""
    rng = _Global.rng if rng is None else rng
    st = rng.bit_generator.state
    if st.get("bit_generator") != "PCG64":
        raise NotImplementedError(
            f"only PCG64 generators (np.random.default_rng) can be saved, got {st.get('bit_generator')!r}")
    return {"bit_generator": "PCG64", "state": int(st["state"]["state"]), "inc": int(st["state"]["inc"]),
            "has_uint32": int(st["has_uint32"]), "uinteger": int(st["uinteger"])}


_STATE_BOUNDS = {"state": 2**128, "inc": 2**128, "has_uint32": 2, "uinteger": 2**32}


def set_state(rng, state):
    """Move `rng` (None: lamina's global generator) to `state` from `get_state`; a state read
    from a file is checked field by field (ValueError naming the field) before use."""
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ValueError(f"a random state must be a dict with bit_generator 'PCG64', got {state!r:.200}")
    for key, bound in _STATE_BOUNDS.items():
        value = state.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < bound:
            raise ValueError(f"random state field {key!r} must be an int in [0, {bound}), got {value!r:.80}")
    rng = _Global.rng if rng is None else rng
    rng.bit_generator.state = {"bit_generator": "PCG64",
                               "state": {"state": state["state"], "inc": state["inc"]},
                               "has_uint32": state["has_uint32"], "uinteger": state["uinteger"]}


def generator(seed=None):
    """The generator to draw from: the global one, a SeedGenerator's, or a fresh seeded one."""
    if seed is None:
        return _Global.rng
    if isinstance(seed, SeedGenerator):
        return seed.rng
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(int(seed))


def _dt(dtype):
    return np.dtype(dtypes.standardize(dtype))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    out = generator(seed).standard_normal(tuple(shape), dtype=np.float64) * stddev + mean
    return Tensor(out.astype(_dt(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dt = _dt(dtype)
    if dt.kind in "iu":
        return Tensor(generator(seed).integers(minval, maxval, tuple(shape)).astype(dt))
    out = generator(seed).random(tuple(shape), dtype=np.float64) * (maxval - minval) + minval
    return Tensor(out.astype(dt))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return Tensor(generator(seed).integers(minval, maxval, tuple(shape)).astype(_dt(dtype)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, redrawn until within two standard deviations of the mean."""
    rng = generator(seed)
    out = rng.standard_normal(tuple(shape))
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return Tensor((out * stddev + mean).astype(_dt(dtype)))


def shuffle(x, axis=0, seed=None):
    a = np.array(data_of(x))
    generator(seed).shuffle(a, axis=axis)
    return Tensor(a)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each element with probability `rate`, scale the rest by 1/(1 - rate)."""
    a = data_of(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
    shape = a.shape if noise_shape is None else tuple(
        a.shape[i] if n is None else n for i, n in enumerate(noise_shape)
    )
    keep = generator(seed).random(shape, dtype=np.float32) >= rate
    scale = keep * np.asarray(1.0 / (1.0 - rate), dtype=a.dtype)
    return record(a * scale, (inputs,), lambda g, need: (g * scale,))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Draws of class indices from unnormalized log-probabilities `logits` (batch, classes):
    (batch, num_samples) (the Gumbel-max trick: argmax(logits + Gumbel noise))."""
    z = np.asarray(data_of(logits), np.float64)
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must be 2-D (batch, num_classes), got shape {z.shape}")
    gumbel = -np.log(-np.log(generator(seed).random((z.shape[0], int(num_samples), z.shape[1]))))
    return Tensor(np.argmax(z[:, None, :] + gumbel, axis=-1).astype(_dt(dtype)))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, 1) draws (alpha: the shape/concentration parameter)."""
    a = np.asarray(data_of(alpha), np.float64)
    if np.any(a <= 0):
        raise ValueError(f"gamma: alpha must be positive, got {a}")
    return Tensor(generator(seed).standard_gamma(a, size=tuple(shape)).astype(_dt(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002  (keras.random name)
    """Beta(alpha, beta) draws, as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta)."""
    a, b = np.asarray(data_of(alpha), np.float64), np.asarray(data_of(beta), np.float64)
    if np.any(a <= 0) or np.any(b <= 0):
        raise ValueError(f"beta: alpha and beta must be positive, got {a} and {b}")
    return Tensor(generator(seed).beta(a, b, size=tuple(shape)).astype(_dt(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial(counts, probabilities) draws: successes in `counts` trials (as floats by
    default, like Keras)."""
    n = np.asarray(data_of(counts))
    p = np.asarray(data_of(probabilities), np.float64)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"binomial: probabilities must be in [0, 1], got {p}")
    return Tensor(generator(seed).binomial(n.astype(np.int64), p, size=tuple(shape)).astype(_dt(dtype)))
