"""BLAS threads per operation (lamina.engine.threads) and the once-per-fit float cast."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.engine import threads
from lamina.trainers.data_adapter import make_data

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_threads():
    info = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    return max(i["num_threads"] for i in info) if info else None


@pytest.fixture
def managed(monkeypatch):
    """Two BLAS threads as the library's default (tests may run with one: conftest.py)."""
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LAMINA_BLAS_THREADS", raising=False)
    if not threads._controllers():
        pytest.skip("needs a BLAS that threadpoolctl controls")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        monkeypatch.setattr(threads._S, "default", 2)
        yield 2


class Probe(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append(blas_threads())


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_runs_on_one_blas_thread_and_restores_the_default(managed):
    x, y = np.ones((8, 4), np.float32), np.ones((8, 1), np.float32)
    probe = Probe()
    small_model().fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[probe])
    assert probe.seen == [1, 1]
    assert blas_threads() == managed


def test_an_environment_variable_leaves_the_threads_alone(managed, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", str(managed))
    probe = Probe()
    small_model().fit(np.ones((8, 4)), np.ones((8, 1)), batch_size=4, verbose=0, callbacks=[probe])
    assert probe.seen == [managed, managed]


def test_a_threadpoolctl_limit_is_kept_even_for_big_products(managed):
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        with threads.scope():
            threads.gemm(4000, 4000, 4000)
            assert blas_threads() == 1
        assert blas_threads() == 1
    assert blas_threads() == managed


def test_only_big_products_get_more_threads(managed):
    with threads.scope():
        threads.gemm(128, 784, 512)  # an MLP's product: one thread
        assert blas_threads() == 1
        threads.gemm(7744, 576, 64)  # a convolution's: the default
        assert blas_threads() == managed
        threads.gemm(128, 784, 10)  # back to one for the next small product
        assert blas_threads() == 1
    assert blas_threads() == managed


def test_the_thread_count_never_depends_on_the_load(managed):
    """OpenBLAS's bits change with the thread count: the choice must be the same every run."""
    chosen = []
    for _ in range(3):
        with threads.scope():
            threads.gemm(128, 784, 512)
            chosen.append(blas_threads())
            threads.gemm(2000, 2000, 2000)
            chosen.append(blas_threads())
    assert chosen == [1, managed] * 3


def test_float64_inputs_are_cast_once_with_the_same_results():
    rng = np.random.default_rng(0)
    x64, y = rng.standard_normal((64, 4)), rng.standard_normal((64, 1)).astype(np.float32)
    data = make_data(x64, y, batch_size=16)
    data.cast_inputs("float32")
    assert data.x.dtype == np.float32 and data.y.dtype == np.float32
    assert np.array_equal(data.x, x64.astype(np.float32))
    ints = make_data(np.arange(6).reshape(3, 2), batch_size=2)
    ints.cast_inputs("float32")
    assert ints.x.dtype.kind == "i"  # token ids stay integers
    weights = []
    for x in (x64, x64.astype(np.float32)):
        model = small_model()
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        weights.append([w.numpy() for w in model.weights])
    for a, b in zip(*weights):
        assert np.array_equal(a, b)


def test_the_suite_runs_with_one_blas_thread():
    """conftest.py sets OPENBLAS_NUM_THREADS=1 before NumPy loads; nothing pytest reads first
    (a warning filter naming a NumPy class in pyproject.toml did) may load NumPy earlier."""
    import os  # noqa: PLC0415  (this test only)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        pytest.skip("the user chose another BLAS thread count")
    assert blas_threads() in (None, 1)


# --- denormals flushed to zero inside fit / evaluate / predict ------------------------------

TINY = np.float32(1e-39)  # a float32 subnormal


def needs_flush_control():
    from lamina._native import spin
    if spin is None or not spin.FLUSH_SUPPORTED:
        pytest.skip("no C extension, or no flush-to-zero control on this CPU: nothing is flushed")
    return spin


def test_a_scope_flushes_denormals_on_the_caller_and_the_helper_and_restores(monkeypatch):
    spin = needs_flush_control()
    monkeypatch.delenv("LAMINA_FLUSH_DENORMALS", raising=False)
    from lamina.engine import rowsplit
    assert TINY * np.float32(1) == TINY  # outside: kept
    with threads.scope():
        assert TINY * np.float32(1) == 0
        with threads.scope():  # reentrant
            assert spin.denormals_flushed()
        assert spin.denormals_flushed()
        # the helper thread follows the caller (blocks computed on either side agree)
        out = rowsplit.run(lambda v: v * np.ones(64, np.float32), [np.full(64, TINY)] * 6)
        assert all(not o.any() for o in out)
    assert not spin.denormals_flushed() and TINY * np.float32(1) == TINY
    out = rowsplit.run(lambda v: v * np.ones(64, np.float32), [np.full(64, TINY)] * 6)
    assert all((o == TINY).all() for o in out)  # and back to keeping them after the scope


def test_flushing_can_be_turned_off(monkeypatch):
    spin = needs_flush_control()
    monkeypatch.setenv("LAMINA_FLUSH_DENORMALS", "0")
    with threads.scope():
        assert not spin.denormals_flushed()
        assert TINY * np.float32(1) == TINY


def test_fit_computes_with_denormals_flushed_and_restores_the_mode(monkeypatch):
    spin = needs_flush_control()
    monkeypatch.delenv("LAMINA_FLUSH_DENORMALS", raising=False)
    seen = []

    class Seen(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(spin.denormals_flushed())

    small_model().fit(np.ones((8, 4), np.float32), np.ones((8, 1), np.float32), batch_size=4, verbose=0,
                      callbacks=[Seen()])
    assert seen == [True, True] and not spin.denormals_flushed()
    # predict: a subnormal input reads as zero inside, so Dense gives exactly its bias
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, bias_initializer="ones")])
    np.testing.assert_array_equal(model.predict(np.full((2, 3), TINY), verbose=0), np.ones((2, 2)))
    assert not spin.denormals_flushed()


def test_fused_attention_on_two_threads_has_the_bits_of_one(managed):
    from lamina.engine.tape import GradientTape
    from lamina.engine.tensor import Tensor
    from lamina.ops.fused_attention import attention
    rng = np.random.default_rng(0)
    q, k, v = (Tensor(rng.standard_normal((9, 200, 2, 8)).astype(np.float32)) for _ in range(3))

    def run():
        with GradientTape() as tape:
            for t in (q, k, v):
                tape.watch(t)
            out, _ = attention(q, k, v, 0.35)
        return [out.data] + [g.data for g in tape.gradient(out, [q, k, v], output_gradients=out * 1.5)]

    alone = run()
    with threads.scope():
        assert threads._S.split  # blocks of 3 samples (the chunk budget) spread over two threads
        paired = run()
    for a, b in zip(alone, paired):
        np.testing.assert_array_equal(a, b)


def _layer_norm(x, gamma, beta):
    from lamina.kernels import layer_norm
    return layer_norm.layer_norm_last_axis(x, gamma, beta, 1e-3)


def _relu(x, gamma, beta):
    from lamina.ops import nn
    return nn.relu(x)


@pytest.mark.parametrize("fn", [_layer_norm, _relu])
def test_row_passes_on_two_threads_have_the_bits_of_one(managed, fn):
    """LayerNormalization and ReLU (and its gradient mask) in blocks of rows on two threads
    (threads.by_rows): values and gradients as computed whole."""
    from lamina.engine.tape import GradientTape
    from lamina.engine.tensor import Tensor
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((70, 30, 128)).astype(np.float32))  # 268,800 values: in blocks
    assert x.data.size >= threads.PAIR_VALUES
    gamma = Tensor(rng.random(128).astype(np.float32))
    beta = Tensor(rng.random(128).astype(np.float32))
    sources = [x] if fn is _relu else [x, gamma, beta]

    def run():
        with GradientTape() as tape:
            for t in sources:
                tape.watch(t)
            out = fn(x, gamma, beta)
        return [out.data] + [g.data for g in tape.gradient(out, sources, output_gradients=out * 1.5)]

    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        alone = run()
    with threads.scope():
        paired = run()
    for a, b in zip(alone, paired):
        np.testing.assert_array_equal(a, b)


def test_a_big_shuffled_batch_is_gathered_in_blocks_with_the_same_rows(managed, monkeypatch):
    from lamina.trainers import data_adapter
    monkeypatch.setattr(data_adapter, "PAIR_GATHER_BYTES", 0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3, 4)).astype(np.float32)
    y = np.arange(50)
    index = rng.permutation(50)[:37]
    with threads.scope():
        gx, (gy,) = data_adapter.take(x, index), data_adapter.take((y,), index)
    np.testing.assert_array_equal(gx, x[index])
    np.testing.assert_array_equal(gy, y[index])
    assert data_adapter.take(x, slice(3, 9)).base is x  # slices stay views


def test_the_convolution_input_gradient_in_blocks_has_the_one_thread_bits(managed):
    from lamina.engine.tape import GradientTape
    from lamina.engine.tensor import Tensor
    from lamina.ops import convolution
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((12, 28, 28, 32)).astype(np.float32))
    k = Tensor(rng.standard_normal((3, 3, 32, 32)).astype(np.float32))
    # 12 * 784 rows x 288 x 32: within the split range, so blocks of samples on two threads
    assert threads.SPLIT_MACS <= 12 * 784 * 288 * 32 < threads.CROSSOVER_MACS

    def run():
        with GradientTape() as tape:
            tape.watch(x)
            out = convolution.conv(x, k, padding="same")
        return [out.data, tape.gradient(out, x, output_gradients=out * 0.5).data]

    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        alone = run()
    with threads.scope():
        assert threads.sample_blocks(12, 784, 12 * 784 * 288 * 32, np.float32, 1280) is not None
        paired = run()
    for a, b in zip(alone, paired):
        np.testing.assert_array_equal(a, b)


def test_a_custom_loop_s_gradients_are_computed_with_denormals_flushed(monkeypatch):
    spin = needs_flush_control()
    from lamina.engine.tape import GradientTape
    from lamina.engine.tensor import Tensor
    x = Tensor(np.ones(3, np.float32))

    def grad():
        with GradientTape() as tape:
            tape.watch(x)
            y = x * TINY  # d y / d x = TINY, a subnormal: flushed to 0 in the backward walk
        return tape.gradient(y, x, output_gradients=np.ones(3, np.float32)).data

    monkeypatch.delenv("LAMINA_FLUSH_DENORMALS", raising=False)
    np.testing.assert_array_equal(grad(), 0)
    assert not spin.denormals_flushed()  # restored after the walk
    monkeypatch.setenv("LAMINA_FLUSH_DENORMALS", "off")
    np.testing.assert_array_equal(grad(), TINY)


@pytest.mark.parametrize("name", ["rmsprop", "adam", "sgd"])
def test_a_big_variable_updated_on_two_threads_has_the_bits_of_one(name, managed, monkeypatch):
    """Inside fit's scope the fused rule's cache-sized chunks of a large variable go to two
    threads (`threads.map_pair`); each chunk's update is elementwise, so the bits are those
    of the chunks updated in turn."""
    from lamina import optimizers

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((300, 512)).astype("float32")  # 153,600 weights: 5 chunks
    grads = [rng.standard_normal(w0.shape).astype("float32") for _ in range(3)]

    def run(in_scope):
        v = keras.Variable(w0.copy())
        opt = optimizers.get(name)
        for g in grads:
            if in_scope:
                with threads.scope():
                    assert threads._S.split
                    opt.apply([g], [v])
            else:
                opt.apply([g], [v])
        return np.asarray(v.data)

    calls = []
    real = threads.map_pair
    monkeypatch.setattr(threads, "map_pair", lambda fn, args: calls.append(len(args)) or real(fn, args))
    paired, alone = run(True), run(False)
    assert paired.tobytes() == alone.tobytes()
    assert not np.array_equal(paired, w0)
    if keras._native.optim is not None:
        assert calls and max(calls) >= 5, calls
