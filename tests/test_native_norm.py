"""The compiled batch- and layer-normalization passes (lamina/_native/_norm.c) against their
NumPy twins (lamina/kernels/batch_norm.py, layer_norm.py): bitwise the same forward values,
statistics and gradients; float64 gradients (twin path) against finite differences."""
import numpy as np
import pytest

import lamina
from lamina import _native, layers
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Variable
from lamina.kernels import batch_norm as bn
from lamina.kernels.layer_norm import layer_norm_last_axis

needs_kernels = pytest.mark.skipif(_native.norm is None, reason="the C extension is not built")


def bn_run(a, gamma, beta, grad):
    vs = [Variable(t) if t is not None else None for t in (a, gamma, beta)]
    with GradientTape():
        y, mu, var = bn.batch_norm_channels_last(vs[0], vs[1], vs[2], 1e-3)
    grads = y._node.backward(grad, (True, gamma is not None, beta is not None))
    return [y.numpy(), mu, var] + [g for g in grads if g is not None]


@needs_kernels
@pytest.mark.parametrize("shape", [(64, 28, 28, 32), (5, 7, 300), (100000, 1), (9, 3)])
@pytest.mark.parametrize("affine", [True, False])
def test_compiled_equals_numpy_twin_bitwise(shape, affine, monkeypatch):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    grad = rng.standard_normal(shape).astype(np.float32)
    gamma = (rng.random(shape[-1]) + 0.5).astype(np.float32) if affine else None
    beta = rng.standard_normal(shape[-1]).astype(np.float32) if affine else None
    compiled = bn_run(a, gamma, beta, grad)
    monkeypatch.setattr(_native, "norm", None)
    twin = bn_run(a, gamma, beta, grad)
    for c, t in zip(compiled, twin):
        assert c.dtype == t.dtype == np.float32
        np.testing.assert_array_equal(c, t)
    # and both are BN: normalized output, float64-accurate statistics
    mu64 = a.reshape(-1, shape[-1]).astype(np.float64).mean(0)
    np.testing.assert_allclose(compiled[1], mu64, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(compiled[2], a.reshape(-1, shape[-1]).astype(np.float64).var(0),
                               rtol=1e-5)


def test_float64_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 3, 5))
    gamma, beta = rng.random(5) + 0.5, rng.standard_normal(5)
    err = lamina.utils.check_gradients(
        lambda x, g, b: bn.batch_norm_channels_last(x, g, b, 1e-3)[0], a, gamma, beta)
    assert err < 1e-6


@needs_kernels
def test_bad_arguments_name_the_argument():
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"affine: mu must have 3 values"):
        _native.norm.affine(x, np.zeros(2, np.float32), np.ones(3, np.float32), None,
                            np.empty_like(x))
    with pytest.raises(TypeError, match="channel_sums: x must be a C-contiguous float32"):
        _native.norm.channel_sums(x.astype(np.float64), None, np.empty(3))


@needs_kernels
def test_convnet_training_is_bitwise_the_same_with_and_without_kernels(monkeypatch):
    x = np.random.default_rng(2).random((32, 8, 8, 2), dtype=np.float32)
    y = (x.mean((1, 2, 3)) > 0.5).astype(np.int32)

    def train():
        lamina.utils.set_random_seed(0)
        model = lamina.Sequential([lamina.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same"),
                                   layers.BatchNormalization(), layers.ReLU(),
                                   layers.GlobalAveragePooling2D(), layers.Dense(2)])
        model.compile(optimizer=lamina.optimizers.Adam(0.02),
                      loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
        loss = model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]
        return loss, [w.numpy() for w in model.weights]

    loss_c, w_c = train()
    monkeypatch.setattr(_native, "norm", None)
    loss_np, w_np = train()
    assert loss_c == loss_np and loss_c[-1] < loss_c[0]
    for a, b in zip(w_c, w_np):
        np.testing.assert_array_equal(a, b)


def ln_run(a, gamma, beta, grad):
    vs = [Variable(t) if t is not None else None for t in (a, gamma, beta)]
    with GradientTape():
        y = layer_norm_last_axis(vs[0], vs[1], vs[2], 1e-6)
    grads = y._node.backward(grad, (True, gamma is not None, beta is not None))
    return [y.numpy()] + [g for g in grads if g is not None]


@needs_kernels
@pytest.mark.parametrize("shape", [(64, 200, 64), (7, 300), (5, 1), (3, 4, 9)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_compiled_equals_numpy_twin_bitwise(shape, affine, monkeypatch):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(shape) * 2 - 1).astype(np.float32)
    grad = rng.standard_normal(shape).astype(np.float32)
    gamma = (rng.random(shape[-1]) + 0.5).astype(np.float32) if affine else None
    beta = rng.standard_normal(shape[-1]).astype(np.float32) if affine else None
    compiled = ln_run(a, gamma, beta, grad)
    monkeypatch.setattr(_native, "norm", None)
    twin = ln_run(a, gamma, beta, grad)
    for c, t in zip(compiled, twin):
        assert c.dtype == t.dtype == np.float32
        np.testing.assert_array_equal(c, t)
    a64 = a.astype(np.float64)
    want = (a64 - a64.mean(-1, keepdims=True)) / np.sqrt(a64.var(-1, keepdims=True) + 1e-6)
    if affine:
        want = want * gamma + beta
    np.testing.assert_allclose(compiled[0], want, rtol=1e-4, atol=2e-4)
