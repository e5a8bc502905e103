"""Row-split products (lamina.engine.rowsplit, on by default; LAMINA_BLAS_THREADS=nosplit turns it off): in the sizes it is
used for (20M multiply-adds and more), the same bits as one BLAS thread, whichever thread
computes which block. (A tiny product's blocks may take OpenBLAS's small-matrix kernels and
round differently: still deterministic, as the blocks depend on the shapes only.)"""
import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.engine import rowsplit, threads


@pytest.mark.parametrize("m, k, n, transposed", [
    (128, 784, 512, False), (784, 128, 512, True), (100, 1000, 200, True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_product_is_bitwise_the_plain_product(m, k, n, transposed, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if transposed else (m, k)).astype(dtype)
    a = a.T if transposed else a
    b = rng.standard_normal((k, n)).astype(dtype)
    want = a @ b
    for parts in (2, 3):
        got = rowsplit.matmul(a, b, parts)
        assert got.dtype == dtype and got.shape == (m, n)
        assert np.array_equal(got, want)


def test_too_few_rows_to_split_is_the_plain_product():
    a, b = np.ones((16, 4), np.float32), np.ones((4, 3), np.float32)
    np.testing.assert_array_equal(rowsplit.matmul(a, b), np.full((16, 3), 4.0))


def test_an_error_in_a_block_reaches_the_caller():
    a = np.ones((64, 4), np.float32)
    with pytest.raises(ValueError):
        rowsplit.matmul(a, np.ones((5, 3), np.float32))  # 4 != 5: every block fails


def train(monkeypatch, mode):
    if mode:
        monkeypatch.setenv("LAMINA_BLAS_THREADS", mode)
    else:
        monkeypatch.delenv("LAMINA_BLAS_THREADS", raising=False)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(300,)), layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x, y = rng.random((512, 300), dtype=np.float32), rng.integers(0, 10, 512)
    history = model.fit(x, y, batch_size=256, epochs=2, verbose=0).history["loss"]
    return history, [w.numpy() for w in model.weights], model.predict(x[:256], verbose=0)


def test_fit_and_predict_give_the_same_bits_split_or_not(monkeypatch):
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not threads._controllers():
        pytest.skip("needs a BLAS that threadpoolctl controls")
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        monkeypatch.setattr(threads._S, "default", 2)
        plain = train(monkeypatch, "nosplit")
        calls = []
        real = rowsplit.matmul
        monkeypatch.setattr(rowsplit, "matmul", lambda a, b, **kw: calls.append(a.shape) or real(a, b, **kw))
        split = train(monkeypatch, None)  # the default splits
    assert (256, 300) in calls and (300, 256) in calls  # the forward and kernel-gradient products
    assert plain[0] == split[0]
    for w1, w2 in zip(plain[1], split[1]):
        assert np.array_equal(w1, w2)
    assert np.array_equal(plain[2], split[2])


def test_predict_spreads_batches_over_two_threads_with_the_bits_of_each_batch(monkeypatch):
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LAMINA_BLAS_THREADS", raising=False)
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not threads._controllers():
        pytest.skip("needs a BLAS that threadpoolctl controls")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(300,)), layers.Dense(256, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    x = np.random.default_rng(1).random((1000, 300), dtype=np.float32)
    calls = []
    real = rowsplit.run
    monkeypatch.setattr(rowsplit, "run", lambda fn, args: calls.append(len(args)) or real(fn, args))
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        monkeypatch.setattr(threads._S, "default", 2)
        got = model.predict(x, batch_size=32, verbose=0)
        alone = [model.predict(x[i:i + 32], batch_size=32, verbose=0) for i in range(0, 1000, 32)]
    # the first batch alone, the next 4 alone and as one group of 128 rows (the same bits:
    # predict goes on in groups), then 6 groups and the 3 batches left on two threads
    assert calls == [9]
    assert np.array_equal(got, np.concatenate(alone))


@pytest.mark.parametrize("rows", [100, 250, 416])
def test_predict_replays_batches_one_by_one_when_a_group_changes_the_bits(rows):
    from lamina.trainers import predict as P
    from lamina.trainers.data_adapter import make_data

    x = np.arange(rows * 4, dtype=np.float32).reshape(rows, 4)
    data = make_data(x, None, None, 32, False, None, None)
    exact = [lambda a: a * 2]
    sized = [lambda a: a * 2 + (len(a) > 32)]  # a group of rows computes something else
    with threads.scope():
        got_exact = np.concatenate(P._replay_batches(exact, data, np.dtype(np.float32)))
        got_sized = np.concatenate(P._replay_batches(sized, data, np.dtype(np.float32)))
    np.testing.assert_array_equal(got_exact, x * 2)
    np.testing.assert_array_equal(got_sized, x * 2)


def test_a_recurrent_layer_trains_to_the_same_bits_split_or_not(monkeypatch):
    """The LSTM's input projections over every timestep (`threads.matmul`, 36M multiply-adds)
    are split over two threads inside fit and keep the bits of one thread."""
    for name in threads.USER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not threads._controllers():
        pytest.skip("needs a BLAS that threadpoolctl controls")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((128, 50, 44)).astype(np.float32), rng.integers(0, 2, 128)

    def train(mode):
        monkeypatch.setenv("LAMINA_BLAS_THREADS", mode)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((50, 44)), layers.Dense(44), layers.LSTM(32),
                                  layers.Dense(1, activation="sigmoid")])
        model.compile("rmsprop", "binary_crossentropy")
        model.fit(x, y, batch_size=128, epochs=2, verbose=0)
        return [w.numpy() for w in model.weights]

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        monkeypatch.setattr(threads._S, "default", 2)
        plain = train("nosplit")
        calls = []
        real = rowsplit.matmul
        monkeypatch.setattr(rowsplit, "matmul", lambda a, b, **kw: calls.append(a.shape) or real(a, b, **kw))
        split = train("on")
    assert (6400, 128) in calls  # the LSTM's input gradient over every timestep (and the projections)
    for a, b in zip(plain, split):
        assert a.tobytes() == b.tobytes()
