"""The compiled recurrent-step kernels (lamina/_native/_rnn.c) against their NumPy twins.

The kernels perform the twins' float32 operations in the same order, so a whole LSTM or GRU
forward and backward (every gradient) must be *bitwise* the same with and without the
extension, across masking, go_backwards, return_sequences/state, initial states, dropout and
odd sizes; and a small model trains to bitwise the same weights.
"""
import numpy as np
import pytest

import lamina
from lamina import _native, layers, ops
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Variable
from lamina.kernels.rnn_sequence import GateLinear

needs_kernels = pytest.mark.skipif(_native.rnn is None, reason="the C extension is not built")


def raw(a):
    return np.ascontiguousarray(np.asarray(a)).view(np.uint8)


class Spy:
    """Forwards to the compiled module and counts the kernel calls."""

    def __init__(self, module):
        self.module, self.calls = module, 0

    def __getattr__(self, name):
        self.calls += 1
        return getattr(self.module, name)


def run(make_layer, x, mask, initial, native, monkeypatch, training=False):
    spy = Spy(_native.rnn)
    monkeypatch.setattr(_native, "rnn", spy if native else None)
    lamina.utils.set_random_seed(3)
    layer = make_layer()
    xv = Variable(x)
    with GradientTape() as tape:
        kwargs = {"mask": mask, "training": training}
        if initial is not None:
            kwargs["initial_state"] = [Variable(s) for s in initial]
        out = layer(xv, **kwargs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        loss = sum(ops.sum(ops.multiply(o, o)) for o in outs)
    watched = [xv] + layer.trainable_weights
    grads = tape.gradient(loss, watched)
    monkeypatch.undo()
    assert (spy.calls >= 2 * x.shape[1]) if native else spy.calls == 0  # forward and backward
    return [o.numpy() for o in outs] + [np.asarray(g) for g in grads]


CASES = {
    "lstm": lambda **k: layers.LSTM(7, **k),
    "gru": lambda **k: layers.GRU(7, **k),
}
OPTIONS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True, "return_state": True},
    {"return_sequences": True, "return_state": True, "use_bias": False},
    {"dropout": 0.3, "recurrent_dropout": 0.2},
]


@needs_kernels
@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("masked", [False, True])
def test_layer_bitwise_with_and_without_kernels(kind, options, masked, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 9, 4)).astype(np.float32)
    mask = rng.random((5, 9)) > 0.3 if masked else None
    initial = None
    if options.get("return_state"):
        n_states = 2 if kind == "lstm" else 1
        initial = [rng.standard_normal((5, 7)).astype(np.float32) for _ in range(n_states)]
    training = "dropout" in options
    make = lambda: CASES[kind](**options)  # noqa: E731
    with_c = run(make, x, mask, initial, True, monkeypatch, training)
    numpy = run(make, x, mask, initial, False, monkeypatch, training)
    assert len(with_c) == len(numpy)
    for a, b in zip(with_c, numpy):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(raw(a), raw(b))


@needs_kernels
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_training_bitwise_with_and_without_kernels(kind, monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.integers(1, 50, (64, 12))
    y = (x.sum(1) % 2).astype(np.float32)

    def train():
        lamina.utils.set_random_seed(0)
        rnn = layers.LSTM(8) if kind == "lstm" else layers.Bidirectional(layers.GRU(8))
        model = lamina.Sequential([lamina.Input((12,), dtype="int32"), layers.Embedding(50, 8),
                                   rnn, layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="rmsprop", loss="binary_crossentropy")
        loss = model.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"]
        return loss, [w.numpy() for w in model.weights]

    loss_c, w_c = train()
    monkeypatch.setattr(_native, "rnn", None)
    loss_np, w_np = train()
    assert loss_c == loss_np
    for a, b in zip(w_c, w_np):
        np.testing.assert_array_equal(raw(a), raw(b))
    assert loss_c[-1] < loss_c[0]


@needs_kernels
def test_lstm_cell_kernel_values():
    """Hand-checked: gates from tanh values t (i, f, o: t/2 + 1/2; g: t) and c = f c' + i g."""
    a = np.array([[0.0, 1.0, 0.5, -1.0]], np.float32)  # i, f, g, o with one unit
    c_prev = np.array([[2.0]], np.float32)
    c = np.empty((1, 1), np.float32)
    _native.rnn.lstm_cell(a, c_prev, c)
    np.testing.assert_array_equal(a, [[0.5, 1.0, 0.5, 0.0]])
    assert c[0, 0] == 1.0 * 2.0 + 0.5 * 0.5


@needs_kernels
def test_kernel_errors_name_the_argument():
    a = np.zeros((2, 8), np.float32)
    with pytest.raises(ValueError, match="lstm_cell: c_prev must have 2 x 2 elements, got 3"):
        _native.rnn.lstm_cell(a, np.zeros(3, np.float32), np.zeros((2, 2), np.float32))
    with pytest.raises(TypeError, match="lstm_cell: a must be a C-contiguous float32"):
        _native.rnn.lstm_cell(a.astype(np.float64), np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"a must be a 2-D \(batch, 3 \* units\) array"):
        _native.rnn.gru_out(np.zeros((2, 4), np.float32), a, a)


@pytest.mark.parametrize("lead", [(), (6,)])
def test_gate_linear_per_gate_masks_equal_the_gate_by_gate_products(lead):
    """GateLinear with (gates, B, D) masks runs the gates as batched products: the values
    are those of one (x * m_g) @ W_g product per gate, summed in gate order, bit for bit."""
    rng = np.random.default_rng(3)
    gates, b, d, n = 3, 5, 4, 7
    w = rng.standard_normal((d, gates * n)).astype(np.float32)
    masks = ((rng.random((gates, b, d)) > 0.4) / np.float32(0.6)).astype(np.float32)
    x = rng.standard_normal(lead + (b, d)).astype(np.float32)
    dz = rng.standard_normal(lead + (b, gates * n)).astype(np.float32)
    lin = GateLinear(w, masks)
    blocks = [w[:, g * n:(g + 1) * n] for g in range(gates)]
    forward = np.concatenate([(x * masks[g]) @ blocks[g] for g in range(gates)], axis=-1)
    parts = [(dz[..., g * n:(g + 1) * n] @ np.ascontiguousarray(blocks[g].T)) * masks[g]
             for g in range(gates)]
    grad_x = (parts[0] + parts[1]) + parts[2]
    grad_w = np.concatenate(
        [np.ascontiguousarray((x * masks[g]).reshape(-1, d).T) @ dz[..., g * n:(g + 1) * n].reshape(-1, n)
         for g in range(gates)], axis=1)
    np.testing.assert_array_equal(lin.forward(x), forward)
    np.testing.assert_array_equal(lin.grad_input(dz), grad_x)
    np.testing.assert_array_equal(lin.grad_weight(x, dz), grad_w)
    assert lin.grad_weight(x, dz).shape == (d, gates * n)


def test_lstm_input_projection_with_the_half_folded_in_has_the_bits_of_scaling_after():
    """sigmoid(z) = 0.5 tanh(0.5 z) + 0.5: the fast LSTM computes x (W half) + b half, which
    is (x W + b) half bit for bit (scaling by a power of two is exact)."""
    from lamina.kernels import rnn_cells
    from lamina.kernels.rnn_sequence import _sigmoid, _tanh

    rng = np.random.default_rng(5)
    x = rng.standard_normal((30, 16, 12)).astype(np.float32)  # (T, B, D)
    w = rng.standard_normal((12, 4 * 8)).astype(np.float32)
    u = rng.standard_normal((8, 4 * 8)).astype(np.float32)
    b = rng.standard_normal(4 * 8).astype(np.float32)
    kernel = rnn_cells.LSTMKernel(w, u, b, (_tanh, None), (_sigmoid, None))
    assert kernel.fast
    kernel.begin(x, [np.zeros((31, 16, 8), np.float32)] * 2)
    want = x.reshape(-1, 12) @ w
    want += b
    want *= kernel.half
    assert kernel.a.reshape(-1, 32).tobytes() == want.tobytes()
