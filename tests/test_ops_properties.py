"""Property tests: random compositions of ops against NumPy and finite differences.

Derandomized (a fixed example sequence) so that CI runs are repeatable.
"""
import numpy as np
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from lamina import ops
from lamina.utils import check_gradients
from tests.test_ops_conv import naive_conv, naive_pool


def _sig(a):
    return 1 / (1 + np.exp(-a))


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# Smooth ops only (no kinks), so finite differences are exact up to O(eps^2).
UNARY = {
    "sin": (ops.sin, np.sin), "tanh": (ops.tanh, np.tanh), "sigmoid": (ops.sigmoid, _sig),
    "softplus": (ops.softplus, lambda a: np.logaddexp(0, a)), "square": (ops.square, np.square),
    "exp_tanh": (lambda x: ops.exp(ops.tanh(x)), lambda a: np.exp(np.tanh(a))),
    "log1p_sq": (lambda x: ops.log1p(ops.square(x)), lambda a: np.log1p(a * a)),
    "affine": (lambda x: x * 1.5 + 0.25, lambda a: a * 1.5 + 0.25), "silu": (ops.silu, lambda a: a * _sig(a)),
    "arctan": (ops.arctan, np.arctan), "erf": (ops.erf, scipy.special.erf), "cos": (ops.cos, np.cos),
    "neg": (lambda x: -x, np.negative),
}
BINARY = {
    "add": (ops.add, np.add), "subtract": (ops.subtract, np.subtract), "multiply": (ops.multiply, np.multiply),
    "divide": (lambda x, w: x / (1 + w * w), lambda a, b: a / (1 + b * b)),
    "logaddexp": (ops.logaddexp, np.logaddexp),
}
REDUCE = {
    "sum": (ops.sum, np.sum), "mean": (ops.mean, np.mean), "var": (ops.var, np.var),
    "logsumexp": (ops.logsumexp, scipy.special.logsumexp), "prod": (ops.prod, np.prod),
}


@st.composite
def programs(draw):
    """(input shape, steps, extra input shapes); each step maps (x, extras) -> x."""
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    steps, extra, cur = [], [], np.zeros(shape)
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["unary", "unary", "binary", "reduce", "softmax", "shape"]))
        if kind == "unary":
            step = ("unary", draw(st.sampled_from(sorted(UNARY))))
        elif kind == "binary":  # the second operand broadcasts against the current value
            dims = [draw(st.sampled_from([n, 1])) for n in cur.shape]
            dims = dims[draw(st.integers(0, len(dims))):]
            extra.append(tuple(dims))
            step = ("binary", draw(st.sampled_from(sorted(BINARY))), len(extra) - 1, draw(st.booleans()))
        elif kind == "reduce":
            axis = None if cur.ndim == 0 else draw(st.none() | st.integers(-cur.ndim, cur.ndim - 1))
            step = ("reduce", draw(st.sampled_from(sorted(REDUCE))), axis, draw(st.booleans()))
        elif kind == "softmax" and cur.ndim:
            step = ("softmax", draw(st.integers(-cur.ndim, cur.ndim - 1)), draw(st.booleans()))
        elif cur.ndim:
            step = ("shape", draw(st.sampled_from(["transpose", "ravel", "expand", "flip", "concat", "slice"])))
        else:
            step = ("unary", "sin")
        steps.append(step)
        cur = np.asarray(run(steps[-1:], cur, [np.zeros(s) for s in extra], np))
    return shape, steps, extra


def run(steps, x, extras, lib):
    """Apply `steps` with lamina ops (lib=ops) or their NumPy transcription (lib=np)."""
    i = 0 if lib is ops else 1
    for step in steps:
        kind = step[0]
        if kind == "unary":
            x = UNARY[step[1]][i](x)
        elif kind == "binary":
            w = extras[step[2]]
            x = BINARY[step[1]][i](*((x, w) if step[3] else (w, x)))
        elif kind == "reduce":
            x = REDUCE[step[1]][i](x, axis=step[2], keepdims=step[3])
        elif kind == "softmax":
            log = step[2]
            if lib is ops:
                x = (ops.log_softmax if log else ops.softmax)(x, axis=step[1])
            else:
                x = np.log(_softmax(x, step[1])) if log else _softmax(x, step[1])
        else:
            name = step[1]
            if name == "transpose":
                x = lib.transpose(x)
            elif name == "ravel":
                x = lib.reshape(x, (-1,))
            elif name == "expand":
                x = lib.expand_dims(x, 0)
            elif name == "flip":
                x = lib.flip(x, -1)
            elif name == "concat":
                x = lib.concatenate([x, x * 2.0], axis=-1)
            else:
                x = x[..., ::-1][..., :2]
    return x


@settings(max_examples=80, deadline=None, derandomize=True)
@given(programs(), st.integers(0, 2**16))
def test_random_compositions(program, seed):
    shape, steps, extra = program
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(shape)] + [rng.standard_normal(s) for s in extra]

    def fn(x, *ws):
        return run(steps, x, ws, ops)

    got = fn(*[a.copy() for a in inputs])
    want = run(steps, inputs[0].copy(), [w.copy() for w in inputs[1:]], np)
    np.testing.assert_allclose(np.asarray(got.data), want, rtol=1e-9, atol=1e-12)
    assert check_gradients(fn, *inputs) < 1e-5, steps


@st.composite
def conv_cases(draw):
    nd = draw(st.sampled_from([1, 2]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = draw(st.sampled_from(["valid", "same"]))
    size = tuple(draw(st.integers((kk - 1) * dd + 1, 6)) for kk, dd in zip(k, d))
    cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return (2, *size, cin), (*k, cin, cout), s, d, padding


@settings(max_examples=50, deadline=None, derandomize=True)
@given(conv_cases(), st.integers(0, 2**16))
def test_random_convolutions(case, seed):
    xs, ks, s, d, padding = case
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal(xs), rng.standard_normal(ks)

    def fn(a, b):
        return ops.conv(a, b, s, padding, dilation_rate=d)

    np.testing.assert_allclose(fn(x, k).numpy(), naive_conv(x, k, s, padding, d), rtol=1e-9, atol=1e-12)
    assert check_gradients(fn, x, k) < 1e-6


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.sampled_from([1, 2]), st.data(), st.integers(0, 2**16))
def test_random_pooling(nd, data, seed):
    pool = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    strides = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    padding = data.draw(st.sampled_from(["valid", "same"]))
    size = tuple(data.draw(st.integers(p, 6)) for p in pool)
    rng = np.random.default_rng(seed)
    shape = (2, *size, 2)
    # distinct values at least 1 / size apart: finite differences never cross a tie
    x = (rng.permutation(np.prod(shape)).reshape(shape) + rng.uniform(0, 0.5, shape)) * (4.0 / np.prod(shape))
    for op, kind in ((ops.max_pool, "max"), (ops.average_pool, "avg")):
        np.testing.assert_allclose(op(x, pool, strides, padding).numpy(), naive_pool(x, pool, strides, padding, kind),
                                   rtol=1e-12)
        assert check_gradients(lambda a, op=op: op(a, pool, strides, padding), x) < 1e-6
