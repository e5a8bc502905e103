"""Reductions: every axis/keepdims variant (negative axes too), values and gradients."""
import numpy as np
import pytest
import scipy.special

import lamina
from lamina import ops
from tests.helpers import check_op

AXES = [None, 0, 1, -1, -2, (0, 2), (-1, 0)]
SMOOTH = [
    ("sum", np.sum), ("mean", np.mean), ("var", np.var), ("std", np.std),
    ("logsumexp", scipy.special.logsumexp), ("max", np.max), ("min", np.min), ("amax", np.amax),
    ("amin", np.amin), ("prod", np.prod),
]


@pytest.mark.parametrize("name,ref", SMOOTH, ids=[s[0] for s in SMOOTH])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction(name, ref, axis, keepdims):
    fn = getattr(ops, name)
    check_op(lambda x: fn(x, axis=axis, keepdims=keepdims), (2, 3, 4),
             ref=lambda a: ref(a, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "prod", "logsumexp", "var", "std"])
def test_reduction_of_vector_and_scalar(name):
    ref = scipy.special.logsumexp if name == "logsumexp" else getattr(np, name)
    check_op(getattr(ops, name), (5,), ref=ref)
    check_op(lambda x: getattr(ops, name)(x, axis=0), (5,), ref=lambda a: ref(a, axis=0))


def test_max_ties_share_the_gradient():
    x = lamina.Variable([1.0, 3.0, 3.0, 2.0])
    with lamina.GradientTape() as tape:
        y = ops.max(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0, 0.5, 0.5, 0])


def test_max_with_initial_larger_than_all_gives_zero_gradient():
    x = lamina.Variable([1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = ops.max(x, initial=5.0)
    assert float(y) == 5.0
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0, 0])


@pytest.mark.parametrize("zeros", [[1], [0, 2], []])
def test_prod_gradient_with_zeros(zeros):
    a = np.random.default_rng(0).standard_normal((3, 4)) + 2
    for z in zeros:
        a[z, 1] = 0.0
    a[0, 3] = 0.0  # row 0: one zero (or two); column 3 has one zero
    check_op(lambda x: ops.prod(x, axis=0), a, ref=lambda b: np.prod(b, axis=0))
    check_op(lambda x: ops.prod(x, axis=1, keepdims=True), a, ref=lambda b: np.prod(b, axis=1, keepdims=True))


def test_logsumexp_is_stable():
    out = ops.logsumexp(np.array([1000.0, 1000.0]))
    np.testing.assert_allclose(float(out), 1000 + np.log(2))
    assert float(ops.logsumexp(np.array([-np.inf, -np.inf]))) == -np.inf


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum(axis):
    check_op(lambda x: ops.cumsum(x, axis=axis), (3, 4), ref=lambda a: np.cumsum(a, axis=axis))


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_cumprod(axis):
    check_op(lambda x: ops.cumprod(x, axis=axis), (3, 4), ref=lambda a: np.cumprod(a, axis=axis))


def test_cumprod_gradient_with_zeros():
    a = np.array([[2.0, 0.0, 3.0, -1.5], [0.0, 0.0, 1.2, 2.0]])
    check_op(lambda x: ops.cumprod(x, axis=1), a, ref=lambda b: np.cumprod(b, axis=1))


@pytest.mark.parametrize("axis,weights", [(None, None), (1, (4,)), (0, (3,)), (None, (3, 4)), (-1, (3, 4))])
def test_average(axis, weights):
    if weights is None:
        check_op(lambda x: ops.average(x, axis=axis), (3, 4), ref=lambda a: np.average(a, axis=axis))
    else:
        check_op(lambda x, w: ops.average(x, axis=axis, weights=w), (3, 4), weights, positive=True,
                 ref=lambda a, w: np.average(a, axis=axis, weights=w))


def test_segment_sum():
    ids = np.array([0, 2, 0, 3, -1])  # -1 is dropped (as TensorFlow)
    ref = np.zeros((4, 3))
    check_op(lambda x: ops.segment_sum(x, ids), (5, 3), ref=lambda a: _segment(np.add, a, ids, 4, 0.0))
    check_op(lambda x: ops.segment_sum(x, ids, num_segments=5), (5, 3),
             ref=lambda a: _segment(np.add, a, ids, 5, 0.0))
    assert ref.shape == (4, 3)


def test_segment_max():
    ids = np.array([1, 1, 0, 2, 1])
    low = np.finfo(np.float64).min
    check_op(lambda x: ops.segment_max(x, ids), (5, 2), ref=lambda a: _segment(np.maximum, a, ids, 3, low))
    empty = ops.segment_max(np.ones((2, 2)), np.array([0, 0]), num_segments=2).numpy()
    np.testing.assert_array_equal(empty[1], [low, low])  # an empty segment holds the lowest value
    with pytest.raises(ValueError, match="segment_ids"):
        ops.segment_max(np.ones((3, 2)), np.array([0, 1]))


def _segment(fn, a, ids, n, init):
    out = np.full((n,) + a.shape[1:], init)
    for row, s in zip(a, ids):
        if 0 <= s < n:
            out[s] = fn(out[s], row)
    return out


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_arg_reductions(name, axis, keepdims):
    a = np.random.default_rng(2).standard_normal((3, 4))
    out = getattr(ops, name)(a, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, axis=axis, keepdims=keepdims))
    assert out.dtype == np.int32


def test_boolean_reductions():
    a = np.array([[0, 1, 2], [0, 0, 3]])
    np.testing.assert_array_equal(ops.any(a, axis=1).numpy(), [True, True])
    np.testing.assert_array_equal(ops.all(a, axis=0).numpy(), [False, False, True])
    np.testing.assert_array_equal(ops.count_nonzero(a, axis=-1).numpy(), [2, 1])


def test_bad_axis_names_rank():
    with pytest.raises(ValueError, match="out of bounds.*rank 2"):
        ops.sum(np.ones((2, 3)), axis=2)


def test_moments_and_float32():
    check_op(lambda x: ops.moments(x, axes=(0, 1))[1], (3, 2, 4), ref=lambda a: np.var(a, axis=(0, 1)))
    x = np.ones((4, 3), np.float32)
    for name in ("sum", "mean", "var", "std", "max", "logsumexp", "prod"):
        assert getattr(ops, name)(x, axis=0).dtype == np.float32, name
    assert ops.mean(np.arange(4)).dtype == np.float32  # integer mean is floatx


METHODS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("q", [0.3, [0.0, 0.25, 1.0]], ids=str)
def test_quantile(method, axis, q):
    for keep in (False, True):
        check_op(lambda x, k=keep: ops.quantile(x, q, axis=axis, method=method, keepdims=k), (3, 4, 2),
                 ref=lambda a, k=keep: np.quantile(a, q, axis=axis, method=method, keepdims=k))


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_median(axis):
    check_op(lambda x: ops.median(x, axis=axis), (4, 5), ref=lambda a: np.median(a, axis=axis))


def test_quantile_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ops.quantile(np.ones(3), 1.5)
    with pytest.raises(ValueError, match="method"):
        ops.quantile(np.ones(3), 0.5, method="cubic")


def test_bincount():
    idx = np.array([0, 3, 3, 1])
    np.testing.assert_array_equal(ops.bincount(idx).numpy(), [1, 1, 0, 2])
    np.testing.assert_array_equal(ops.bincount(idx, minlength=6).numpy(), [1, 1, 0, 2, 0, 0])
    check_op(lambda w: ops.bincount(idx, weights=w), (4,), ref=lambda w: np.bincount(idx, weights=w))


def test_logsumexp_gradient_of_an_all_minus_inf_row_is_zero_not_nan():
    import warnings as _w

    x = lamina.Variable(np.array([[-np.inf, -np.inf], [0.0, np.log(3.0)]], np.float32))
    with _w.catch_warnings():
        _w.simplefilter("error")  # 0/0 used to warn and give NaN
        with lamina.GradientTape() as tape:
            y = ops.sum(ops.where(ops.isfinite(ops.logsumexp(x, axis=1)), ops.logsumexp(x, axis=1), 0.0))
        g = np.asarray(tape.gradient(y, x))
    np.testing.assert_array_equal(g[0], [0.0, 0.0])
    np.testing.assert_allclose(g[1], [0.25, 0.75], rtol=1e-6)
