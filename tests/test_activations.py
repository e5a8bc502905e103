"""Activations vs float64 NumPy/SciPy transcriptions, gradients vs finite differences, lookup."""
import numpy as np
import pytest
from scipy import special

import lamina
from lamina import activations, ops

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

# Values include large magnitudes (overflow traps) and the kinks (0, +-0.5, +-1, +-3, 6).
GRID = np.array([
    -1e4, -1e3, -100, -30, -10, -6, -3.5, -3, -2.9, -1.7, -1, -0.6, -0.5, -0.3, -0.05, 0,
    0.05, 0.3, 0.5, 0.6, 1, 1.7, 2.9, 3, 3.5, 6, 10, 30, 100, 1e3, 1e4,
])  # fmt: skip
# Away from every kink, for finite differences.
GRAD_GRID = np.array([-7.1, -4.9, -3.4, -2.6, -1.3, -0.8, -0.35, -0.1, 0.15, 0.4, 0.7, 1.2,
                      2.2, 3.7, 5.3, 6.6])  # fmt: skip


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


def _relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras: above the threshold x (clipped to [0, max_value] if capped), below it the
    # leaky part negative_slope * (x - threshold).
    above = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        above = np.clip(above, 0, max_value)
    return above - negative_slope * np.maximum(threshold - x, 0)


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "sigmoid": special.expit,
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "log_sigmoid": lambda x: -_softplus(-x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(np.expm1(np.minimum(x, 0)), 0),
    "gelu": lambda x: x * special.ndtr(x),
    "silu": lambda x: x * special.expit(x),
    "swish": lambda x: x * special.expit(x),
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "hard_swish": lambda x: x * _hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2)),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "linear": lambda x: x,
    "step": lambda x: (x >= 0).astype(x.dtype),
}
KINKED = {"step"}  # no gradient: tested separately


@pytest.fixture
def strict():
    """Overflow, invalid operations and division by zero raise (harmless underflow does not)."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_reference_float64_and_float32(name, strict):
    fn = activations.get(name)
    expected = REFERENCES[name](GRID)
    out64 = fn(lamina.Tensor(GRID))
    assert out64.dtype == np.float64 and out64.shape == GRID.shape
    np.testing.assert_allclose(np.asarray(out64), expected, rtol=1e-12, atol=1e-12)
    x32 = GRID.astype(np.float32)
    out32 = fn(lamina.Tensor(x32))
    assert out32.dtype == np.float32, f"{name} upcast float32 to {out32.dtype}"
    np.testing.assert_allclose(np.asarray(out32), expected, rtol=3e-6, atol=2e-6)


@pytest.mark.parametrize("name", sorted(set(REFERENCES) - KINKED - {"linear"}))
def test_gradients_match_finite_differences(name):
    fn = activations.get(name)
    assert lamina.utils.check_gradients(fn, GRAD_GRID.copy()) < 1e-6


def test_linear_returns_its_input_and_has_unit_gradient():
    x = lamina.Tensor(GRAD_GRID.copy())
    assert activations.linear(x) is x
    assert activations.get(None) is activations.linear


def test_step_is_the_unit_step_and_has_no_gradient():
    v = lamina.Variable(np.array([-2.0, -1e-3, 0.0, 1e-3, 5.0]))
    np.testing.assert_array_equal(activations.step(v).numpy(), [0, 0, 1, 1, 1])
    with lamina.GradientTape() as tape:
        y = ops.sum(activations.step(v))
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, v)), np.zeros(5))


@pytest.mark.parametrize("kwargs", [
    {"negative_slope": 0.5}, {"max_value": 5.0}, {"threshold": 5.0}, {"max_value": 6},
    {"negative_slope": 0.1, "max_value": 4.0}, {"negative_slope": 0.3, "threshold": 1.1},
    {"negative_slope": 0.2, "threshold": -1.5, "max_value": 2.5}, {"threshold": -0.7},
    {"threshold": 0.9, "max_value": 3.3},
])  # fmt: skip
def test_relu_options_match_keras_piecewise_formula(kwargs, strict):
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 3e-6)):
        out = activations.relu(lamina.Tensor(GRID.astype(dtype)), **kwargs)
        assert out.dtype == dtype
        np.testing.assert_allclose(np.asarray(out), _relu_ref(GRID, **kwargs), rtol=tol, atol=tol)
    grid = GRAD_GRID[np.abs(GRAD_GRID - kwargs.get("threshold", 0.0)) > 0.05]
    grid = grid[np.abs(grid - kwargs.get("max_value", 1e9)) > 0.05]
    err = lamina.utils.check_gradients(lambda x: activations.relu(x, **kwargs), grid)
    assert err < 1e-6


def test_relu_docstring_examples():
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    relu = activations.relu
    np.testing.assert_allclose(relu(x).numpy(), [0, 0, 0, 5, 10])
    np.testing.assert_allclose(relu(x, negative_slope=0.5).numpy(), [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])


def test_default_relu_is_one_op(monkeypatch):
    calls = []
    real = ops.relu
    monkeypatch.setattr(ops, "relu", lambda x: calls.append(x) or real(x))
    x = lamina.Tensor(np.array([-1.0, 2.0], np.float32))
    y = activations.relu(x)
    assert calls == [x] and y.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elu_alpha_leaky_slope_and_gelu_approximation(dtype, strict):
    x = lamina.Tensor(GRID.astype(dtype))
    tol = 1e-12 if dtype == np.float64 else 3e-6
    np.testing.assert_allclose(
        np.asarray(activations.elu(x, alpha=0.3)),
        np.where(GRID > 0, GRID, 0.3 * np.expm1(np.minimum(GRID, 0))), rtol=tol, atol=tol)
    np.testing.assert_allclose(
        np.asarray(activations.leaky_relu(x, negative_slope=0.05)),
        np.where(GRID > 0, GRID, 0.05 * GRID), rtol=tol, atol=tol)
    approx = activations.gelu(x, approximate=True)
    assert approx.dtype == dtype
    ref = 0.5 * GRID * (1 + np.tanh(np.sqrt(2 / np.pi) * (GRID + 0.044715 * GRID**3)))
    np.testing.assert_allclose(np.asarray(approx), ref, rtol=tol, atol=tol)
    # Keras's activation default is the exact form (ops.gelu's default is the approximation).
    assert not np.allclose(np.asarray(activations.gelu(x)), ref, rtol=1e-6, atol=1e-6)


def test_gelu_approximate_and_parametrized_gradients():
    g = GRAD_GRID.copy()
    assert lamina.utils.check_gradients(lambda x: activations.gelu(x, approximate=True), g) < 1e-6
    assert lamina.utils.check_gradients(lambda x: activations.elu(x, alpha=0.3), g) < 1e-6
    assert lamina.utils.check_gradients(lambda x: activations.celu(x, alpha=2.5), g) < 1e-6
    assert lamina.utils.check_gradients(lambda x: activations.squareplus(x, b=0.5), g) < 1e-6


def test_celu_alpha_threshold_and_squareplus_parameters(strict):
    x = lamina.Tensor(GRID)
    np.testing.assert_allclose(
        activations.celu(x, alpha=2.5).numpy(),
        np.maximum(GRID, 0) + np.minimum(2.5 * np.expm1(np.minimum(GRID, 0) / 2.5), 0), rtol=1e-12)
    np.testing.assert_allclose(
        activations.threshold(x, 0.4, -3.0).numpy(), np.where(GRID > 0.4, GRID, -3.0))
    np.testing.assert_allclose(
        activations.squareplus(x, b=0.5).numpy(), (GRID + np.sqrt(GRID**2 + 0.5)) / 2,
        rtol=1e-12, atol=1e-12)
    # Far left, squareplus(x) ~ b / (4 |x|): float32 keeps that tail (no cancellation to 0).
    far = activations.squareplus(np.array([-1e4, -1e6], np.float32)).numpy()
    np.testing.assert_allclose(far, [4 / 4e4, 4 / 4e6], rtol=1e-6)
    np.testing.assert_array_equal(activations.squareplus(x, b=0).numpy(), np.maximum(GRID, 0))
    np.testing.assert_allclose(
        activations.hard_shrink(x, threshold=2.0).numpy(), np.where(np.abs(GRID) > 2, GRID, 0))
    with pytest.raises(ValueError, match="b"):
        activations.squareplus(x, b=-1)


def test_exponential_values_and_float32_overflow():
    x = np.linspace(-80, 80, 33)
    np.testing.assert_allclose(activations.exponential(lamina.Tensor(x)).numpy(), np.exp(x), rtol=1e-12)
    with np.errstate(over="ignore"):  # as Keras: exp overflows to inf past ~88.7 in float32
        assert np.isinf(activations.exponential(np.array([100.0], np.float32)).numpy()[0])
    assert lamina.utils.check_gradients(activations.exponential, np.linspace(-3, 3, 9)) < 1e-6


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_along_axis(axis, strict, rng):
    z = rng.standard_normal((4, 5)) * 30
    z[0, 0] = 1e4  # saturating row: exp would overflow without the max shift
    p = activations.softmax(lamina.Tensor(z), axis=axis)
    np.testing.assert_allclose(p.numpy(), special.softmax(z, axis=axis), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        activations.log_softmax(lamina.Tensor(z), axis=axis).numpy(),
        special.log_softmax(z, axis=axis), rtol=1e-12)
    small = rng.standard_normal((3, 4))
    for fn in (activations.softmax, activations.log_softmax):
        assert lamina.utils.check_gradients(lambda x, fn=fn: fn(x, axis=axis), small) < 1e-6


def test_softmax_and_sigmoid_keep_their_logits_for_the_losses():
    z = lamina.Tensor(np.array([[60.0, -60.0, 0.0], [1.0, 2.0, 3.0]], np.float32))
    p = activations.softmax(z)
    assert p._keras_logits is z
    assert activations.sigmoid(z)._keras_logits is z
    # The loss uses the logits, so an extreme logit gives the exact loss (60 + log(1+...)),
    # not the clipped -log(1e-7).
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    loss = ops.categorical_crossentropy(y, p).numpy()
    exact = special.logsumexp(z.numpy().astype(np.float64), axis=-1) - np.array([-60.0, 3.0])
    np.testing.assert_allclose(loss, exact, rtol=1e-5)


def test_glu_halves_the_axis():
    x = np.linspace(-2, 2, 24).reshape(3, 8)
    out = activations.glu(lamina.Tensor(x)).numpy()
    np.testing.assert_allclose(out, x[:, :4] * special.expit(x[:, 4:]), rtol=1e-12)
    out0 = activations.glu(lamina.Tensor(x.reshape(6, 4)), axis=0).numpy()
    np.testing.assert_allclose(out0, x.reshape(6, 4)[:3] * special.expit(x.reshape(6, 4)[3:]))
    assert lamina.utils.check_gradients(activations.glu, x) < 1e-6
    with pytest.raises(ValueError, match="even"):
        activations.glu(np.ones((2, 3)))


def test_python_lists_and_int_arrays_become_float32():
    assert activations.relu([-1.0, 2.0]).dtype == np.float32
    assert activations.sigmoid(np.array([1, 2])).dtype == np.float32
    assert activations.relu([-1.0, 2.0], max_value=1.0).dtype == np.float32
    assert activations.relu(np.array([-1.0, 2.0], np.float32), threshold=np.float64(0.5)).dtype == np.float32


# --- lookup ------------------------------------------------------------------------------


def test_get_and_serialize_round_trip_every_builtin():
    for name, fn in activations.ALL_OBJECTS_DICT.items():
        assert activations.get(name) is fn
        assert activations.get(activations.serialize(fn)) is fn
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.get("swish") is activations.silu
    assert activations.get("step") is activations.step


def test_get_accepts_callables_and_keras_function_dicts():
    def custom(x):
        return ops.multiply(x, 2.0)

    assert activations.get(custom) is custom
    assert activations.get({"module": "keras.activations", "class_name": "function",
                            "config": "relu", "registered_name": "relu"}) is activations.relu
    config = activations.serialize(custom)
    assert config["config"] == "custom"
    assert activations.deserialize(config, custom_objects={"custom": custom}) is custom


def test_unknown_names_raise_with_the_closest_suggestion():
    with pytest.raises(ValueError, match="did you mean 'relu'") as info:
        activations.get("rleu")
    assert "sigmoid" in str(info.value)  # the valid names are listed
    with pytest.raises(ValueError, match="did you mean 'softmax'"):
        activations.get("softmx")
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        activations.get("Relu")
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(42)
