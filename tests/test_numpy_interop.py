"""NumPy functions a student applies to tensors and model outputs (np.mean, np.sum, np.max, ...)."""
import numpy as np
import pytest

import lamina
from lamina import layers, ops


@pytest.fixture
def t():
    return ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("fn,expected,axis0", [
    (np.mean, 2.5, [2.0, 3.0]), (np.sum, 10.0, [4.0, 6.0]), (np.max, 4.0, [3.0, 4.0]),
    (np.min, 1.0, [1.0, 2.0]), (np.prod, 24.0, [3.0, 8.0]), (np.amax, 4.0, [3.0, 4.0]),
])
def test_numpy_reductions_on_tensors(t, fn, expected, axis0):
    assert float(fn(t)) == expected
    assert np.asarray(fn(t, axis=0)).tolist() == axis0
    assert fn(t, keepdims=True).shape == (1, 1)
    assert f"{fn(t):.2f}" == f"{expected:.2f}"


def test_numpy_reduction_options(t):
    assert np.mean(t, dtype="float64").dtype == np.float64
    out = np.zeros(2, np.float32)
    assert np.sum(t, axis=1, out=out) is out and out.tolist() == [3.0, 7.0]
    assert float(np.max(t, where=np.array([[True, False], [True, False]]), initial=0.0)) == 3.0


def test_np_mean_is_differentiable():
    x = lamina.Variable([1.0, 2.0, 3.0])
    with lamina.GradientTape() as tape:
        y = np.mean(x * x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2 / 3, 4 / 3, 2.0], rtol=1e-6)


def test_model_outputs_float_format_asarray():
    model = lamina.Sequential([layers.Dense(3, activation="softmax")])
    probs = model(np.ones((4, 2), "float32"))
    assert 1 / 3 <= float(np.max(probs)) <= 1.0
    assert np.asarray(probs).shape == (4, 3) and np.asarray(probs).dtype == np.float32
    total = np.sum(probs)
    assert f"{total:.3f}" == "4.000" and float(total) == pytest.approx(4.0, rel=1e-6)
    scalar = ops.convert_to_tensor(0.123456)
    assert f"{scalar:.2f}" == "0.12" and f"{scalar}" == "0.123456" and float(scalar) == pytest.approx(0.123456)
    assert f"{scalar:>8.3f}" == "   0.123"
