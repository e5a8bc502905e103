"""Random initializers: normal, uniform, truncated normal, variance scaling, orthogonal.

Seeds: `seed=None` draws from lamina's global generator (so `lamina.utils.set_random_seed`
makes a run repeatable, and two unseeded calls differ); an int seed gives the same values
at every call; a `lamina.random.SeedGenerator` gives a fresh, reproducible stream.
Draws are made directly in float32 when that is the target dtype (no float64 temporaries).
"""
import difflib
import math
import numbers

import numpy as np

from lamina import random as lrandom
from lamina.engine.tensor import Tensor
from lamina.initializers.initializer import Initializer, _dtype, _shape

# Standard deviation of a standard normal truncated to [-2, 2] (as Keras): dividing the
# target stddev by it makes the truncated draw have the target variance.
_TRUNCATED_STD = 0.87962566103423978


def compute_fans(shape):
    """(fan_in, fan_out) of a weight shape, as Keras computes them.

    Scalars: (1, 1); vectors (n,): (n, n); matrices (in, out): (in, out); conv kernels
    (*spatial, in_channels, out_channels): receptive field size times each channel count.
    """
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(int(d) for d in shape[:-2])
    return int(shape[-2]) * receptive_field, int(shape[-1]) * receptive_field


# --- raw draws into the target dtype ----------------------------------------------------


def _draw_dtype(dt):
    return dt if dt in (np.float32, np.float64) else np.dtype(np.float32)  # float16: via f32


def _uniform(rng, shape, low, high, dt):
    out = rng.random(shape, dtype=_draw_dtype(dt))
    out *= high - low
    out += low
    return out.astype(dt, copy=False)


def _normal(rng, shape, mean, stddev, dt):
    out = rng.standard_normal(shape, dtype=_draw_dtype(dt))
    out *= stddev
    out += mean
    return out.astype(dt, copy=False)


def _truncated_normal(rng, shape, mean, stddev, dt):
    """Standard normal draws beyond 2 (in absolute value) redrawn, then scaled and shifted."""
    draw_dt = _draw_dtype(dt)
    out = rng.standard_normal(shape, dtype=draw_dt)
    flat = out.reshape(-1)  # a view: out is freshly allocated and contiguous
    bad = np.flatnonzero((flat > 2) | (flat < -2))  # bool temporaries only
    while bad.size:  # ~4.6% redrawn per round: a handful of vectorized rounds
        redraw = rng.standard_normal(bad.size, dtype=draw_dt)
        flat[bad] = redraw
        bad = bad[(redraw > 2) | (redraw < -2)]
    out *= stddev
    out += mean
    return out.astype(dt, copy=False)


# --- base class for seeded initializers -----------------------------------------------


def _number(value, name, who):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        scalar_array = hasattr(value, "numpy") or isinstance(value, np.ndarray)
        if scalar_array and np.ndim(value) == 0:
            return float(np.asarray(getattr(value, "data", value)))
        raise ValueError(f"{who}: `{name}` must be a number, got {name}={value!r}")
    return float(value)


class RandomInitializer(Initializer):
    """Holds the seed: None (global generator), an int, or a `lamina.random.SeedGenerator`."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, lrandom.SeedGenerator):
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
                raise ValueError(
                    f"{type(self).__name__}: `seed` must be None, an int or a "
                    f"lamina.random.SeedGenerator, got seed={seed!r}"
                )
            seed = int(seed)
        self.seed = seed

    def _rng(self):
        return lrandom.generator(self.seed)

    def get_config(self):
        # A SeedGenerator's stream is not serializable: its config records an unseeded draw.
        return {"seed": self.seed if isinstance(self.seed, int) else None}


class RandomNormal(RandomInitializer):
    """Normal draws with mean `mean` and standard deviation `stddev`."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _number(mean, "mean", "RandomNormal")
        self.stddev = _number(stddev, "stddev", "RandomNormal")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype, "RandomNormal", float_only=True)
        return Tensor(_normal(self._rng(), _shape(shape, "RandomNormal"), self.mean, self.stddev, dt))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomInitializer):
    """Normal draws, redrawn when further than 2 `stddev` from `mean`."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = _number(mean, "mean", "TruncatedNormal")
        self.stddev = _number(stddev, "stddev", "TruncatedNormal")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype, "TruncatedNormal", float_only=True)
        shape = _shape(shape, "TruncatedNormal")
        return Tensor(_truncated_normal(self._rng(), shape, self.mean, self.stddev, dt))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class RandomUniform(RandomInitializer):
    """Uniform draws in [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = _number(minval, "minval", "RandomUniform")
        self.maxval = _number(maxval, "maxval", "RandomUniform")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype, "RandomUniform", float_only=True)
        shape = _shape(shape, "RandomUniform")
        return Tensor(_uniform(self._rng(), shape, self.minval, self.maxval, dt))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def _choice(value, allowed, name, who):
    if value not in allowed:
        close = difflib.get_close_matches(str(value), sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{who}: invalid {name}={value!r}{hint} (expected one of {', '.join(sorted(allowed))})"
        )
    return value


class VarianceScaling(RandomInitializer):
    """Draws with variance `scale / n`, n = fan_in, fan_out or their mean (`mode`).

    distribution="truncated_normal": truncated at 2 stddev, with stddev
    sqrt(scale / n) / 0.8796... so the truncated draw has variance scale / n;
    "untruncated_normal": stddev sqrt(scale / n); "uniform": [-limit, limit] with
    limit = sqrt(3 scale / n). "normal" is an alias of "truncated_normal", as in Keras.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        scale = _number(scale, "scale", "VarianceScaling")
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float, got scale={scale}")
        _choice(mode, {"fan_in", "fan_out", "fan_avg"}, "mode", "VarianceScaling")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        _choice(distribution, {"uniform", "truncated_normal", "untruncated_normal"},
                "distribution", "VarianceScaling")  # fmt: skip
        self.scale, self.mode, self.distribution = scale, mode, distribution
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        who = type(self).__name__
        dt = _dtype(dtype, who, float_only=True)
        shape = _shape(shape, who)
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            return Tensor(_truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATED_STD, dt))
        if self.distribution == "untruncated_normal":
            return Tensor(_normal(rng, shape, 0.0, math.sqrt(variance), dt))
        limit = math.sqrt(3.0 * variance)
        return Tensor(_uniform(rng, shape, -limit, limit, dt))

    def get_config(self):
        return {
            "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
            **super().get_config(),
        }  # fmt: skip


class _PresetVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed (scale, mode, distribution); only the seed is configurable."""

    _preset = None

    def __init__(self, seed=None):
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self):
        return {"seed": RandomInitializer.get_config(self)["seed"]}


class GlorotUniform(_PresetVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Xavier uniform)."""

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_PresetVarianceScaling):
    """Truncated normal with variance 2 / (fan_in + fan_out) (Xavier normal)."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_PresetVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(6 / fan_in)."""

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_PresetVarianceScaling):
    """Truncated normal with variance 2 / fan_in."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_PresetVarianceScaling):
    """Uniform in [-limit, limit], limit = sqrt(3 / fan_in)."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_PresetVarianceScaling):
    """Truncated normal with variance 1 / fan_in (pairs with the selu activation)."""

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """`gain` times a random orthogonal matrix (QR of a normal draw, signs fixed by R's diagonal).

    A shape (d0, ..., dk) is treated as a (d0 * ... * d(k-1), dk) matrix: its columns are
    orthonormal when it has at least as many rows as columns, else its rows are.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = _number(gain, "gain", "Orthogonal")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        dt = _dtype(dtype, "Orthogonal", float_only=True)
        shape = _shape(shape, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of rank 2 or more, got shape={shape} of "
                f"rank {len(shape)}"
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR in float64 for accurate orthogonality; the matrix is cast once at the end.
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # unique Q: R with a non-negative diagonal
        if rows < cols:
            q = q.T
        q *= self.gain
        return Tensor(q.reshape(shape).astype(dt))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}
