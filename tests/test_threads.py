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
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LAMINA_BLAS_THREADS", raising=False)
    if not threads._controllers() or threads._S.default < 2:
        pytest.skip("needs a multi-threaded BLAS that threadpoolctl controls")
    return threads._S.default


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
            threads._S.allowed, threads._S.sample_at = managed, 1e300  # cores look free
            threads.gemm(4000, 4000, 4000)
            assert blas_threads() == 1
        assert blas_threads() == 1
    assert blas_threads() == managed


def test_only_big_products_on_free_cores_get_more_threads(managed):
    with threads.scope():
        threads._S.allowed, threads._S.sample_at = managed, 1e300  # cores look free
        threads.gemm(128, 784, 10)
        assert blas_threads() == 1
        threads.gemm(1000, 1000, 1000)
        assert blas_threads() == managed
        threads.gemm(128, 784, 10)  # back to one for the next small product
        assert blas_threads() == 1
        threads._S.allowed = 1  # the other cores are busy
        threads.gemm(1000, 1000, 1000)
        assert blas_threads() == 1
    assert blas_threads() == managed


def test_free_threads_counts_only_other_processes(monkeypatch):
    ticks = threads._ticks()
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads._S, "default", 2)
    monkeypatch.setattr(threads._S, "sample", None)
    clock = {"busy": 0, "own": 0.0}
    monkeypatch.setattr(threads, "_machine_busy_jiffies", lambda: clock["busy"])
    monkeypatch.setattr(threads.time, "process_time", lambda: clock["own"])
    assert threads._free_threads(0.0) == 1  # no window yet
    clock["busy"], clock["own"] = int(1.8 * ticks), 1.8  # all busy time was our own (2 threads)
    assert threads._free_threads(1.0) == 2
    clock["busy"], clock["own"] = clock["busy"] + 2 * ticks, 2.8  # another process used a core
    assert threads._free_threads(2.0) == 1


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
