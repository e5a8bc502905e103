"""The compiled optimizer kernels (lamina/_native) against the NumPy rules they replace.

The kernels perform the same float32 operations in the same order, so every weight and
slot must be *bitwise* equal to the NumPy path after several steps, for variables above and
below the chunk size (large gradients are read in place) and for awkward values (zeros,
subnormal-range moments, huge gradients).
"""
import os
import shutil
import sysconfig

import numpy as np
import pytest

import lamina
from lamina import _native, optimizers
from lamina.optimizers._slots import CHUNK

needs_kernels = pytest.mark.skipif(_native.optim is None, reason="the C extension is not built")

CASES = {
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_rho": lambda: optimizers.RMSprop(learning_rate=0.003, rho=0.5, epsilon=1e-3),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
}
SHAPES = [(CHUNK + 37,), (300, 7), (5,), (1,)]  # one above the chunk size, odd lengths


def _run(make, steps=7):
    rng = np.random.default_rng(3)
    variables = [lamina.Variable(rng.standard_normal(s).astype("float32")) for s in SHAPES]
    opt = make()
    for t in range(steps):
        grads = []
        for s in SHAPES:
            g = rng.standard_normal(s).astype("float32") * np.float32(10.0 ** rng.uniform(-6, 2))
            g.reshape(-1)[: max(1, g.size // 5)] = 0  # dead units: moments decay towards 0
            if t == 3:
                g.reshape(-1)[-1] = np.float32(3e38)  # huge: squares overflow to inf
            grads.append(g)
        with np.errstate(over="ignore", invalid="ignore"):  # the huge gradient, on purpose
            opt.apply_gradients(zip(grads, variables))
    return [v.numpy().copy() for v in variables], [s.numpy().copy() for s in opt.variables]


@needs_kernels
@pytest.mark.parametrize("name", sorted(CASES))
def test_kernels_are_bitwise_identical_to_numpy(name, monkeypatch):
    assert CASES[name]()._native_rule() is not None
    weights, slots = _run(CASES[name])
    monkeypatch.setattr(_native, "optim", None)
    assert CASES[name]()._native_rule() is None
    ref_weights, ref_slots = _run(CASES[name])
    for a, b in zip(weights + slots, ref_weights + ref_slots):
        np.testing.assert_array_equal(a.view(np.uint32) if a.dtype == np.float32 else a,
                                      b.view(np.uint32) if b.dtype == np.float32 else b)


def test_configurations_without_a_kernel_use_numpy():
    assert optimizers.RMSprop(centered=True)._native_rule() is None
    assert optimizers.RMSprop(momentum=0.5)._native_rule() is None
    assert optimizers.Adagrad()._native_rule() is None


@needs_kernels
def test_float64_variables_use_the_numpy_rule():
    v64 = lamina.Variable(np.ones(40000), dtype="float64")
    v32 = lamina.Variable(np.ones(40000, dtype="float32"))
    opt = optimizers.RMSprop(learning_rate=0.5)
    opt.apply_gradients([(np.full(40000, 2.0), v64), (np.full(40000, 2.0, dtype="float32"), v32)])
    # v = 0.1 * 4 = 0.4; w = 1 - 0.5 * 2 / sqrt(0.4 + 1e-7)
    expected = 1 - 0.5 * 2 / np.sqrt(0.4 + 1e-7)
    np.testing.assert_allclose(v64.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(v32.numpy(), expected, rtol=1e-6)


@needs_kernels
def test_kernel_arguments_are_checked():
    w = np.zeros(4, np.float32)
    with pytest.raises(TypeError, match="float32"):
        _native.optim.rmsprop(w, np.zeros(4), w.copy(), 0.9, 0.1, 0.1, 1e-7)
    with pytest.raises(ValueError, match="3 elements, expected 4"):
        _native.optim.rmsprop(w, np.zeros(3, np.float32), w.copy(), 0.9, 0.1, 0.1, 1e-7)
    with pytest.raises(TypeError, match="7 arguments"):
        _native.optim.rmsprop(w, w)
    with pytest.raises((BufferError, ValueError), match="contiguous"):
        _native.optim.sgd(w[::2], w[::2].copy(), None, 0.1, 0.0, False)  # not contiguous
    ro = np.zeros(4, np.float32)
    ro.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        _native.optim.sgd(ro, w, None, 0.1, 0.0, False)


def test_extension_is_built_where_a_compiler_exists():
    """A silently failed build would only make lamina slower: catch it here."""
    if os.environ.get("LAMINA_NATIVE", "1") in ("0", "false", "no", "off"):
        pytest.skip("LAMINA_NATIVE=0 disables the kernels")
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc}) on this machine")
    assert _native.optim is not None, (
        "lamina/_native/_optim.c was not compiled: reinstall with `pip install -e .` and read "
        "the compiler's error"
    )


@needs_kernels
def test_training_is_identical_with_and_without_kernels(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 20)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")

    def train():
        lamina.utils.set_random_seed(1)
        model = lamina.Sequential([lamina.Input((20,)), lamina.layers.Dense(64, activation="relu"),
                                   lamina.layers.Dense(2, activation="softmax")])
        model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
        return h.history, [w.copy() for w in model.get_weights()]

    hist, weights = train()
    monkeypatch.setattr(_native, "optim", None)
    ref_hist, ref_weights = train()
    assert hist == ref_hist
    for a, b in zip(weights, ref_weights):
        np.testing.assert_array_equal(a, b)
    assert hist["accuracy"][-1] > 0.9, hist["accuracy"]
