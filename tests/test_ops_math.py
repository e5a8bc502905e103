"""Elementwise math ops: values against NumPy/SciPy, gradients against finite differences."""
import numpy as np
import pytest
import scipy.special

import lamina
from lamina import ops
from tests.helpers import check_op

UNARY = [  # (op, reference, domain keyword arguments for the helper)
    ("negative", np.negative, {}),
    ("square", np.square, {}),
    ("sqrt", np.sqrt, {"positive": True}),
    ("abs", np.abs, {"away_from": 0.0}),
    ("absolute", np.abs, {"away_from": 0.0}),
    ("exp", np.exp, {}),
    ("expm1", np.expm1, {}),
    ("exp2", np.exp2, {}),
    ("log", np.log, {"positive": True}),
    ("log1p", np.log1p, {"positive": True}),
    ("log2", np.log2, {"positive": True}),
    ("log10", np.log10, {"positive": True}),
    ("reciprocal", np.reciprocal, {"away_from": 0.0}),
    ("rsqrt", lambda a: 1 / np.sqrt(a), {"positive": True}),
    ("cbrt", np.cbrt, {"away_from": 0.0}),
    ("sin", np.sin, {}),
    ("cos", np.cos, {}),
    ("tan", np.tan, {"low": -1.2, "high": 1.2}),
    ("arctan", np.arctan, {}),
    ("sinh", np.sinh, {}),
    ("cosh", np.cosh, {}),
    ("arcsin", np.arcsin, {"low": -0.9, "high": 0.9}),
    ("arccos", np.arccos, {"low": -0.9, "high": 0.9}),
    ("arcsinh", np.arcsinh, {}),
    ("arccosh", np.arccosh, {"low": 1.2, "high": 4.0}),
    ("arctanh", np.arctanh, {"low": -0.9, "high": 0.9}),
    ("erf", scipy.special.erf, {}),
    ("erfinv", scipy.special.erfinv, {"low": -0.9, "high": 0.9}),
    ("sign", np.sign, {"away_from": 0.0}),
]


@pytest.mark.parametrize("name,ref,domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_unary(name, ref, domain, shape):
    check_op(getattr(ops, name), shape, ref=ref, **domain)


BINARY = [
    ("add", np.add, {}),
    ("subtract", np.subtract, {}),
    ("multiply", np.multiply, {}),
    ("divide", np.divide, {"away_from": 0.0}),
    ("true_divide", np.divide, {"away_from": 0.0}),
    ("maximum", np.maximum, {}),
    ("minimum", np.minimum, {}),
    ("arctan2", np.arctan2, {"away_from": 0.0}),
    ("logaddexp", np.logaddexp, {}),
    ("divide_no_nan", np.divide, {"away_from": 0.0}),
]
SHAPES = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)),
          ((), (3,)), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("name,ref,domain", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_broadcasting(name, ref, domain, shapes):
    check_op(getattr(ops, name), *shapes, ref=ref, **domain)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_power(shapes):
    check_op(ops.power, *shapes, ref=np.power, positive=True)


def test_power_with_constant_exponents():
    check_op(lambda x: ops.power(x, 3), (4,), ref=lambda a: a**3)
    check_op(lambda x: x**2.5, (4,), ref=lambda a: a**2.5, positive=True)
    check_op(lambda x: 2.0**x, (4,), ref=lambda a: 2.0**a)


def test_mod():
    check_op(ops.mod, (6,), (6,), ref=np.mod, low=0.3, high=5.0)


def test_divide_no_nan_zero_denominator():
    out = ops.divide_no_nan(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.0, -1.0]))
    np.testing.assert_array_equal(out.numpy(), [0.5, 0.0, -3.0])
    x, y = lamina.Variable([1.0, 2.0], dtype="float64"), lamina.Variable([0.0, 4.0], dtype="float64")
    with lamina.GradientTape() as tape:
        z = ops.divide_no_nan(x, y)
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_allclose(gx.numpy(), [0.0, 0.25])
    np.testing.assert_allclose(gy.numpy(), [0.0, -2.0 / 16])


@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (0.0, 1.0)])
def test_clip(lo, hi):
    check_op(lambda x: ops.clip(x, lo, hi), (3, 4), ref=lambda a: np.clip(a, lo, hi), away_from=(lo, hi))


def test_clip_gradient_at_bounds_passes():
    x = lamina.Variable([-1.0, 0.0, 1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.clip(x, 0.0, 1.0))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0, 1, 1, 0])


@pytest.mark.parametrize("cshape,xshape,yshape", [((3, 4), (3, 4), (3, 4)), ((3, 1), (3, 4), (4,)), ((4,), (), (3, 4))])
def test_where(cshape, xshape, yshape):
    cond = np.random.default_rng(1).random(cshape) > 0.5
    check_op(lambda a, b: ops.where(cond, a, b), xshape, yshape, ref=lambda a, b: np.where(cond, a, b))


def test_where_single_argument_gives_indices():
    rows, cols = ops.where(np.array([[0, 1], [1, 0]]))
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0])
    with pytest.raises(ValueError, match="both x1 and x2"):
        ops.where(np.array([True]), 1.0)


def test_maximum_ties_send_gradient_to_first_argument():
    a, b = lamina.Variable([1.0, 2.0]), lamina.Variable([1.0, 3.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.maximum(a, b))
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(ga.numpy(), [1, 0])
    np.testing.assert_array_equal(gb.numpy(), [0, 1])


def test_nan_to_num():
    x = np.array([1.0, np.nan, np.inf, -np.inf])
    out = ops.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)
    np.testing.assert_array_equal(out.numpy(), [1.0, 0.5, 9.0, -9.0])
    check_op(ops.nan_to_num, (4,), ref=np.nan_to_num)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "floor_divide"])
def test_piecewise_constant_ops_have_no_gradient(name):
    x = lamina.Variable([1.3, -2.7])
    with lamina.GradientTape() as tape:
        y = getattr(ops, name)(x, 2.0) if name == "floor_divide" else getattr(ops, name)(x)
    ref = {"floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
           "floor_divide": lambda a: np.floor_divide(a, 2.0)}[name]
    np.testing.assert_array_equal(y.numpy(), ref(x.numpy()))
    assert tape.gradient(y, x) is None


@pytest.mark.parametrize("name", [b[0] for b in BINARY] + ["power", "mod", "equal", "less", "logical_and"])
def test_binary_shape_mismatch_names_op_and_shapes(name):
    with pytest.raises(ValueError) as info:
        getattr(ops, name)(np.ones((3, 4)), np.ones((2, 4)))
    msg = str(info.value)
    assert {"true_divide": "divide"}.get(name, name) in msg and "(3, 4)" in msg and "(2, 4)" in msg


def test_python_operators_match_ops():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)) + 3, rng.standard_normal((2, 3)) + 3
    ta, tb = lamina.Tensor(a), lamina.Tensor(b)
    cases = [(ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b), (ta**tb, a**b),
             (-ta, -a), (2.0 - ta, 2.0 - a), (1.0 / ta, 1.0 / a), (abs(-ta), a), (a + tb, a + b),
             (ta @ tb.T, a @ b.T), (a @ tb.T, a @ b.T), (ta // 2, a // 2), (ta % 2, a % 2)]
    for got, want in cases:
        assert isinstance(got, lamina.Tensor)
        np.testing.assert_allclose(got.numpy(), want)
    np.testing.assert_array_equal((ta < tb).numpy(), a < b)
    np.testing.assert_array_equal((ta >= 3).numpy(), a >= 3)
    np.testing.assert_array_equal((ta == lamina.Tensor(a.copy())).numpy(), np.ones((2, 3), bool))
    check_op(lambda x, y: (x * y - x / y + x**2) @ y.T, (2, 3), (2, 3), away_from=0.0)


def test_numpy_ufuncs_on_tensors_are_differentiable():
    check_op(lambda x: np.exp(x) + np.sin(x) * np.log(np.abs(x)), (5,), away_from=0.0,
             ref=lambda a: np.exp(a) + np.sin(a) * np.log(np.abs(a)))


def test_python_scalars_keep_float32():
    x = lamina.Tensor(np.ones(3, np.float32))
    for y in (x * 2.0, 2.0 * x, x + 1, x / 3.0, x**2.0, ops.maximum(x, 0.5), ops.power(x, 2), x - np.float64(1.0)):
        assert y.dtype == np.float32
    assert ops.divide(np.int32(1), 2).dtype == np.float32  # int / int is floatx, not float64


def test_select_first_match_wins():
    rng = np.random.default_rng(0)
    c1, c2 = rng.random((3, 4)) > 0.5, rng.random((3, 4)) > 0.3
    check_op(lambda a, b: ops.select([c1, c2], [a, b], default=-1.0), (3, 4), (4,),
             ref=lambda a, b: np.select([c1, c2], [a, np.broadcast_to(b, (3, 4))], default=-1.0))
    with pytest.raises(ValueError, match="same length"):
        ops.select([c1], [1.0, 2.0])


def test_where_shape_error():
    with pytest.raises(ValueError, match=r"where.*\(3,\).*\(2,\)"):
        ops.where(np.ones(3, bool), np.ones(2), 0.0)
