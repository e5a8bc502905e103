"""The fused Dense op equals the unfused composition (matmul, bias add, relu) in value and
gradient, for dense, rank-3 and sparse inputs (float32, to rounding)."""
import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.engine.tape import GradientTape
from lamina.kernels import linear as fused
from lamina.utils import check_gradients


def _run(fn, x, w, b):
    with GradientTape() as tape:
        tape.watch(x)
        y = fn(x, w, b)
        target = ops.sum(ops.multiply(y, np.linspace(-1, 1, y.size).reshape(y.shape).astype(y.dtype)))
    return y.numpy(), [g.numpy() for g in tape.gradient(target, [x, w, b])]


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5)])
def test_fused_linear_equals_composition(rng, relu, shape):
    x = lamina.Tensor(rng.standard_normal(shape).astype("float32"))
    w = lamina.Variable(rng.standard_normal((5, 4)))
    b = lamina.Variable(rng.standard_normal(4))

    def unfused(x, w, b):
        z = ops.add(ops.matmul(x, w), b)
        return ops.relu(z) if relu else z

    y1, g1 = _run(lambda x, w, b: fused.linear(x, w, b, relu=relu), x, w, b)
    y2, g2 = _run(unfused, x, w, b)
    np.testing.assert_allclose(y1, y2, rtol=1e-6, atol=1e-6)
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_fused_linear_float64_gradients(rng):
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    assert check_gradients(lambda x, w, b: fused.linear(x, w, b, relu=True), x, w, b) < 1e-7


def test_fused_linear_sparse_input_equals_dense(rng):
    sp = pytest.importorskip("scipy.sparse")
    dense = (rng.random((8, 20)) < 0.2).astype("float32")
    w = lamina.Variable(rng.standard_normal((20, 3)))
    b = lamina.Variable(rng.standard_normal(3))
    outs = []
    for x in (dense, sp.csr_matrix(dense)):
        with GradientTape() as tape:
            y = fused.linear(x, w, b, relu=True)
        outs.append((y.numpy(), [g.numpy() for g in tape.gradient(y, [w, b])]))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6)
    for a, c in zip(outs[0][1], outs[1][1]):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
