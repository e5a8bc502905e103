"""`Attention` and `MultiHeadAttention` against NumPy float64 transcriptions of Keras 3's
formulas, with masks, causal masking, gradients, parameter counts and configs."""
import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.utils import check_gradients


def softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ref_attention(q, v, k=None, v_mask=None, q_mask=None, causal=False, scale=1.0, concat=None):
    k = v if k is None else k
    if concat is None:
        s = np.einsum("btd,bsd->bts", q, k) * scale
    else:
        s = concat * np.tanh(scale * (q[:, :, None] + k[:, None])).sum(-1)
    m = np.ones(s.shape, bool)
    if v_mask is not None:
        m &= v_mask[:, None, :]
    if causal:
        m &= np.tril(np.ones(s.shape[1:], bool))[None]
    w = softmax(s - 1e9 * ~m)
    out = w @ v
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, w


def test_attention_dot_and_concat(rng):
    q, v, k = (rng.standard_normal((2, n, 4)) for n in (3, 5, 5))
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    for kwargs in ({}, {"use_scale": True}, {"score_mode": "concat"},
                   {"score_mode": "concat", "use_scale": True}):
        layer = layers.Attention(dtype="float64", **kwargs)
        layer([q, v, k])
        for w in layer.weights:
            w.assign(np.array(1.7))
        out, w = layer([q, v, k], mask=[q_mask, v_mask], return_attention_scores=True)
        scale = 1.7 if kwargs.get("use_scale") else 1.0
        concat = 1.7 if kwargs.get("score_mode") == "concat" else None
        want, want_w = ref_attention(q, v, k, v_mask, q_mask, scale=scale, concat=concat)
        np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-10, atol=1e-12)
        err = check_gradients(lambda a, b, c, *ws, f=layer: f([a, b, c], mask=[q_mask, v_mask]),
                              q, v, k, *layer.trainable_weights)
        assert err < 1e-6
    causal = layers.Attention(dtype="float64")([q, q], use_causal_mask=True)
    np.testing.assert_allclose(causal.numpy(), ref_attention(q, q, causal=True)[0], rtol=1e-10)
    assert layers.Attention().compute_output_shape([(None, 3, 4), (None, 5, 6)]) == (None, 3, 6)
    with pytest.raises(ValueError, match="list"):
        layers.Attention()(q)
    with pytest.raises(ValueError, match="'dot'"):
        layers.Attention(score_mode="dott")


def test_attention_uses_the_masks_carried_by_its_inputs(rng):
    tokens = np.array([[4, 5, 0, 0], [1, 2, 3, 0]])
    emb = layers.Embedding(10, 6, mask_zero=True)
    e = emb(tokens)
    out = layers.Attention()([e, e])
    explicit = layers.Attention()([e, e], mask=[tokens != 0, tokens != 0])
    np.testing.assert_allclose(out.numpy(), explicit.numpy())
    np.testing.assert_array_equal(np.asarray(out._keras_mask), tokens != 0)


def ref_mha(layer, q, v, k=None, mask=None):
    w = [x.numpy() for x in layer.weights]
    k = v if k is None else k
    qp = np.einsum("btd,dhk->bthk", q, w[0]) + w[1]
    kp = np.einsum("bsd,dhk->bshk", k, w[2]) + w[3]
    vp = np.einsum("bsd,dhk->bshk", v, w[4]) + w[5]
    s = np.einsum("bthk,bshk->bhts", qp / np.sqrt(layer.key_dim), kp)
    if mask is not None:
        s = s - 1e9 * ~mask[:, None]
    p = softmax(s)
    o = np.einsum("bhts,bshk->bthk", p, vp)
    return np.einsum("bthk,hko->bto", o, w[6]) + w[7], p


def test_multi_head_attention_matches_reference_with_gradients(rng):
    q, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 6))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, dtype="float64")
    out, scores = layer(q, v, return_attention_scores=True)
    for w in layer.weights:  # non-zero biases
        w.assign(rng.standard_normal(w.shape) * 0.5)
    out, scores = layer(q, v, return_attention_scores=True)
    want, want_p = ref_mha(layer, q, v)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.numpy(), want_p, rtol=1e-10, atol=1e-12)
    assert [w.shape for w in layer.weights] == [(4, 2, 3), (2, 3), (6, 2, 3), (2, 3), (6, 2, 2),
                                                (2, 2), (2, 2, 4), (4,)]
    v_mask = np.array([[1, 1, 0, 0, 1], [1, 1, 1, 1, 1]], bool)
    masked = layer(q, v, value_mask=v_mask)
    np.testing.assert_allclose(masked.numpy(), ref_mha(layer, q, v, mask=v_mask[:, None, :])[0],
                               rtol=1e-10, atol=1e-12)
    err = check_gradients(lambda a, b, *ws: layer(a, b, value_mask=v_mask), q, v,
                          *layer.trainable_weights)
    assert err < 1e-6


def test_multi_head_self_attention_causal_counts_and_config(rng):
    x = rng.standard_normal((2, 4, 8))
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=4, dtype="float64")
    y = layer(x, x, use_causal_mask=True)
    causal = np.tril(np.ones((4, 4), bool))[None]
    np.testing.assert_allclose(y.numpy(), ref_mha(layer, x, x, mask=causal)[0], rtol=1e-10,
                               atol=1e-12)
    assert layer.count_params() == 4 * (8 * 8 + 8)  # as Keras: 288
    inputs = layers.Input(shape=(None, 8))
    model = lamina.Model(inputs, layers.MultiHeadAttention(4, 16, output_shape=6)(inputs, inputs))
    assert model.output_shape == (None, None, 6)
    assert model.count_params() == 3 * (8 * 64 + 64) + 64 * 6 + 6
    config = layer.get_config()
    clone = layers.MultiHeadAttention.from_config(config)
    clone(x, x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x, x).numpy(), layer(x, x).numpy())
    with pytest.raises(NotImplementedError, match="attention_axes"):
        layers.MultiHeadAttention(2, 4, attention_axes=(1, 2))


def test_a_tiny_transformer_block_trains(rng):
    x = rng.standard_normal((128, 6, 4)).astype("float32")
    y = (x[:, :, 0].sum(1) > 0).astype("float32")
    inputs = layers.Input(shape=(6, 4))
    h = layers.MultiHeadAttention(2, 4)(inputs, inputs)
    h = layers.LayerNormalization()(layers.Add()([inputs, h]))
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(h))
    model = lamina.Model(inputs, out)
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="binary_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before * 0.8
    assert ops.all(ops.isfinite(model(x))).item()
