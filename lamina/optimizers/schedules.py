"""Learning-rate schedules: callables mapping the optimizer step to a learning rate.

An optimizer given a `LearningRateSchedule` calls it with its `iterations` variable before
every update. Values are computed in the dtype of `initial_learning_rate` (float32 for a
Python float, as Keras) and returned as a 0-d lamina Tensor (or shaped like `step` when
`step` is an array, handy for plotting a schedule).
"""
import itertools
import math

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, as_array, data_of
from lamina import registry
from lamina.optimizers._serialization import deserialize_object, serialize_object


class LearningRateSchedule:
    """Base class: subclasses implement `__call__(step)` and `get_config()`.

    `step` is the optimizer's iteration count (an int, a 0-d tensor or the `iterations`
    variable); the result is the learning rate to use for that step.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` to be "
            "serializable."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _lr_dtype(value):
    dt = as_array(value).dtype
    return dt if dt.kind == "f" else np.dtype(dtypes.floatx())


def _step(step, dtype):
    return np.asarray(data_of(step)).astype(dtype)


def _result(value, dtype):
    return Tensor(np.asarray(value, dtype=dtype))


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class _StepDecay(LearningRateSchedule):
    """Shared by the decays driven by `step / decay_steps` (floored with `staircase`)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """(dtype, step / decay_steps, floored when staircase)."""
        dt = _lr_dtype(self.initial_learning_rate)
        p = _step(step, dt) / dt.type(self.decay_steps)
        return dt, (np.floor(p) if self.staircase else p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StepDecay):
    """lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps).

    With `staircase=True` the exponent is `floor(step / decay_steps)` (a step function).
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        dt, p = self._progress(step)
        return _result(dt.type(self.initial_learning_rate) * dt.type(self.decay_rate) ** p, dt)


class PiecewiseConstantDecay(LearningRateSchedule):
    """lr(step) = values[0] if step <= boundaries[0], values[i] if boundaries[i-1] < step <=
    boundaries[i], values[-1] if step > boundaries[-1].

    The result is float (floatx) unless every value is an integer (then int32, as Keras).
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
                f"length {len(values)}."
            )
        if any(b1 >= b2 for b1, b2 in itertools.pairwise(boundaries)):
            raise ValueError(
                f"PiecewiseConstantDecay: boundaries must be strictly increasing, got {boundaries}"
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        s = np.asarray(data_of(step))
        kinds = {as_array(v).dtype.kind for v in self.values}
        dt = np.dtype("int32") if kinds <= {"i", "u", "b"} else np.dtype(dtypes.floatx())
        bounds = np.asarray(self.boundaries)
        if s.dtype.kind in "iu":  # Keras casts the boundaries to the step's dtype
            bounds = bounds.astype(s.dtype)
        index = np.searchsorted(bounds, s, side="left")
        return _result(np.asarray(self.values, dtype=dt)[index], dt)

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """lr(step) = (initial - end) * (1 - s / d) ** power + end, with s = min(step, decay_steps)
    and d = decay_steps.

    With `cycle=True`, s = step and d = decay_steps * ceil(step / decay_steps) (1 at step 0).
    """

    def __init__(
        self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
        cycle=False, name="PolynomialDecay",
    ):  # fmt: skip
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        dt = _lr_dtype(self.initial_learning_rate)
        s = _step(step, dt)
        d = dt.type(self.decay_steps)
        if self.cycle:
            d = d * np.where(s == 0, dt.type(1), np.ceil(s / d)).astype(dt)
        else:
            s = np.minimum(s, d)
        init, end = dt.type(self.initial_learning_rate), dt.type(self.end_learning_rate)
        return _result((init - end) * (dt.type(1) - s / d) ** dt.type(self.power) + end, dt)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_StepDecay):
    """lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps).

    With `staircase=True`, `step / decay_steps` is floored.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        dt, p = self._progress(step)
        denom = dt.type(1) + dt.type(self.decay_rate) * p
        return _result(dt.type(self.initial_learning_rate) / denom, dt)


class CosineDecay(LearningRateSchedule):
    """Cosine decay with an optional linear warmup.

    Without warmup (`warmup_target=None`), s = min(step, decay_steps):
        lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)
    With warmup, s = min(step, warmup_steps + decay_steps):
        s < warmup_steps:  lr = initial + (warmup_target - initial) * s / warmup_steps
        otherwise:         the decay above from `warmup_target`, at step s - warmup_steps.
    """

    def __init__(
        self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
        warmup_target=None, warmup_steps=0,
    ):  # fmt: skip
        _check_positive("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, s, decay_steps, start, dt):
        cosine = dt.type(0.5) * (dt.type(1) + np.cos(dt.type(math.pi) * (s / decay_steps)))
        alpha = dt.type(self.alpha)
        return start * ((dt.type(1) - alpha) * cosine + alpha)

    def __call__(self, step):
        dt = _lr_dtype(self.initial_learning_rate)
        init = dt.type(self.initial_learning_rate)
        s = _step(step, dt)
        d = dt.type(self.decay_steps)
        if self.warmup_target is None:
            return _result(self._decay(np.minimum(s, d), d, init, dt), dt)
        target, w = dt.type(self.warmup_target), dt.type(self.warmup_steps)
        s = np.minimum(s, d + w)
        with np.errstate(divide="ignore", invalid="ignore"):  # the branch not taken may be 0/0
            warm = (target - init) * (s / w) + init
            decayed = self._decay(s - w, d, target, dt)
        return _result(np.where(s < w, warm, decayed), dt)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine decay from 1 to `alpha` over periods that restart; period i lasts
    `first_decay_steps * t_mul**i` steps and starts at `initial_learning_rate * m_mul**i`.
    """

    def __init__(
        self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
        name="SGDRDecay",
    ):  # fmt: skip
        _check_positive("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        dt = _lr_dtype(self.initial_learning_rate)
        one, t_mul = dt.type(1), dt.type(self._t_mul)
        frac = _step(step, dt) / dt.type(self.first_decay_steps)
        if t_mul == one:
            restart = np.floor(frac)
            frac = frac - restart
        else:  # the period index solves sum_{k<i} t_mul**k <= frac (a geometric series)
            restart = np.floor(np.log(one - frac * (one - t_mul)) / np.log(t_mul))
            done = (one - t_mul**restart) / (one - t_mul)
            frac = (frac - done) / t_mul**restart
        cosine = dt.type(0.5) * dt.type(self._m_mul) ** restart * (
            one + np.cos(dt.type(math.pi) * frac)
        )
        alpha = dt.type(self.alpha)
        return _result(dt.type(self.initial_learning_rate) * ((one - alpha) * cosine + alpha), dt)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILTINS = {
    cls.__name__.lower(): cls
    for cls in (
        ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
        CosineDecayRestarts,
    )
}  # fmt: skip
registry.register_builtins("schedule", _BUILTINS)


def serialize(learning_rate_schedule):
    """The schedule as Keras's JSON-compatible dict (`class_name`, `config`, ...)."""
    return serialize_object(learning_rate_schedule, "schedule")


def deserialize(config, custom_objects=None):
    """A schedule from `serialize`'s dict (custom classes via `custom_objects`)."""
    return deserialize_object(config, custom_objects, "schedule", LearningRateSchedule)
