"""Activations, softmax, fused cross-entropies, encodings: closed-form values and gradients."""
import warnings

import numpy as np
import pytest
import scipy.special

import lamina
from lamina import ops
from tests.helpers import check_op


def _sig(a):
    return 1 / (1 + np.exp(-a))


SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
ACTIVATIONS = [  # (name, op call, reference, domain)
    ("relu", ops.relu, lambda a: np.maximum(a, 0), {"away_from": 0.0}),
    ("relu6", ops.relu6, lambda a: np.clip(a, 0, 6), {"low": -2, "high": 8, "away_from": (0.0, 6.0)}),
    ("sigmoid", ops.sigmoid, _sig, {}),
    ("tanh", ops.tanh, np.tanh, {}),
    ("softplus", ops.softplus, lambda a: np.log1p(np.exp(a)), {}),
    ("softsign", ops.softsign, lambda a: a / (1 + np.abs(a)), {"away_from": 0.0}),
    ("log_sigmoid", ops.log_sigmoid, lambda a: -np.log1p(np.exp(-a)), {}),
    ("elu", ops.elu, lambda a: np.where(a > 0, a, np.expm1(a)), {"away_from": 0.0}),
    ("elu_0.5", lambda x: ops.elu(x, 0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a)), {"away_from": 0.0}),
    ("selu", ops.selu, lambda a: SELU_S * np.where(a > 0, a, SELU_A * np.expm1(a)), {"away_from": 0.0}),
    ("gelu", ops.gelu, lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3))), {}),
    ("gelu_exact", lambda x: ops.gelu(x, approximate=False),
     lambda a: 0.5 * a * (1 + scipy.special.erf(a / np.sqrt(2))), {}),
    ("leaky_relu", ops.leaky_relu, lambda a: np.where(a > 0, a, 0.2 * a), {"away_from": 0.0}),
    ("leaky_relu_0.01", lambda x: ops.leaky_relu(x, negative_slope=0.01), lambda a: np.where(a > 0, a, 0.01 * a),
     {"away_from": 0.0}),
    ("silu", ops.silu, lambda a: a * _sig(a), {}),
    ("swish", ops.swish, lambda a: a * _sig(a), {}),
    ("hard_sigmoid", ops.hard_sigmoid, lambda a: np.clip(a + 3, 0, 6) / 6, {"low": -5, "high": 5, "away_from": (-3.0, 3.0)}),
    ("hard_silu", ops.hard_silu, lambda a: a * np.clip(a + 3, 0, 6) / 6, {"low": -5, "high": 5, "away_from": (-3.0, 3.0)}),
    ("hard_swish", ops.hard_swish, lambda a: a * np.clip(a + 3, 0, 6) / 6, {"low": -5, "high": 5, "away_from": (-3.0, 3.0)}),
    ("mish", ops.mish, lambda a: a * np.tanh(np.log1p(np.exp(a))), {}),
    ("celu", ops.celu, lambda a: np.where(a > 0, a, np.expm1(a)), {"away_from": 0.0}),
    ("celu_0.5", lambda x: ops.celu(x, 0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a / 0.5)), {"away_from": 0.0}),
    ("hard_tanh", ops.hard_tanh, lambda a: np.clip(a, -1, 1), {"away_from": (-1.0, 1.0)}),
    ("soft_shrink", ops.soft_shrink, lambda a: np.sign(a) * np.maximum(np.abs(a) - 0.5, 0), {"away_from": (-0.5, 0.5)}),
    ("hard_shrink", ops.hard_shrink, lambda a: np.where(np.abs(a) > 0.5, a, 0), {"away_from": (-0.5, 0.5)}),
    ("tanh_shrink", ops.tanh_shrink, lambda a: a - np.tanh(a), {}),
    ("squareplus", ops.squareplus, lambda a: (a + np.sqrt(a * a + 4)) / 2, {}),
    ("sparse_plus", ops.sparse_plus, lambda a: np.where(a >= 1, a, np.where(a > -1, (a + 1) ** 2 / 4, 0)),
     {"low": -3, "high": 3, "away_from": (-1.0, 1.0)}),
    ("threshold", lambda x: ops.threshold(x, 0.1, -2.0), lambda a: np.where(a > 0.1, a, -2.0), {"away_from": 0.1}),
    ("log_cosh", ops.log_cosh, lambda a: np.log(np.cosh(a)), {}),
    ("step", ops.step, lambda a: (a >= 0).astype(float), {"away_from": 0.0}),
]


@pytest.mark.parametrize("name,fn,ref,domain", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation(name, fn, ref, domain):
    check_op(fn, (3, 5), ref=ref, **domain)


def test_activations_are_stable_for_large_inputs():
    big = np.array([-1000.0, 1000.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings
        np.testing.assert_allclose(ops.sigmoid(big).numpy(), [0, 1])
        np.testing.assert_allclose(ops.softplus(big).numpy(), [0, 1000])
        np.testing.assert_allclose(ops.log_sigmoid(big).numpy(), [-1000, 0])
        np.testing.assert_allclose(ops.softmax(big).numpy(), [0, 1])
        np.testing.assert_allclose(ops.log_cosh(big).numpy(), [1000 - np.log(2)] * 2, rtol=1e-6)


def test_step_perceptron_semantics():
    np.testing.assert_array_equal(ops.step(np.array([-1.0, 0.0, 2.0])).numpy(), [0, 1, 1])
    np.testing.assert_array_equal(ops.step(np.array([0.5, 1.0]), threshold=1.0).numpy(), [0, 1])


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2)], ids=str)
def test_softmax_and_log_softmax(axis):
    check_op(lambda x: ops.softmax(x, axis=axis), (2, 3, 4), ref=lambda a: _softmax(a, axis))
    check_op(lambda x: ops.log_softmax(x, axis=axis), (2, 3, 4), ref=lambda a: np.log(_softmax(a, axis)))


def test_softmax_and_sigmoid_keep_their_logits():
    z = lamina.Tensor(np.ones((2, 3), np.float32))
    assert ops.softmax(z)._keras_logits is z
    assert ops.sigmoid(z)._keras_logits is z


def _cce(y, z, from_logits, axis=-1):
    if from_logits:
        logp = z - scipy.special.logsumexp(z, axis=axis, keepdims=True)
    else:
        p = np.clip(z / z.sum(axis=axis, keepdims=True), 1e-7, 1 - 1e-7)
        logp = np.log(p)
    return -(y * logp).sum(axis=axis)


def _targets(shape, seed=5):
    return np.random.default_rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1])


@pytest.mark.parametrize("axis", [-1, 0])
def test_categorical_crossentropy(axis):
    y = _targets((4, 3)) if axis == -1 else _targets((3, 4)).T
    check_op(lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True, axis=axis), y, (4, 3),
             ref=lambda t, z: _cce(t, z, True, axis))
    check_op(lambda t, p: ops.categorical_crossentropy(t, p, axis=axis), y, (4, 3), low=0.05, high=1.0,
             ref=lambda t, p: _cce(t, p, False, axis))


def test_categorical_crossentropy_through_softmax_uses_logits():
    y = _targets((4, 3))
    check_op(lambda z: ops.categorical_crossentropy(y, ops.softmax(z)), (4, 3),
             ref=lambda z: _cce(y, z, True))
    # far logits: clipping probabilities would cap the loss at -log(1e-7); the logits path does not
    z = np.array([[200.0, 0.0]])
    loss = ops.categorical_crossentropy(np.array([[0.0, 1.0]]), ops.softmax(z))
    np.testing.assert_allclose(loss.numpy(), [200.0])
    with pytest.warns(UserWarning, match="from_logits=True"):
        ops.categorical_crossentropy(np.array([[0.0, 1.0]]), ops.softmax(z), from_logits=True)


def test_categorical_crossentropy_shape_error():
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*\(2, 3\).*\(2, 4\)"):
        ops.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4)))


@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_sparse_categorical_crossentropy(label_shape):
    labels = np.array([2, 0, 1, 2])
    lab = labels if label_shape == "flat" else labels[:, None]
    onehot = np.eye(3)[labels]
    check_op(lambda z: ops.sparse_categorical_crossentropy(lab, z, from_logits=True), (4, 3),
             ref=lambda z: _cce(onehot, z, True))
    check_op(lambda p: ops.sparse_categorical_crossentropy(lab, p), (4, 3), low=0.05, high=1.0,
             ref=lambda p: -np.log(_renormalized(p))[np.arange(4), labels])
    check_op(lambda z: ops.sparse_categorical_crossentropy(lab, ops.softmax(z)), (4, 3),
             ref=lambda z: _cce(onehot, z, True))


def _renormalized(p):
    # as Keras's TensorFlow backend: clipped probabilities are used as logits (log p), so the
    # softmax renormalizes them
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return p / p.sum(axis=-1, keepdims=True)


def test_sparse_categorical_crossentropy_errors():
    with pytest.raises(ValueError, match="out of range"):
        ops.sparse_categorical_crossentropy(np.array([3]), np.ones((1, 3)))
    with pytest.raises(ValueError, match="integer class labels"):
        ops.sparse_categorical_crossentropy(np.array([0.5]), np.ones((1, 3)))
    with pytest.raises(ValueError, match="target must have"):
        ops.sparse_categorical_crossentropy(np.array([0, 1, 2]), np.ones((2, 3)))


def test_binary_crossentropy():
    y = np.random.default_rng(4).random((3, 4))

    def ref_logits(t, z):
        p = _sig(z)
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))

    check_op(lambda t, z: ops.binary_crossentropy(t, z, from_logits=True), y, (3, 4), ref=ref_logits)
    check_op(lambda t, p: ops.binary_crossentropy(t, p), y, (3, 4), low=0.05, high=0.95,
             ref=lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p)))
    check_op(lambda z: ops.binary_crossentropy(y, ops.sigmoid(z)), (3, 4), ref=lambda z: ref_logits(y, z))
    big = ops.binary_crossentropy(np.array([0.0]), np.array([100.0]), from_logits=True)
    np.testing.assert_allclose(big.numpy(), [100.0])
    with pytest.raises(ValueError, match="binary_crossentropy"):
        ops.binary_crossentropy(np.ones(3), np.ones(4))


def test_one_hot_and_multi_hot():
    out = ops.one_hot(np.array([0, 2, -1, 5]), 3)
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(ops.one_hot(np.array([1, 0]), 2, axis=0).numpy(), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(ops.multi_hot(np.array([[0, 2, 2], [1, 1, 9]]), 3).numpy(), [[1, 0, 1], [0, 1, 0]])


def test_top_k_and_in_top_k():
    a = np.array([[0.1, 0.9, 0.5, 0.3], [4.0, 1.0, 2.0, 3.0]])
    values, idx = ops.top_k(a, 2)
    np.testing.assert_array_equal(values.numpy(), [[0.9, 0.5], [4.0, 3.0]])
    np.testing.assert_array_equal(idx.numpy(), [[1, 2], [0, 3]])
    check_op(lambda x: ops.top_k(x, 2)[0], (3, 5), ref=lambda x: -np.sort(-x, axis=-1)[:, :2])
    np.testing.assert_array_equal(ops.in_top_k(np.array([2, 1]), a, 2).numpy(), [True, False])


def test_normalize_batch_normalization_moments():
    check_op(lambda x: ops.normalize(x, axis=-1), (3, 4), ref=lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True))
    check_op(lambda x, m, v, o, s: ops.batch_normalization(x, m, v, axis=-1, offset=o, scale=s), (5, 3), (3,), (3,), (3,), (3,),
             ref=lambda x, m, v, o, s: (x - m) / np.sqrt(v + 1e-3) * s + o, positive=True)
    check_op(lambda x, m, v: ops.batch_normalization(x, m, v, axis=1), (2, 3, 4), (3,), (3,),
             ref=lambda x, m, v: (x - m[:, None]) / np.sqrt(v[:, None] + 1e-3), positive=True)
    check_op(lambda x: ops.moments(x, axes=[0])[0], (4, 3), ref=lambda a: a.mean(0))


def test_glu():
    check_op(ops.glu, (3, 4), ref=lambda a: a[:, :2] * _sig(a[:, 2:]))
    with pytest.raises(ValueError, match="even"):
        ops.glu(np.ones((2, 3)))


def _attention_ref(q, k, v, bias=None, mask=None, scale=None, causal=False, cap=None):
    n, kh = q.shape[2], k.shape[2]
    k, v = np.repeat(k, n // kh, axis=2), np.repeat(v, n // kh, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if cap is not None:
        logits = np.tanh(logits / cap) * cap
    if bias is not None:
        logits = logits + bias
    keep = np.ones(logits.shape, bool)
    if mask is not None:
        keep &= mask
    if causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(keep, logits, -1e300)
    return np.einsum("bnts,bsnh->btnh", _softmax(logits, -1), v)


@pytest.mark.parametrize("kv_heads", [2, 1])
@pytest.mark.parametrize("variant", ["plain", "mask", "causal", "bias", "scale_cap"])
def test_dot_product_attention(kv_heads, variant):
    rng = np.random.default_rng(1)
    mask = rng.random((2, 1, 3, 4)) > 0.3
    mask[..., 0] = True  # every query attends to something
    bias = rng.standard_normal((1, 2, 3, 4))
    kw = {"mask": {"mask": mask}, "causal": {"is_causal": True}, "bias": {"bias": bias},
          "scale_cap": {"scale": 0.7, "attn_logits_soft_cap": 2.0}}.get(variant, {})
    rkw = {"mask": {"mask": mask}, "causal": {"causal": True}, "bias": {"bias": bias},
           "scale_cap": {"scale": 0.7, "cap": 2.0}}.get(variant, {})
    check_op(lambda q, k, v: ops.dot_product_attention(q, k, v, **kw), (2, 3, 2, 5), (2, 4, kv_heads, 5),
             (2, 4, kv_heads, 5), ref=lambda q, k, v: _attention_ref(q, k, v, **rkw),
             float32=variant != "bias")  # a float64 bias makes float64 logits


def test_dot_product_attention_unbatched_and_errors():
    check_op(lambda q, k, v: ops.dot_product_attention(q, k, v), (3, 2, 4), (5, 2, 4), (5, 2, 4),
             ref=lambda q, k, v: _attention_ref(q[None], k[None], v[None])[0])
    with pytest.raises(ValueError, match="multiple"):
        ops.dot_product_attention(np.ones((1, 2, 3, 4)), np.ones((1, 2, 2, 4)), np.ones((1, 2, 2, 4)))
    with pytest.raises(ValueError, match="incompatible"):
        ops.dot_product_attention(np.ones((1, 2, 2, 4)), np.ones((1, 2, 2, 3)), np.ones((1, 2, 2, 3)))
    with pytest.raises(ValueError, match="flash"):
        ops.dot_product_attention(np.ones((1, 2, 2, 4)), np.ones((1, 2, 2, 4)), np.ones((1, 2, 2, 4)),
                                  flash_attention=True)


@pytest.mark.parametrize("axis", [-1, (1, 2)], ids=str)
def test_layer_and_rms_normalization(axis):
    def ln_ref(x, g, b):
        m, v = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-5) * g + b

    check_op(lambda x, g, b: ops.layer_normalization(x, g, b, axis=axis, epsilon=1e-5), (2, 3, 4), (4,), (4,),
             ref=ln_ref)
    check_op(lambda x, s: ops.rms_normalization(x, s, axis=axis), (2, 3, 4), (4,),
             ref=lambda x, s: x / np.sqrt((x * x).mean(axis=axis, keepdims=True) + 1e-7) * s)
