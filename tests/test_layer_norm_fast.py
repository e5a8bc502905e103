"""LayerNormalization over the last axis as one graph node, against the composed ops."""
import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Variable
from lamina.kernels.layer_norm import layer_norm_last_axis


def composed(x, gamma, beta, eps):
    mean, var = ops.moments(x, axes=(-1,), keepdims=True)
    y = ops.multiply(ops.subtract(x, mean), ops.rsqrt(ops.add(var, eps)))
    return ops.add(ops.multiply(y, gamma), beta)


def test_float64_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    x, gamma, beta = rng.standard_normal((3, 4, 5)), rng.random(5) + 0.5, rng.standard_normal(5)
    err = lamina.utils.check_gradients(lambda x, g, b: layer_norm_last_axis(x, g, b, 1e-3), x, gamma, beta)
    assert err < 1e-6


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_matches_the_composed_ops(dtype, tol):
    rng = np.random.default_rng(1)
    arrays = [(rng.standard_normal((4, 6, 16)) * 3 + 1).astype(dtype),
              (rng.random(16) + 0.5).astype(dtype), rng.standard_normal(16).astype(dtype)]
    w = rng.standard_normal((4, 6, 16)).astype(dtype)
    results = []
    for fn in (lambda x, g, b: layer_norm_last_axis(x, g, b, 1e-6), lambda x, g, b: composed(x, g, b, 1e-6)):
        ts = [Variable(a, dtype=np.dtype(dtype).name) for a in arrays]
        with GradientTape() as tape:
            y = fn(*ts)
            loss = ops.sum(ops.multiply(y, w))
        results.append([y.numpy()] + [np.asarray(g) for g in tape.gradient(loss, ts)])
    for a, b in zip(*results):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol * 10)


def test_layer_uses_it_and_normalizes_rows():
    x = np.random.default_rng(2).standard_normal((3, 7, 8)).astype(np.float32) * 4 + 2
    y = layers.LayerNormalization(epsilon=1e-6)(x).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(-1), 1, rtol=1e-4)
