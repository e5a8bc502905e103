"""Constraints: Keras's norm formulas (epsilon placement) in float64 NumPy, axes, configs."""
import numpy as np
import pytest

import lamina
from lamina import constraints as C

EPS = 1e-7


def _norms(w, axis):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


@pytest.fixture
def kernel(rng):
    # Column norms spread on both sides of 1 and 2.
    return rng.standard_normal((12, 8)) * np.linspace(0.05, 1.2, 8)


def test_max_norm_formula_and_resulting_norms(kernel):
    out = C.MaxNorm(max_value=2.0)(kernel)
    assert isinstance(out, lamina.Tensor) and out.dtype == np.float64
    n = _norms(kernel, 0)
    np.testing.assert_allclose(out.numpy(), kernel * np.clip(n, 0, 2.0) / (EPS + n), rtol=1e-14)
    after = _norms(out.numpy(), 0).ravel()
    assert (n.ravel() > 2).any() and (n.ravel() < 2).any()
    np.testing.assert_allclose(after, np.minimum(n.ravel(), 2.0), rtol=1e-6)


def test_max_norm_axis_1_and_conv_filters(rng):
    w = rng.standard_normal((6, 10)) * 3
    out = C.MaxNorm(1.5, axis=1)(w).numpy()
    np.testing.assert_allclose(_norms(out, 1).ravel(), np.minimum(_norms(w, 1).ravel(), 1.5), rtol=1e-6)
    conv = rng.standard_normal((3, 3, 4, 8))
    out = C.MaxNorm(2.0, axis=[0, 1, 2])(conv).numpy()  # each filter's (3, 3, 4) block
    per_filter = np.sqrt((out**2).sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(per_filter, np.minimum(np.sqrt((conv**2).sum(axis=(0, 1, 2))), 2.0), rtol=1e-6)
    assert C.MaxNorm(2.0, axis=(0, 1, 2))(conv).shape == conv.shape


def test_unit_norm(kernel):
    out = C.UnitNorm()(kernel).numpy()
    n = _norms(kernel, 0)
    np.testing.assert_allclose(out, kernel / (EPS + n), rtol=1e-14)
    np.testing.assert_allclose(_norms(out, 0).ravel(), n.ravel() / (EPS + n.ravel()), rtol=1e-12)
    rows = C.UnitNorm(axis=-1)(kernel).numpy()
    np.testing.assert_allclose(_norms(rows, 1).ravel(), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(C.UnitNorm()(np.zeros((3, 2))).numpy(), 0.0)  # epsilon: no 0/0


def test_non_neg():
    w = np.array([[-1.5, 0.0, 2.0], [3.0, -0.1, 0.5]], np.float32)
    out = C.NonNeg()(w)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 2], [3, 0, 0.5]])


@pytest.mark.parametrize("rate", [1.0, 0.5, 0.1])
def test_min_max_norm(kernel, rate):
    out = C.MinMaxNorm(min_value=0.5, max_value=1.5, rate=rate)(kernel).numpy()
    n = _norms(kernel, 0)
    desired = rate * np.clip(n, 0.5, 1.5) + (1 - rate) * n
    np.testing.assert_allclose(out, kernel * desired / (EPS + n), rtol=1e-12)
    after = _norms(out, 0).ravel()
    np.testing.assert_allclose(after, desired.ravel(), rtol=1e-6)
    if rate == 1.0:
        assert after.min() >= 0.5 - 1e-6 and after.max() <= 1.5 + 1e-6


def test_dtypes_and_input_types(kernel):
    w32 = kernel.astype(np.float32)
    for value in (w32, lamina.Tensor(w32), lamina.Variable(w32)):
        out = C.MaxNorm(1.0)(value)
        assert isinstance(out, lamina.Tensor) and out.dtype == np.float32 and out.shape == w32.shape
        np.testing.assert_allclose(out.numpy(), C.MaxNorm(1.0)(kernel).numpy(), rtol=1e-5, atol=1e-7)
    assert C.UnitNorm()(np.array([[3, 4]]).T).dtype == np.float32  # ints become floatx
    assert C.MinMaxNorm(max_value=np.float64(2.0))(w32).dtype == np.float32  # no upcast


def test_optimizer_style_assign_back(kernel):
    v = lamina.Variable(kernel.astype(np.float32), constraint=C.MaxNorm(1.0))
    v.assign(v.constraint(v))
    assert _norms(v.numpy(), 0).max() <= 1.0 + 1e-6


def test_bad_axis_names_the_shape():
    with pytest.raises(ValueError, match=r"\(4, 3\)"):
        C.MaxNorm(axis=2)(np.ones((4, 3)))
    with pytest.raises(ValueError, match="min_value"):
        C.MinMaxNorm(min_value=2.0, max_value=1.0)


@pytest.mark.parametrize("c", [C.MaxNorm(3, axis=1), C.NonNeg(), C.UnitNorm(axis=[0, 1]),
                               C.MinMaxNorm(0.2, 0.9, 0.5, axis=-1)], ids=repr)
def test_config_round_trip(c, kernel):
    config = c.get_config()
    clone = type(c).from_config(config)
    assert clone.get_config() == config
    data = C.serialize(c)
    assert data["class_name"] == type(c).__name__
    back = C.get(data)
    assert type(back) is type(c) and back.get_config() == config
    np.testing.assert_array_equal(back(kernel).numpy(), c(kernel).numpy())


def test_defaults_names_and_lookup():
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert C.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert C.UnitNorm().get_config() == {"axis": 0}
    for name, cls in {"max_norm": C.MaxNorm, "non_neg": C.NonNeg, "unit_norm": C.UnitNorm,
                      "min_max_norm": C.MinMaxNorm, "MaxNorm": C.MaxNorm}.items():
        assert type(C.get(name)) is cls
    assert C.max_norm is C.MaxNorm and C.non_neg is C.NonNeg
    assert type(C.get(C.UnitNorm)) is C.UnitNorm
    inst = C.MaxNorm(4)
    assert C.get(inst) is inst and C.get(None) is None
    fn = lambda w: w
    assert C.get(fn) is fn
    with pytest.raises(ValueError, match="did you mean 'max_norm'"):
        C.get("max_nrom")
    with pytest.raises(ValueError, match="Could not interpret"):
        C.get(2.0)
    w = np.ones((2, 2))
    assert C.Constraint()(w) is w
