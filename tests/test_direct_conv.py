"""The direct AVX-512/AVX2 convolution kernels (lamina/_native/_dconv.c, lamina/ops/_direct_conv.py).

They are compute kernels, not twins of a NumPy computation: each is checked against a
float64 reference to float32 rounding, against the im2col + BLAS path through ops.conv and
the Conv2D layer, and for the same bits whatever the threads (inside fit or not).
"""

import numpy as np
import pytest

import lamina
from lamina import _native, layers, ops
from lamina.engine import threads
from lamina.ops import _direct_conv as D
from tests.test_threads import managed  # noqa: F401 - the fixture: two threads in a scope

needs_direct = pytest.mark.skipif(_native.dconv is None, reason="no AVX2/AVX-512F CPU or no C extension")


def reference(xp, k):
    """float64 stride-1 convolution of a padded input (N, Hp, Wp, C) with k (kh, kw, C, O)."""
    kh, kw = k.shape[:2]
    ho, wo = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    out = np.zeros((xp.shape[0], ho, wo, k.shape[3]))
    for a in range(kh):
        for b in range(kw):
            out += xp[:, a:a + ho, b:b + wo].astype(np.float64) @ k[a, b].astype(np.float64)
    return out


def reference_kernel_grad(xp, g, ksize):
    kh, kw = ksize
    ho, wo = g.shape[1:3]
    return np.stack([
        np.stack([np.einsum("nhwc,nhwo->co", xp[:, a:a + ho, b:b + wo].astype(np.float64),
                            g.astype(np.float64)) for b in range(kw)])
        for a in range(kh)
    ])


def close(got, want):
    """float32 rounding of sums of a few hundred terms: relative to the largest value."""
    assert got.shape == want.shape and got.dtype == np.float32
    err = np.abs(got - want).max() / np.abs(want).max()
    assert err < 2e-6, err


SHAPES = [  # (N, H, W, Cin, kh, kw, Cout, pads): every tile width and channel remainder
    (4, 28, 28, 32, 3, 3, 32, ((1, 1), (1, 1))),
    (3, 16, 16, 32, 3, 3, 64, ((0, 0), (0, 0))),
    (2, 11, 13, 5, 3, 3, 48, ((2, 0), (0, 1))),
    (5, 9, 10, 64, 3, 3, 80, ((1, 1), (1, 1))),
    (2, 12, 9, 7, 5, 3, 16, ((2, 2), (1, 1))),
    (1, 8, 30, 4, 2, 2, 112, ((0, 1), (0, 1))),
]


@needs_direct
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_kernel_gradient_match_float64(shape):
    n, h, w, cin, kh, kw, cout, pads = shape
    rng = np.random.default_rng(h * w + cout)
    x = rng.standard_normal((n, h, w, cin)).astype(np.float32)
    k = rng.standard_normal((kh, kw, cin, cout)).astype(np.float32)
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    close(D.forward(x, k, pads), reference(xp, k))
    g = rng.standard_normal((n, xp.shape[1] - kh + 1, xp.shape[2] - kw + 1, cout)).astype(np.float32)
    close(D.kernel_grad(x, g, (kh, kw), pads), reference_kernel_grad(xp, g, (kh, kw)))


@needs_direct
def test_the_kernel_gradient_of_a_big_batch_keeps_float32_accuracy():
    """50,176 pixels summed: a running float32 sum lost a decimal digit (9.6e-6 of the largest
    value); block sums of ~128 pixels keep it at BLAS's level (~4e-7)."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((64, 28, 28, 16)).astype(np.float32)
    g = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    same = ((1, 1), (1, 1))
    want = reference_kernel_grad(np.pad(x, ((0, 0), *same, (0, 0))), g, (3, 3))
    err = np.abs(D.kernel_grad(x, g, (3, 3), same) - want).max() / np.abs(want).max()
    assert err < 1.5e-6, err


@needs_direct
def test_avx512_and_avx2_kernels_give_the_same_bits():
    """Each output is the same FMA sequence whatever the vector width."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 14, 13, 40)).astype(np.float32)
    k = rng.standard_normal((3, 3, 40, 80)).astype(np.float32)
    g = rng.standard_normal((3, 14, 13, 80)).astype(np.float32)
    same = ((1, 1), (1, 1))
    results = {}
    for isa in ("avx512", "avx2"):
        try:
            before = _native.dconv.use(isa)
        except ValueError:  # an AVX2-only CPU
            continue
        try:
            results[isa] = D.forward(x, k, same), D.kernel_grad(x, g, (3, 3), same)
        finally:
            _native.dconv.use(before)
    assert "avx2" in results
    close(results["avx2"][0], reference(np.pad(x, ((0, 0), *same, (0, 0))), k))
    if "avx512" in results:
        for a, b in zip(results["avx512"], results["avx2"]):
            assert a.tobytes() == b.tobytes()
    with pytest.raises(ValueError, match="does not run"):
        _native.dconv.use("sse2")


@needs_direct
def test_a_sample_range_writes_only_its_samples():
    rng = np.random.default_rng(0)
    xp = rng.standard_normal((5, 10, 10, 8)).astype(np.float32)
    k = rng.standard_normal((3, 3, 8, 16)).astype(np.float32)
    out = np.full((5, 8, 8, 16), 7.0, np.float32)
    _native.dconv.forward(xp, k, out, 1, 3, 0, 0)
    assert (out[[0, 3, 4]] == 7.0).all()
    close(out[1:3], reference(xp[1:3], k))
    gk = np.full((3, 3, 8, 16), 7.0, np.float32)
    g = rng.standard_normal((5, 8, 8, 16)).astype(np.float32)
    _native.dconv.kernel_grad(xp, g, gk, 2, 2, 0, 0)  # no samples: zeros, not the old contents
    assert (gk == 0).all()


@needs_direct
@pytest.mark.parametrize(
    "call, args, match",
    [
        ("forward", ((2, 10, 10, 8), (3, 3, 8, 20), (2, 8, 8, 20)), "multiple of 16"),
        ("forward", ((2, 10, 10, 8), (3, 3, 4, 16), (2, 8, 8, 16)), r"kernel \(3, 3, 4, 16\)"),
        ("forward", ((2, 10, 10, 8), (3, 3, 8, 16), (2, 7, 8, 16)), r"output \(2, 7, 8, 16\)"),
        ("forward", ((2, 5, 5, 8), (3, 3, 8, 16), (2, 3, 3, 16)), "at least 24 output pixels"),
        ("forward", ((2, 8, 8, 8), (3, 3, 8, 16), (2, 8, 8, 16), 3), "padding top 3"),
        ("kernel_grad", ((2, 10, 10, 8), (2, 8, 8, 16), (3, 3, 8, 16)), r"samples 0\.\.3"),
        ("forward", ((1, 70, 70, 1), (65, 65, 1, 16), (1, 6, 6, 16)), "more than 4096 offsets"),
    ],
)
def test_kernel_entry_points_refuse_what_does_not_fit(call, args, match):
    *shapes, top = args if len(args) == 4 else (*args, 0)
    arrays = [np.zeros(s, np.float32) for s in shapes]
    with pytest.raises(ValueError, match=match):
        getattr(_native.dconv, call)(*arrays, 0, 3 if call == "kernel_grad" else 2, top, 0)
    with pytest.raises(TypeError, match="float32"):
        getattr(_native.dconv, call)(arrays[0].astype(np.float64), *arrays[1:], 0, 1, 0, 0)


@needs_direct
def test_it_applies_only_where_it_is_built_for():
    f32 = np.dtype(np.float32)
    assert D.applies(f32, (3, 3), (1, 1), (1, 1), 32, 64, (28, 28))
    assert not D.applies(np.dtype(np.float64), (3, 3), (1, 1), (1, 1), 32, 64, (28, 28))
    assert not D.applies(f32, (3, 3), (2, 2), (1, 1), 32, 64, (14, 14))  # strided
    assert not D.applies(f32, (3, 3), (1, 1), (2, 2), 32, 64, (24, 24))  # dilated
    assert not D.applies(f32, (3, 3), (1, 1), (1, 1), 32, 40, (28, 28))  # Cout % 16
    assert not D.applies(f32, (3, 3), (1, 1), (1, 1), 1, 32, (28, 28))  # one input channel
    assert not D.applies(f32, (3, 3), (1, 1), (1, 1), 32, 32, (4, 5))  # fewer pixels than a tile
    assert not D.applies(f32, (1, 1), (1, 1), (1, 1), 32, 32, (28, 28))  # a plain matmul
    assert not D.applies(f32, (65, 65), (1, 1), (1, 1), 32, 32, (28, 28))  # > 4096 offsets
    assert not D.applies(f32, (3, 3, 3), (1, 1, 1), (1, 1, 1), 32, 32, (8, 8, 8))


def _conv_and_grads(x, k, padding, direct, monkeypatch):
    if not direct:
        monkeypatch.setattr(_native, "dconv", None)
    xt, kt = lamina.Variable(x), lamina.Variable(k)
    with lamina.GradientTape() as tape:
        y = ops.conv(xt, kt, padding=padding)
        loss = ops.sum(y * y)
    grads = tape.gradient(loss, [xt, kt])
    monkeypatch.undo()
    return [np.asarray(v) for v in (y, *grads)]


@needs_direct
@pytest.mark.parametrize("shape, padding, direct_calls", [
    ((6, 28, 28, 32, 32), "same", 2),  # input gradient: the flipped convolution, 32 -> 32
    ((4, 14, 14, 32, 64), "same", 2),  # more output than input channels: still flipped, direct
    ((3, 9, 11, 16, 48), "valid", 2),
    ((3, 10, 10, 32, 8), "same", 1),  # 8 filters: im2col forward, a direct input gradient (-> 32)
])
def test_ops_conv_and_its_gradients_match_the_im2col_path(shape, padding, direct_calls, monkeypatch):
    n, h, w, cin, cout = shape
    rng = np.random.default_rng(h + cout)
    x = rng.standard_normal((n, h, w, cin)).astype(np.float32)
    k = (rng.standard_normal((3, 3, cin, cout)) * 0.1).astype(np.float32)
    calls = []
    real = D.forward
    monkeypatch.setattr(D, "forward", lambda *a: calls.append(1) or real(*a))
    got = _conv_and_grads(x, k, padding, True, monkeypatch)
    assert len(calls) == direct_calls  # forward and input gradient
    want = _conv_and_grads(x, k, padding, False, monkeypatch)
    for a, b in zip(got, want):
        close(a, b.astype(np.float64))


@needs_direct
def test_the_same_bits_on_one_thread_or_two(managed):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    k = rng.standard_normal((3, 3, 32, 32)).astype(np.float32)
    g = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    same = ((1, 1), (1, 1))
    alone = D.forward(x, k, same), D.kernel_grad(x, g, (3, 3), same)
    with threads.scope():  # fit's scope: big pieces go to two threads
        assert threads._S.split
        paired = D.forward(x, k, same), D.kernel_grad(x, g, (3, 3), same)
    for a, b in zip(alone, paired):
        assert a.tobytes() == b.tobytes()


@needs_direct
def test_a_convnet_on_the_direct_kernels_learns_and_repeats_bit_for_bit(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((256, 12, 12, 4)).astype("float32")
    y = (x[..., 0].mean(axis=(1, 2)) > x[..., 1].mean(axis=(1, 2))).astype("int32")
    calls = []
    real = D.kernel_grad
    monkeypatch.setattr(D, "kernel_grad", lambda *a: calls.append(1) or real(*a))

    def train():
        lamina.utils.set_random_seed(4)
        model = lamina.Sequential([
            lamina.Input((12, 12, 4)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2, activation="softmax"),
        ])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
        return h.history, model.get_weights()

    hist, weights = train()
    assert calls  # the layers took the direct path
    assert hist["accuracy"][-1] >= 0.9, hist["accuracy"]
    hist2, weights2 = train()
    assert hist == hist2
    assert all(a.tobytes() == b.tobytes() for a, b in zip(weights, weights2))


@needs_direct
@pytest.mark.parametrize("rows", [4096, 25602])
def test_transposed_products_match_float64_and_are_the_same_bits_on_two_threads(rows, managed):
    rng = np.random.default_rng(rows)
    a = rng.standard_normal((rows, 32)).astype(np.float32)
    b = rng.standard_normal((rows, 128)).astype(np.float32)
    assert D.tn_applies(a, b)
    alone = D.tn_product(a, b)
    close(alone, a.astype(np.float64).T @ b.astype(np.float64))
    with threads.scope():
        assert threads._S.split
        assert D.tn_product(a, b).tobytes() == alone.tobytes()
    assert not D.tn_applies(a[:100], b[:100])  # too few rows to pay
    assert not D.tn_applies(a, b[:, :40])  # not a multiple of 16 columns
    assert not D.tn_applies(a.astype(np.float64), b)


@needs_direct
def test_an_lstm_input_projection_gradient_takes_the_direct_kernel(monkeypatch):
    from lamina.kernels.rnn_sequence import GateLinear, _rows_t

    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 100, 32)).astype(np.float32)
    dz = rng.standard_normal((64, 100, 128)).astype(np.float32)
    w = rng.standard_normal((32, 128)).astype(np.float32)
    calls = []
    real = D.tn_product
    monkeypatch.setattr(D, "tn_product", lambda a, b: calls.append(a.shape) or real(a, b))
    got = GateLinear(w).grad_weight(x, dz)
    assert calls == [(6400, 32)]
    close(got, _rows_t(x.astype(np.float64), 32) @ dz.reshape(-1, 128).astype(np.float64))
