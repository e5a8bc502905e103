"""Recurrent layers against independent NumPy float64 transcriptions of Keras 3's equations,
float64 gradients against finite differences, masks, wrappers, configs and parameter counts."""
import numpy as np
import pytest

import lamina
from lamina import activations, layers, ops
from lamina.engine.tape import GradientTape
from lamina.kernels.rnn_sequence import GateLinear, run_sequence
from lamina.kernels.rnn_cells import GRUKernel, LSTMKernel, SimpleRNNKernel
from lamina.utils import check_gradients
from tests.helpers.layer_test import run_layer_test

B, T, D, N = 3, 5, 4, 3
MASK = np.array([[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 0, 1, 0, 1]], bool)


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def ref_step(kind, xt, h, c, w, u, b, dp=None, rdp=None, reset_after=True):
    """One step of Keras 3's cells, written out per gate (masks: per-gate (G, B, .) arrays)."""
    n = u.shape[0]
    gates = {"simple": 1, "lstm": 4, "gru": 3}[kind]
    xg = [xt * dp[g] if dp is not None else xt for g in range(gates)]
    hg = [h * rdp[g] if rdp is not None else h for g in range(gates)]
    W = [w[:, g * n:(g + 1) * n] for g in range(gates)]
    U = [u[:, g * n:(g + 1) * n] for g in range(gates)]
    if kind == "simple":
        return np.tanh(xg[0] @ W[0] + b + hg[0] @ U[0]), None
    if kind == "lstm":
        z = [xg[g] @ W[g] + hg[g] @ U[g] + b[g * n:(g + 1) * n] for g in range(4)]
        c_new = sigmoid(z[1]) * c + sigmoid(z[0]) * np.tanh(z[2])
        return sigmoid(z[3]) * np.tanh(c_new), c_new
    bi, br = (b[0], b[1]) if reset_after else (b, np.zeros(3 * n))
    z = sigmoid(xg[0] @ W[0] + bi[:n] + hg[0] @ U[0] + br[:n])
    r = sigmoid(xg[1] @ W[1] + bi[n:2 * n] + hg[1] @ U[1] + br[n:2 * n])
    if reset_after:
        hh = np.tanh(xg[2] @ W[2] + bi[2 * n:] + r * (hg[2] @ U[2] + br[2 * n:]))
    else:
        hh = np.tanh(xg[2] @ W[2] + bi[2 * n:] + (r * hg[2]) @ U[2])
    return z * h + (1 - z) * hh, None


def ref_rnn(kind, x, w, u, b, mask=None, go_backwards=False, return_sequences=False,
            zero_output=False, h0=None, c0=None, **kw):
    """(output, h, c) of a Keras RNN: masked steps keep states and repeat the previous output."""
    n = u.shape[0]
    h = np.zeros((x.shape[0], n)) if h0 is None else h0
    c = np.zeros((x.shape[0], n)) if c0 is None else c0
    outs = []
    for t in (range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])):
        hn, cn = ref_step(kind, x[:, t], h, c, w, u, b, **kw)
        if mask is None:
            out, h, c = hn, hn, cn
        else:
            m = mask[:, t, None]
            out = np.where(m, hn, 0.0 if zero_output else h)
            h = np.where(m, hn, h)
            c = np.where(m, cn, c) if cn is not None else None
        outs.append(out)
    return (np.stack(outs, 1) if return_sequences else outs[-1]), h, c


KINDS = {
    "simple": (layers.SimpleRNN, {}),
    "lstm": (layers.LSTM, {}),
    "gru": (layers.GRU, {}),
    "gru_before": (layers.GRU, {"reset_after": False}),
}


def _make(kind, **kwargs):
    cls, extra = KINDS[kind]
    return cls(N, dtype="float64", **extra, **kwargs)


def _randomize(layer, rng):
    for v in layer.weights:  # non-zero biases exercise every term
        v.assign(rng.standard_normal(v.shape) * 0.5)


OPTIONS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True, "return_sequences": True},
    {"go_backwards": True},
    {"return_sequences": True, "zero_output_for_mask": True},
    {"return_state": True},
    {"return_state": True, "return_sequences": True, "go_backwards": True},
]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: "-".join(o) or "default")
@pytest.mark.parametrize("use_mask", [False, True], ids=["nomask", "mask"])
def test_forward_and_gradients_match_numpy_reference(kind, opts, use_mask, rng):
    x = rng.standard_normal((B, T, D))
    mask = MASK if use_mask else None
    layer = _make(kind, **opts)
    layer(x)
    _randomize(layer, rng)
    got = layer(x, mask=mask)
    w, u, b = (v.numpy() for v in layer.weights)
    ref_kind = "gru" if kind.startswith("gru") else kind
    ref = ref_rnn(ref_kind, x, w, u, b, mask=mask, go_backwards=opts.get("go_backwards", False),
                  return_sequences=opts.get("return_sequences", False),
                  zero_output=opts.get("zero_output_for_mask", False),
                  reset_after=layer.cell.reset_after if ref_kind == "gru" else True)
    if opts.get("return_state"):
        states = [ref[1], ref[2]] if ref_kind == "lstm" else [ref[1]]
        assert len(got) == 1 + len(states)
        for g, r in zip(got, [ref[0]] + states):
            np.testing.assert_allclose(g.numpy(), r, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got.numpy(), ref[0], rtol=1e-12, atol=1e-12)

    def fn(inp, *ws):
        out = layer(inp, mask=mask)
        if isinstance(out, tuple):  # every output and state reaches the checked scalar
            return ops.concatenate([ops.reshape(o, (B, -1)) for o in out], axis=1)
        return out

    assert check_gradients(fn, x, *layer.trainable_weights) < 1e-6


@pytest.mark.parametrize("kind", list(KINDS))
def test_fused_path_equals_step_by_step_path(kind, rng):
    """A lambda activation has no NumPy form: the cell then runs step by step with ops."""
    x = rng.standard_normal((B, T, D))
    slow = {"activation": lambda a: activations.tanh(a)}
    if kind != "simple":
        slow["recurrent_activation"] = lambda a: activations.sigmoid(a)
    variants = ({"return_sequences": True}, {"go_backwards": True, "return_state": True})
    for i, opts in enumerate(variants):
        fast, step = _make(kind, **opts), _make(kind, **opts, **slow)
        fast(x)
        step(x)
        _randomize(fast, rng)
        step.set_weights(fast.get_weights())
        assert step.cell.fused_kernel(x, False) is None
        assert fast.cell.fused_kernel(x, False) is not None
        a, s = fast(x, mask=MASK), step(x, mask=MASK)
        for p, q in zip(a if isinstance(a, tuple) else (a,), s if isinstance(s, tuple) else (s,)):
            np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12, atol=1e-12)
        if i == 0:  # the step-by-step path's gradients (slow: one small graph per step)
            fn = lambda inp, *w, layer=step: layer(inp, mask=MASK)  # noqa: E731
            assert check_gradients(fn, x, *step.trainable_weights) < 1e-6


def test_whole_sequence_is_one_graph_node(rng):
    x = lamina.Variable(rng.standard_normal((2, 50, 4)), dtype="float64")
    layer = layers.LSTM(8, dtype="float64")
    with GradientTape() as tape:
        y = layer(x)
        loss = ops.sum(y)
    node = y._node
    assert len(node.parents) == 6  # x, h0, c0, kernel, recurrent_kernel, bias
    assert node.parents[0] is x._leaf and node.parents[3] is layer.cell.kernel._leaf
    assert tape.gradient(loss, x).shape == (2, 50, 4)


@pytest.mark.parametrize("kind, opts", [
    ("simple", {}), ("lstm", {}), ("gru", {}), ("gru_before", {}),
    ("lstm", {"return_sequences": True, "go_backwards": True}),
    ("gru", {"return_sequences": True}),
    ("simple", {"use_bias": False, "return_sequences": True}),
    ("lstm", {"use_bias": False}),
    ("gru", {"use_bias": False}),
    ("lstm", {"activation": "relu", "recurrent_activation": "hard_sigmoid"}),
])
def test_layer_harness(kind, opts):
    cls, extra = KINDS[kind]
    run_layer_test(cls, {"units": N, **extra, **opts}, input_shape=(2, T, D))


@pytest.mark.parametrize("kind", list(KINDS))
def test_layer_harness_with_mask(kind):
    cls, extra = KINDS[kind]
    run_layer_test(cls, {"units": N, "return_sequences": True, **extra}, input_shape=(3, T, D),
                   call_kwargs={"mask": MASK}, check_training=False)


@pytest.mark.parametrize("kind, expected", [
    ("simple", 32 * (16 + 32 + 1)), ("lstm", 6272), ("gru", 3 * 32 * (16 + 32 + 2)),
    ("gru_before", 3 * 32 * (16 + 32 + 1)),
])
def test_parameter_counts_equal_keras(kind, expected):
    cls, extra = KINDS[kind]
    model = lamina.Sequential([layers.Input(shape=(10, 16)), cls(32, **extra)])
    assert model.count_params() == expected
    assert model.layers[-1].count_params() == expected
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    assert f"Total params: {expected:,}" in "\n".join(lines)


def test_imdb_model_summary_counts():
    model = lamina.Sequential([layers.Input(shape=(200,), dtype="int32"),
                               layers.Embedding(10000, 32), layers.LSTM(32),
                               layers.Dense(1, activation="sigmoid")])
    assert [layer.count_params() for layer in model.layers] == [320000, 8320, 33]
    bi = lamina.Sequential([layers.Input(shape=(10, 16)), layers.Bidirectional(layers.LSTM(32))])
    assert bi.count_params() == 2 * 6272 and bi.output_shape == (None, 64)


def test_weight_layout_names_and_initializers():
    layer = layers.LSTM(5)
    layer(np.zeros((1, 2, 3), "float32"))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 20), (5, 20), (20,)]
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0] * 5 + [1] * 5 + [0] * 10)
    rk = layer.cell.recurrent_kernel.numpy()  # orthogonal: rows orthonormal
    np.testing.assert_allclose(rk @ rk.T, np.eye(5), atol=1e-5)
    gru = layers.GRU(5)
    gru(np.zeros((1, 2, 3), "float32"))
    assert [w.shape for w in gru.weights] == [(3, 15), (5, 15), (2, 15)]
    plain = layers.LSTM(5, unit_forget_bias=False, bias_initializer="ones")
    plain(np.zeros((1, 2, 3), "float32"))
    np.testing.assert_array_equal(plain.cell.bias.numpy(), np.ones(20))


def test_two_dimensional_input_error_explains_the_shape():
    for layer in (layers.LSTM(4), layers.GRU(4), layers.SimpleRNN(4)):
        with pytest.raises(ValueError, match=r"\(batch, timesteps, features\)") as err:
            layer(np.zeros((8, 10), "float32"))
        assert "(8, 10)" in str(err.value) and "Embedding" in str(err.value)
    with pytest.raises(ValueError, match="timesteps, features"):
        lamina.Sequential([layers.Input(shape=(10,)), layers.LSTM(4)])


def test_initial_state_gradients_and_functional_encoder_decoder(rng):
    x = rng.standard_normal((B, T, D))
    h0, c0 = rng.standard_normal((B, N)), rng.standard_normal((B, N))
    layer = _make("lstm", return_sequences=True)
    layer(x)
    _randomize(layer, rng)
    got = layer(x, initial_state=[h0, c0])
    w, u, b = (v.numpy() for v in layer.weights)
    np.testing.assert_allclose(got.numpy(), ref_rnn("lstm", x, w, u, b, return_sequences=True,
                                                    h0=h0, c0=c0)[0], rtol=1e-12)
    err = check_gradients(lambda inp, h, c: layer(inp, initial_state=[h, c], mask=MASK), x, h0, c0)
    assert err < 1e-6
    # Keras's seq2seq: the encoder's states start the decoder; gradients reach the encoder
    enc_in, dec_in = layers.Input(shape=(None, 4)), layers.Input(shape=(None, 5))
    _, h, c = layers.LSTM(6, return_state=True)(enc_in)
    dec = layers.LSTM(6, return_sequences=True)(dec_in, initial_state=[h, c])
    model = lamina.Model([enc_in, dec_in], layers.Dense(5)(dec))
    assert model.output_shape == (None, None, 5)
    xa, xb = rng.standard_normal((2, 7, 4)), rng.standard_normal((2, 3, 5))
    with GradientTape() as tape:
        loss = ops.sum(model([xa, xb]))
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and np.abs(g.numpy()).sum() > 0 for g in grads)


def test_stateful_continues_from_the_previous_batch(rng):
    x = rng.standard_normal((2, 6, D)).astype("float32")
    full = layers.GRU(N, return_sequences=True)
    y = full(x).numpy()
    part = layers.GRU(N, return_sequences=True, stateful=True)
    part(x[:, :3])
    part.set_weights(full.get_weights())
    part.reset_state()
    y1, y2 = part(x[:, :3]).numpy(), part(x[:, 3:]).numpy()
    np.testing.assert_allclose(np.concatenate([y1, y2], 1), y, rtol=1e-5, atol=1e-6)
    part.reset_state()
    np.testing.assert_allclose(part(x[:, :3]).numpy(), y1, rtol=1e-6)
    assert len(part.weights) == 3  # the states are not weights


@pytest.mark.parametrize("kind, per_gate", [("simple", False), ("lstm", False), ("lstm", True),
                                            ("gru", False), ("gru", True), ("gru_before", True)])
def test_dropout_masks_are_drawn_once_per_sequence(kind, per_gate, rng):
    """Masks from the layer's seeded generator, reused at every step (Keras)."""
    x = rng.standard_normal((B, T, D))
    opts = {"dropout": 0.3, "recurrent_dropout": 0.4 if per_gate else 0.0, "seed": 7,
            "return_sequences": True}
    layer = _make(kind, **opts)
    layer(x)
    _randomize(layer, rng)
    plain = _make(kind, return_sequences=True)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy())  # inference: no dropout
    gates = {"simple": 1, "lstm": 4, "gru": 3, "gru_before": 3}[kind]
    count = gates if per_gate else None
    gen = np.random.default_rng(7)
    first = layer(x, training=True).numpy()
    keep_in = gen.random((count or 1, B, D) if count else (B, D), dtype=np.float32) >= 0.3
    dp = keep_in / 0.7
    rdp = None
    if per_gate:
        rdp = (gen.random((count, B, N), dtype=np.float32) >= 0.4) / 0.6
    dp = dp if count else np.broadcast_to(dp, (gates, B, D))
    w, u, b = (v.numpy() for v in layer.weights)
    ref_kind = "gru" if kind.startswith("gru") else kind
    ref = ref_rnn(ref_kind, x, w, u, b, return_sequences=True, dp=dp, rdp=rdp,
                  reset_after=layer.cell.reset_after if ref_kind == "gru" else True)[0]
    np.testing.assert_allclose(first, ref, rtol=1e-12, atol=1e-12)
    assert not np.allclose(layer(x, training=True).numpy(), first)  # new masks next batch


def _kernel(kind, w, u, b, dp, rdp):
    tanh, sig = (_np_tanh, _np_tanh_d), (_np_sig, _np_sig_d)
    if kind == "simple":
        return SimpleRNNKernel(w, u, b, tanh, dp, rdp)
    if kind == "lstm":
        return LSTMKernel(w, u, b, tanh, sig, dp, rdp)
    return GRUKernel(w, u, b, tanh, sig, kind == "gru", dp, rdp)


@pytest.mark.parametrize("kind, gates", [("simple", 1), ("lstm", 4), ("gru", 3), ("gru_before", 3)])
def test_kernel_gradients_with_dropout_masks(kind, gates, rng):
    """The fused kernels with fixed dropout masks (per gate for gated cells) and a time mask."""
    x = rng.standard_normal((B, T, D))
    w, u = rng.standard_normal((D, gates * N)), rng.standard_normal((N, gates * N)) * 0.5
    b = rng.standard_normal((2, gates * N) if kind == "gru" else (gates * N,))
    per_gate = gates > 1
    dp = (rng.random((gates, B, D) if per_gate else (B, D)) > 0.3) / 0.7
    rdp = (rng.random((gates, B, N) if per_gate else (B, N)) > 0.3) / 0.7
    ws = [lamina.Variable(a, dtype="float64") for a in (w, u, b)]

    def fn(inp, *vs):
        kernel = _kernel(kind, *(v.numpy() for v in vs), dp, rdp)
        out, _ = run_sequence(kernel, inp, None, vs, mask=MASK, return_sequences=True)
        return out

    ref_kind = "gru" if kind.startswith("gru") else kind
    want = ref_rnn(ref_kind, x, w, u, b, mask=MASK, return_sequences=True,
                   dp=dp if per_gate else dp[None], rdp=rdp if per_gate else rdp[None],
                   reset_after=kind == "gru")[0]
    np.testing.assert_allclose(fn(x, *ws).numpy(), want, rtol=1e-12, atol=1e-12)
    assert check_gradients(fn, x, *ws) < 1e-6


def _np_tanh(a, out):
    np.tanh(a, out=out)


def _np_tanh_d(y, out):
    np.copyto(out, 1 - y * y)


def _np_sig(a, out):
    np.copyto(out, sigmoid(a))


def _np_sig_d(y, out):
    np.copyto(out, y * (1 - y))


def test_gate_linear_per_gate_masks(rng):
    w = rng.standard_normal((4, 6))
    masks = rng.random((3, 5, 4))
    x = rng.standard_normal((5, 4))
    lin = GateLinear(w, masks)
    want = np.concatenate([(x * masks[g]) @ w[:, 2 * g:2 * g + 2] for g in range(3)], axis=1)
    np.testing.assert_allclose(lin.forward(x), want)
    dz = rng.standard_normal((5, 6))
    want_dx = sum((dz[:, 2 * g:2 * g + 2] @ w[:, 2 * g:2 * g + 2].T) * masks[g] for g in range(3))
    np.testing.assert_allclose(lin.grad_input(dz), want_dx)


def test_embedding_mask_zero_equals_unpadded_sequences(rng):
    emb = layers.Embedding(20, 4, mask_zero=True)
    lstm = layers.LSTM(5, return_sequences=True)
    tokens = np.array([[0, 0, 3, 4, 5], [6, 7, 8, 9, 1], [2, 3, 0, 0, 0]])
    seq = lstm(emb(tokens))
    np.testing.assert_array_equal(np.asarray(seq._keras_mask), tokens != 0)
    last = layers.LSTM(5)
    out = last(emb(tokens)).numpy()
    for i, row in enumerate(tokens):
        kept = row[row != 0][None]
        np.testing.assert_allclose(out[i], last(emb(kept)).numpy()[0], rtol=1e-5, atol=1e-6)
    model = lamina.Sequential([layers.Input(shape=(5,), dtype="int32"), emb, layers.GRU(3)])
    assert model(tokens).shape == (3, 3)


def test_stacked_cells_and_a_custom_cell(rng):
    class MinimalRNNCell(layers.Layer):  # Keras's docstring example
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="rk")

        def call(self, inputs, states):
            out = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
            return out, [out]

    x = rng.standard_normal((2, 4, 3)).astype("float32")
    layer = layers.RNN(MinimalRNNCell(5), return_sequences=True)
    y = layer(x)
    k, r = (w.numpy() for w in layer.weights)
    h, want = np.zeros((2, 5)), []
    for t in range(4):
        h = x[:, t] @ k + h @ r
        want.append(h)
    np.testing.assert_allclose(y.numpy(), np.stack(want, 1), rtol=1e-5, atol=1e-5)
    stacked = layers.RNN([layers.LSTMCell(4), layers.GRUCell(3)], return_state=True)
    out, h1, c1, h2 = stacked(x)
    assert out.shape == (2, 3) and h1.shape == c1.shape == (2, 4) and h2.shape == (2, 3)
    np.testing.assert_allclose(out.numpy(), h2.numpy())
    assert stacked.count_params() == 4 * 4 * (3 + 4 + 1) + 3 * 3 * (4 + 3 + 2)
    clone = layers.RNN.from_config(stacked.get_config())
    assert clone.compute_output_shape((None, 4, 3)) == [(None, 3), (None, 4), (None, 4), (None, 3)]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional(merge_mode, return_sequences, rng):
    x = rng.standard_normal((B, T, D))
    bi = layers.Bidirectional(layers.LSTM(N, dtype="float64", return_sequences=return_sequences),
                              merge_mode=merge_mode, dtype="float64")
    y = bi(x, mask=MASK)
    _randomize(bi, rng)
    y = bi(x, mask=MASK)
    f = [v.numpy() for v in bi.forward_layer.weights]
    b = [v.numpy() for v in bi.backward_layer.weights]
    zero = return_sequences  # Bidirectional forces zero outputs at masked steps
    yf = ref_rnn("lstm", x, *f, mask=MASK, return_sequences=return_sequences, zero_output=zero)[0]
    yb = ref_rnn("lstm", x, *b, mask=MASK, go_backwards=True, return_sequences=return_sequences,
                 zero_output=zero)[0]
    if return_sequences:
        yb = yb[:, ::-1]
    want = {"concat": lambda: np.concatenate([yf, yb], -1), "sum": lambda: yf + yb,
            "mul": lambda: yf * yb, "ave": lambda: (yf + yb) / 2,
            None: lambda: [yf, yb]}[merge_mode]()
    if merge_mode is None:
        for g, r in zip(y, want):
            np.testing.assert_allclose(g.numpy(), r, rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(y.numpy(), want, rtol=1e-12, atol=1e-12)
        shape = bi.compute_output_shape((B, T, D))
        assert tuple(shape) == y.shape
        if return_sequences:
            np.testing.assert_array_equal(np.asarray(y._keras_mask), MASK)

    if return_sequences:  # gradients through the flip, the zeroed masked steps and the merge
        def fn(inp, *ws):
            out = bi(inp, mask=MASK)
            return ops.concatenate(out, axis=-1) if isinstance(out, list) else out

        assert check_gradients(fn, x, *bi.trainable_weights) < 1e-6


def test_bidirectional_return_state_config_and_names(rng):
    bi = layers.Bidirectional(layers.GRU(N, return_state=True, name="enc"))
    x = rng.standard_normal((2, T, D)).astype("float32")
    out, hf, hb = bi(x)
    assert out.shape == (2, 2 * N) and hf.shape == hb.shape == (2, N)
    assert bi.forward_layer.name == "forward_enc" and bi.backward_layer.name == "backward_enc"
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards
    np.testing.assert_allclose(out.numpy(), np.concatenate([hf.numpy(), hb.numpy()], -1))
    clone = layers.Bidirectional.from_config(bi.get_config())
    clone(x)
    clone.set_weights(bi.get_weights())
    np.testing.assert_allclose(clone(x)[0].numpy(), out.numpy(), rtol=1e-6)
    run_layer_test(layers.Bidirectional, {"layer": layers.LSTM(N, return_sequences=True)},
                   input_shape=(2, T, D), expected_output_shape=(2, T, 2 * N),
                   expected_num_trainable_weights=6, check_gradient=False)
    with pytest.raises(ValueError, match="concat"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="concatenate")


def test_time_distributed_dense(rng):
    x = rng.standard_normal((B, T, D))
    td = layers.TimeDistributed(layers.Dense(2, dtype="float64"), dtype="float64")
    y = td(x)
    k, b = (v.numpy() for v in td.weights)
    np.testing.assert_allclose(y.numpy(), np.stack([x[:, t] @ k + b for t in range(T)], 1))
    assert td.compute_output_shape((None, T, D)) == (None, T, 2)
    assert check_gradients(lambda inp, *w: td(inp), x, *td.trainable_weights) < 1e-6
    run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(2)}, input_shape=(2, T, D),
                   expected_output_shape=(2, T, 2), check_gradient=False)
    gru = layers.GRU(4, return_sequences=True)
    model = lamina.Sequential([layers.Input(shape=(T, D)), gru,
                               layers.TimeDistributed(layers.Dense(1, activation="sigmoid"))])
    assert model.output_shape == (None, T, 1)
    assert model.count_params() == 3 * 4 * (D + 4 + 2) + 5
    with pytest.raises(ValueError, match="rank 3"):
        layers.TimeDistributed(layers.Dense(2))(np.zeros((2, 3), "float32"))


def test_training_an_lstm_learns_a_sequence_rule(rng):
    """Sign of the sum of a sequence: a few epochs take the loss well below chance."""
    x = rng.standard_normal((256, 8, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    model = lamina.Sequential([layers.Input(shape=(8, 1)), layers.LSTM(8),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lamina.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
