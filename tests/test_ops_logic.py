"""Comparisons, logical ops, integer-valued ops (no gradient) and control flow."""
import numpy as np
import pytest

import lamina
from lamina import ops
from tests.helpers import check_op

COMPARE = ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"]


@pytest.mark.parametrize("name", COMPARE)
def test_comparisons_broadcast_and_have_no_gradient(name):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    out = getattr(ops, name)(a, b)
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
    assert out.dtype == bool
    v = lamina.Variable(a)
    with lamina.GradientTape() as tape:
        y = getattr(ops, name)(v, b)
    with pytest.raises(TypeError, match="bool"):
        tape.gradient(y, v)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical(name):
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(getattr(ops, name)(a, b).numpy(), getattr(np, name)(a, b))
    np.testing.assert_array_equal(ops.logical_not(a).numpy(), ~a)
    t = lamina.Tensor(a)
    np.testing.assert_array_equal((t & b).numpy(), a & b)
    np.testing.assert_array_equal((t | b).numpy(), a | b)
    np.testing.assert_array_equal((~t).numpy(), ~a)


def test_float_predicates_and_isclose():
    a = np.array([1.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(ops.isnan(a).numpy(), np.isnan(a))
    np.testing.assert_array_equal(ops.isinf(a).numpy(), np.isinf(a))
    np.testing.assert_array_equal(ops.isfinite(a).numpy(), np.isfinite(a))
    np.testing.assert_array_equal(ops.isclose(np.array([1.0, 1.1]), 1.0).numpy(), [True, False])


def test_integer_valued_ops():
    x = np.array([0.2, 6.4, 3.0, 1.6])
    bins = np.array([0.0, 1.0, 2.5, 4.0, 10.0])
    np.testing.assert_array_equal(ops.digitize(x, bins).numpy(), np.digitize(x, bins))
    np.testing.assert_array_equal(ops.searchsorted(bins, x).numpy(), np.searchsorted(bins, x))
    np.testing.assert_array_equal(ops.searchsorted(bins, [1.0], side="right").numpy(), [2])
    np.testing.assert_array_equal(ops.isin(np.array([1, 2, 3]), [2, 5]).numpy(), [False, True, False])
    part = ops.argpartition(x, 1).numpy()
    assert set(part[:2]) == {0, 3} and part.dtype == np.int32


def test_cond_and_switch():
    x = lamina.Variable(np.array(2.0), dtype="float64")
    with lamina.GradientTape() as tape:
        y = ops.cond(x > 1, lambda: x * x, lambda: -x)
    assert float(y) == 4.0 and float(tape.gradient(y, x)) == 4.0
    assert float(ops.cond(x < 1, lambda: x * x, lambda: -x)) == -2.0
    branches = [lambda a: a + 1, lambda a: a * 10]
    assert float(ops.switch(1, branches, 2.0)) == 20.0
    assert float(ops.switch(7, branches, 2.0)) == 20.0  # clamped, as Keras


def test_while_and_fori_loops_are_differentiable():
    x = lamina.Variable(np.array(1.5), dtype="float64")
    with lamina.GradientTape() as tape:
        i, y = ops.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), (0, 1.0))
    assert i == 3
    np.testing.assert_allclose(float(tape.gradient(y, x)), 3 * 1.5**2)
    assert float(ops.while_loop(lambda v: v < 10, lambda v: v * 2, 1.0)) == 16.0
    assert float(ops.while_loop(lambda v: v < 10, lambda v: v * 2, 1.0, maximum_iterations=2)) == 4.0
    check_op(lambda a: ops.fori_loop(0, 3, lambda i, v: v * a + i, a), (3,),
             ref=lambda a: ((a * a) * a + 1) * a + 2)


def test_map_scan_vectorized_map():
    check_op(lambda a: ops.map(lambda r: ops.sum(r * r), a), (4, 3), ref=lambda a: (a * a).sum(1))
    check_op(lambda a: ops.vectorized_map(lambda r: r[::-1], a), (2, 3), ref=lambda a: a[:, ::-1])

    def cumulative(a):
        carry, ys = ops.scan(lambda c, x: (c + x, c * x), ops.zeros((3,), "float64"), a)
        return ops.concatenate([carry[None], ys], axis=0)

    def ref(a):
        c, ys = np.zeros(3), []
        for row in a:
            c, y = c + row, c * row
            ys.append(y)
        return np.concatenate([c[None], np.stack(ys)])

    check_op(cumulative, (4, 3), ref=ref, float32=False)  # the carry starts as float64
    carry, ys = ops.scan(lambda c, _: (c + 1, None), 0, length=5)
    assert carry == 5 and ys is None
    carry, ys = ops.scan(lambda c, x: (c + x, c), 0.0, np.arange(3.0), reverse=True)
    np.testing.assert_array_equal(ys.numpy(), [3.0, 2.0, 0.0])
