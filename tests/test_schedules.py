"""Learning-rate schedules against float64 transcriptions of Keras 3's documented formulas."""
import math

import numpy as np
import pytest

import lamina
from lamina import optimizers
from lamina.optimizers import schedules

STEPS = [0, 1, 3, 7, 10, 15, 20, 37, 100, 1000]


def check(schedule, formula, steps=STEPS, rtol=1e-6):
    for step in steps:
        value = schedule(step)
        assert isinstance(value, lamina.Tensor) and value.dtype == "float32"
        np.testing.assert_allclose(float(value), formula(step), rtol=rtol, atol=1e-9,
                                   err_msg=f"step {step}")  # fmt: skip


def test_exponential_decay():
    check(schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5),
          lambda s: 0.1 * 0.5 ** (s / 10))  # fmt: skip
    check(schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
          lambda s: 0.1 * 0.5 ** math.floor(s / 10))  # fmt: skip


def test_piecewise_constant_decay():
    schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])

    def formula(s):
        return 1.0 if s <= 10 else 0.5 if s <= 20 else 0.1

    check(schedule, formula, steps=[0, 9, 10, 11, 19, 20, 21, 500])
    # the optimizer's int64 iterations variable, and an array of steps
    assert float(schedule(lamina.Variable(np.array(15), dtype="int64"))) == 0.5
    np.testing.assert_allclose(schedule(np.array([0, 10, 11, 21])).numpy(), [1, 1, 0.5, 0.1])
    ints = schedules.PiecewiseConstantDecay([5], [10, 1])
    assert ints(3).dtype == "int32" and int(ints(6)) == 1
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        schedules.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1])


def test_polynomial_decay():
    def formula(s, init=0.1, steps=10, end=0.01, power=0.5):
        s = min(s, steps)
        return (init - end) * (1 - s / steps) ** power + end

    check(schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=0.5), formula)
    check(schedules.PolynomialDecay(0.1, 10), lambda s: formula(s, end=1e-4, power=1.0))

    def cyclic(s, init=0.1, steps=10, end=0.01, power=2.0):
        steps = steps * (1 if s == 0 else math.ceil(s / steps))
        return (init - end) * (1 - s / steps) ** power + end

    check(schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0, cycle=True), cyclic)


def test_inverse_time_decay():
    check(schedules.InverseTimeDecay(0.1, decay_steps=5, decay_rate=0.5),
          lambda s: 0.1 / (1 + 0.5 * s / 5))  # fmt: skip
    check(schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
          lambda s: 0.1 / (1 + 0.5 * math.floor(s / 5)))  # fmt: skip


def test_cosine_decay():
    def decay(s, start, steps, alpha):
        s = min(s, steps)
        return start * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / steps)) + alpha)

    check(schedules.CosineDecay(0.1, 20), lambda s: decay(s, 0.1, 20, 0.0))
    check(schedules.CosineDecay(0.1, 20, alpha=0.2), lambda s: decay(s, 0.1, 20, 0.2))

    def warm(s, init=0.0, target=0.2, warmup=10, steps=20, alpha=0.1):
        s = min(s, warmup + steps)
        if s < warmup:
            return init + (target - init) * s / warmup
        return decay(s - warmup, target, steps, alpha)

    check(schedules.CosineDecay(0.0, 20, alpha=0.1, warmup_target=0.2, warmup_steps=10), warm)


def test_cosine_decay_restarts():
    def formula(s, init=0.1, first=10, t_mul=2.0, m_mul=0.5, alpha=0.1):
        start, length, period = 0.0, float(first), 0  # walk the periods one by one
        while s >= start + length:
            start, length, period = start + length, length * t_mul, period + 1
        frac = (s - start) / length
        cosine = 0.5 * m_mul**period * (1 + math.cos(math.pi * frac))
        return init * ((1 - alpha) * cosine + alpha)

    steps = [0, 5, 9, 10, 11, 29, 30, 31, 69, 71, 200]
    check(schedules.CosineDecayRestarts(0.1, 10, t_mul=2.0, m_mul=0.5, alpha=0.1), formula,
          steps=steps, rtol=2e-5)  # fmt: skip
    check(schedules.CosineDecayRestarts(0.1, 10, t_mul=1.0, m_mul=0.9, alpha=0.0),
          lambda s: formula(s, t_mul=1.0, m_mul=0.9, alpha=0.0),
          steps=steps, rtol=2e-5)  # fmt: skip


ALL = [
    schedules.ExponentialDecay(0.1, 10, 0.96, staircase=True),
    schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    schedules.PolynomialDecay(0.1, 100, 0.001, power=2.0, cycle=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.0, 100, alpha=0.1, warmup_target=0.1, warmup_steps=10),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.8, alpha=0.01),
]


@pytest.mark.parametrize("schedule", ALL, ids=[type(s).__name__ for s in ALL])
def test_config_round_trip(schedule):
    config = schedule.get_config()
    clone = type(schedule).from_config(config)
    assert clone.get_config() == config
    serialized = schedules.serialize(schedule)
    assert serialized["class_name"] == type(schedule).__name__
    assert serialized["module"] == "keras.optimizers.schedules"
    again = schedules.deserialize(serialized)
    assert type(again) is type(schedule)
    for step in (0, 5, 50, 500):
        assert float(again(step)) == float(schedule(step))


class InverseStep(schedules.LearningRateSchedule):
    """The Keras docs' custom schedule example: initial / (step + 1)."""

    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / (lamina.ops.convert_to_tensor(step) + 1)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_custom_schedule_in_an_optimizer():
    w = lamina.Variable(np.array([0.0]), name="w")
    opt = optimizers.SGD(InverseStep(1.0))
    for _ in range(4):
        opt.apply_gradients([(np.array([1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [-(1 + 1 / 2 + 1 / 3 + 1 / 4)], rtol=1e-6)
    config = optimizers.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "InverseStep"
    clone = optimizers.deserialize(config, custom_objects={"InverseStep": InverseStep})
    assert isinstance(clone._learning_rate, InverseStep)
    with pytest.raises(ValueError, match="Did you mean 'exponentialdecay'"):
        schedules.deserialize({"class_name": "ExponentialDecy", "config": {}, "module": "x"})


def test_invalid_arguments_and_base_class():
    for cls in (schedules.ExponentialDecay, schedules.InverseTimeDecay):
        with pytest.raises(ValueError, match="decay_steps"):
            cls(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.CosineDecay(0.1, -1)
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()
