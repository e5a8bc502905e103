"""lamina.ops.fused_attention: MultiHeadAttention's softmax/matmul chain as one graph node."""
import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Variable
from lamina.ops.fused_attention import attention


def chain(q, k, v, scale, hidden):
    """The op-by-op chain the fused op replaces."""
    q = ops.multiply(q, scale)
    s = ops.matmul(ops.transpose(q, (0, 2, 1, 3)), ops.transpose(k, (0, 2, 3, 1)))
    if hidden is not None:
        s = ops.subtract(s, ops.multiply(1.0e9, ops.cast(np.expand_dims(hidden, 1), s.dtype)))
    p = ops.softmax(s, axis=-1)
    return ops.transpose(ops.matmul(p, ops.transpose(v, (0, 2, 1, 3))), (0, 2, 1, 3))


def inputs(rng, dtype, b=2, t=5, s=6, h=3, kd=4, vd=3):
    return [rng.standard_normal(shape).astype(dtype)
            for shape in ((b, t, h, kd), (b, s, h, kd), (b, s, h, vd))]


@pytest.mark.parametrize("masked", [False, True])
def test_float64_gradients_match_finite_differences(masked):
    rng = np.random.default_rng(0)
    q, k, v = inputs(rng, np.float64)
    hidden = rng.random((2, 5, 6)) < 0.3 if masked else None
    err = lamina.utils.check_gradients(lambda q, k, v: attention(q, k, v, 0.5, hidden)[0], q, k, v)
    assert err < 1e-6


@pytest.mark.parametrize("masked", [False, True])
def test_matches_the_op_chain(masked):
    rng = np.random.default_rng(1)
    arrays = inputs(rng, np.float32)
    hidden = rng.random((2, 5, 6)) < 0.3 if masked else None
    results = []
    for fn in (lambda *a: attention(*a, 0.5, hidden)[0], lambda *a: chain(*a, 0.5, hidden)):
        ts = [Variable(a) for a in arrays]
        with GradientTape() as tape:
            out = fn(*ts)
            loss = ops.sum(ops.multiply(out, out))
        results.append([out.numpy()] + [np.asarray(g) for g in tape.gradient(loss, ts)])
    fused, reference = results
    np.testing.assert_array_equal(fused[0], reference[0])  # the forward is the chain's, bitwise
    for a, b in zip(fused[1:], reference[1:]):  # gradients: the same formulas (float32 rounding)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_probabilities_sum_to_one_and_masked_keys_get_none():
    rng = np.random.default_rng(2)
    q, k, v = inputs(rng, np.float32)
    hidden = np.zeros((2, 5, 6), bool)
    hidden[..., 4:] = True
    _, p = attention(q, k, v, 0.5, hidden)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-6)
    assert np.all(p[..., 4:] == 0)


def test_shape_errors_name_the_shapes():
    rng = np.random.default_rng(3)
    q, k, v = inputs(rng, np.float32)
    with pytest.raises(ValueError, match=r"got shapes \(2, 5, 3, 4\), \(2, 6, 3, 4\) and \(2, 5, 3, 3\)"):
        attention(q, k, v[:, :5], 0.5)


def test_multi_head_attention_layer_same_as_unfused_path():
    """The layer's fused path (default) against its op chain (return_attention_scores)."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 7, 8)).astype(np.float32)
    lamina.utils.set_random_seed(0)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    fused = mha(x, x).numpy()
    chained, _ = mha(x, x, return_attention_scores=True)
    np.testing.assert_array_equal(fused, chained.numpy())


@pytest.mark.parametrize("hidden_kind", [None, "per_sample", "causal"])
def test_blocks_of_samples_give_the_one_block_values_bitwise(monkeypatch, hidden_kind):
    """The op runs a few samples at a time (cache blocking): 2 per block == all at once."""
    from lamina.ops import fused_attention as fa

    rng = np.random.default_rng(5)
    q, k, v = inputs(rng, np.float32, b=5, t=6, s=6)
    g = rng.standard_normal(q.shape[:3] + (3,)).astype(np.float32)
    hidden = {None: None, "per_sample": rng.random((5, 6, 6)) < 0.3,
              "causal": np.triu(np.ones((6, 6), bool), 1)[None]}[hidden_kind]
    results = []
    for per_block in (5, 2):
        monkeypatch.setattr(fa, "_chunk", lambda per_sample, n=per_block: n)
        ts = [Variable(a) for a in (q, k, v)]
        with GradientTape() as tape:
            out, p = attention(*ts, 0.5, hidden)
            loss = ops.sum(ops.multiply(out, g))
        results.append([out.numpy(), p] + [np.asarray(x) for x in tape.gradient(loss, ts)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    assert results[0][0].shape == (5, 6, 3, 3)
