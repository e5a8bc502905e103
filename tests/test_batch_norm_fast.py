"""BatchNormalization's channels-last training path (lamina/kernels/batch_norm.py).

Float32 results may differ from the reduction-based formula only by summation-order
rounding: checked against a float64 evaluation of the same formulas; float64 gradients
against finite differences.
"""
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Variable
from lamina.layers.normalization.batch_normalization import _fused_batch_norm


def reference(a, gamma, beta, grad, eps=1e-3):
    """float64 BN forward and its gradients (x, gamma, beta), axis -1."""
    a, gamma, beta, grad = (np.asarray(t, np.float64) for t in (a, gamma, beta, grad))
    axes = tuple(range(a.ndim - 1))
    mu, var = a.mean(axes), a.var(axes)
    xhat = (a - mu) / np.sqrt(var + eps)
    m = a.size // a.shape[-1]
    gsum, gxs = grad.sum(axes), (grad * xhat).sum(axes)
    gx = gamma / np.sqrt(var + eps) * (grad - gsum / m - xhat * gxs / m)
    return xhat * gamma + beta, gx, gxs, gsum, mu, var


@pytest.mark.parametrize("shape", [(6, 5, 4, 3), (50, 7), (3, 9, 16)])
def test_float32_matches_float64_formula(shape):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    gamma = rng.random(shape[-1]).astype(np.float32) + 0.5
    beta = rng.standard_normal(shape[-1]).astype(np.float32)
    grad = rng.standard_normal(shape).astype(np.float32)
    x, g, b = Variable(a), Variable(gamma), Variable(beta)
    axes = tuple(range(len(shape) - 1))
    bshape = (1,) * (len(shape) - 1) + (shape[-1],)
    with GradientTape():
        y, mu, var = _fused_batch_norm(x, g, b, axes, bshape, 1e-3)
    grads = y._node.backward(grad, (True, True, True))
    out64, *grads64, mu64, var64 = reference(a, gamma, beta, grad)
    np.testing.assert_allclose(y.numpy(), out64, rtol=1e-5, atol=1e-5)
    for got, want in zip(grads, grads64):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(mu, mu64, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, var64, rtol=1e-5)


def test_float64_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3, 5))
    gamma, beta = rng.random(5) + 0.5, rng.standard_normal(5)
    err = lamina.utils.check_gradients(
        lambda x, g, b: _fused_batch_norm(x, g, b, (0, 1), (1, 1, 5), 1e-3)[0], a, gamma, beta)
    assert err < 1e-6


def test_layer_training_output_is_normalized_and_moving_stats_update():
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((32, 4, 4, 3)) * 2 + 5).astype(np.float32)
    bn = layers.BatchNormalization(momentum=0.5)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean((0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var((0, 1, 2)), x.var((0, 1, 2)) / (x.var((0, 1, 2)) + 1e-3),
                               rtol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean((0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.5 + 0.5 * x.var((0, 1, 2)),
                               rtol=1e-5)
