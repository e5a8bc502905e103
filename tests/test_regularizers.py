"""Regularizers: Keras's formulas in float64 NumPy, gradients, validation and configs."""
import numpy as np
import pytest

import lamina
from lamina import ops
from lamina import regularizers as R


@pytest.fixture
def w(rng):
    x = rng.standard_normal((7, 5))
    x[np.abs(x) < 0.05] = 0.3  # keep |x| off its kink for finite differences
    return x


def _orthogonal_ref(x, factor, mode):
    m = x if mode == "rows" else x.T
    u = m / np.maximum(np.sqrt((m * m).sum(axis=1, keepdims=True)), 1e-7)
    gram = u @ u.T
    n = m.shape[0]
    off = np.abs(gram).sum() - np.abs(np.diag(gram)).sum()
    return factor * 0.5 * off / (n * (n - 1) / 2)


def test_values_match_keras_formulas(w):
    np.testing.assert_allclose(R.L1(0.3)(w).numpy(), 0.3 * np.abs(w).sum(), rtol=1e-12)
    np.testing.assert_allclose(R.L2(0.2)(w).numpy(), 0.2 * (w**2).sum(), rtol=1e-12)  # no 1/2
    np.testing.assert_allclose(
        R.L1L2(l1=0.01, l2=0.05)(w).numpy(), 0.01 * np.abs(w).sum() + 0.05 * (w**2).sum(), rtol=1e-12)
    np.testing.assert_allclose(R.L1L2(l2=0.05)(w).numpy(), 0.05 * (w**2).sum(), rtol=1e-12)
    np.testing.assert_allclose(R.L1L2(l1=0.05)(w).numpy(), 0.05 * np.abs(w).sum(), rtol=1e-12)
    assert float(R.L1L2()(w)) == 0.0
    for mode in ("rows", "columns"):
        np.testing.assert_allclose(
            R.OrthogonalRegularizer(0.7, mode)(w).numpy(), _orthogonal_ref(w, 0.7, mode), rtol=1e-12)


def test_keras_docstring_examples():
    ones = ops.ones((5, 5))
    assert float(R.L2(2.0)(ones)) == pytest.approx(50.0)
    assert float(R.L1(0.01)(ones)) == pytest.approx(0.25)
    assert float(R.l2(0.002)(ones)) == pytest.approx(0.05)  # the textbook spelling


def test_orthogonal_regularizer_extremes():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((6, 6)))
    assert float(R.OrthogonalRegularizer(1.0)(q)) == pytest.approx(0.0, abs=1e-12)
    same_rows = np.tile(np.array([[1.0, 2.0, -1.0]]), (4, 1))
    # all normalized rows equal: every pair contributes 1, so the penalty is factor
    assert float(R.OrthogonalRegularizer(0.3, "rows")(same_rows)) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="rank-2"):
        R.OrthogonalRegularizer()(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="at least 2 columns"):
        R.OrthogonalRegularizer(mode="columns")(np.ones((4, 1)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_result_is_a_scalar_of_the_weight_dtype(w, dtype):
    for reg in (R.L1(), R.L2(), R.L1L2(0.1, 0.2), R.L1L2(), R.OrthogonalRegularizer()):
        out = reg(lamina.Tensor(w.astype(dtype)))
        assert isinstance(out, lamina.Tensor) and out.shape == () and out.dtype == dtype


@pytest.mark.parametrize("reg", [
    R.L1(0.3), R.L2(0.2), R.L1L2(0.1, 0.4), R.OrthogonalRegularizer(0.5, "rows"),
    R.OrthogonalRegularizer(0.5, "columns"),
], ids=repr)  # fmt: skip
def test_gradients_match_finite_differences(reg, w):
    assert lamina.utils.check_gradients(reg, w) < 1e-6


def test_tape_gradient_of_l2_on_a_variable_is_2_l2_w(w):
    v = lamina.Variable(w.astype(np.float32))
    with lamina.GradientTape() as tape:
        loss = R.L2(0.01)(v)
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), 0.02 * w, rtol=1e-6)
    with lamina.GradientTape() as tape:
        loss = R.L1(0.5)(v)
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), 0.5 * np.sign(w))


@pytest.mark.parametrize("make, name", [
    (lambda: R.L1(-0.1), "l1"), (lambda: R.L2("0.1"), "l2"), (lambda: R.L1L2(l1=float("nan")), "l1"),
    (lambda: R.L1L2(l2=float("inf")), "l2"), (lambda: R.L2(True), "l2"),
    (lambda: R.OrthogonalRegularizer(factor=-1.0), "factor"),
    (lambda: R.OrthogonalRegularizer(factor=[0.1]), "factor"),
])  # fmt: skip
def test_invalid_factors_raise_naming_the_argument(make, name):
    with pytest.raises(ValueError, match=f"argument {name}"):
        make()


def test_invalid_mode_suggests_the_closest():
    with pytest.raises(ValueError, match="did you mean 'rows'"):
        R.OrthogonalRegularizer(mode="row")


def test_none_factors_take_the_keras_defaults():
    assert R.L1(None).l1 == 0.01 and R.L2(None).l2 == 0.01
    assert R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}
    assert R.L2(np.float32(0.5)).l2 == 0.5 and isinstance(R.L2(np.float32(0.5)).l2, float)


@pytest.mark.parametrize("reg", [R.L1(0.2), R.L2(0.3), R.L1L2(0.1, 0.05),
                                 R.OrthogonalRegularizer(0.4, "columns")], ids=repr)
def test_config_round_trip(reg, w):
    config = reg.get_config()
    assert all(isinstance(v, (float, str)) for v in config.values())
    clone = type(reg).from_config(config)
    assert clone.get_config() == config
    data = R.serialize(reg)
    assert data["class_name"] == type(reg).__name__ and data["config"] == config
    back = R.get(data)
    assert type(back) is type(reg) and back.get_config() == config
    np.testing.assert_allclose(back(w).numpy(), reg(w).numpy(), rtol=1e-12)


def test_get_by_name_alias_class_instance_and_callable():
    assert R.get("l2").get_config() == {"l2": 0.01}
    assert R.get("L1").get_config() == {"l1": 0.01}
    assert R.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}  # documented string default
    assert R.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}  # the class default
    assert type(R.get("orthogonal_regularizer")) is R.OrthogonalRegularizer
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.l1_l2 is R.L1L2
    assert type(R.get(R.L2)) is R.L2
    inst = R.L1(0.5)
    assert R.get(inst) is inst

    def custom(x):
        return ops.multiply(0.1, ops.sum(x))

    assert R.get(custom) is custom
    assert R.get(None) is None


def test_unknown_and_uninterpretable_identifiers():
    with pytest.raises(ValueError, match="did you mean 'l2'"):
        R.get("l3")
    with pytest.raises(ValueError, match="Could not interpret"):
        R.get(0.01)
    with pytest.raises(NotImplementedError, match="get_config"):
        R.Regularizer().get_config()
    assert float(R.Regularizer()(np.ones(3))) == 0.0
