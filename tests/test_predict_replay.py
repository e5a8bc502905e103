"""`predict` replays a Sequential stack's `predict_array` methods: same bits as the eager path."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers


def mlp(*stack, shape=(20,)):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape=shape), *stack])


def eager_predict(model, x, **kw):
    model._replay_plan = lambda: None  # the instance attribute hides the plan: eager path
    try:
        return model.predict(x, **kw)
    finally:
        del model._replay_plan


@pytest.mark.parametrize("n, batch_size", [(1, None), (32, None), (1000, 32), (77, 10)])
def test_replay_is_bitwise_the_eager_path(n, batch_size):
    model = mlp(layers.Dense(64, activation="relu"), layers.Dropout(0.5),
                layers.Dense(16, activation="tanh"), layers.Dense(3, activation="softmax"))
    assert len(model._replay_plan()) == 4
    x = np.random.default_rng(1).standard_normal((n, 20)).astype(np.float32)
    got = model.predict(x, batch_size=batch_size, verbose=0)
    want = eager_predict(model, x, batch_size=batch_size, verbose=0)
    assert got.dtype == np.float32 and got.shape == (n, 3)
    assert np.array_equal(got, want)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    assert np.array_equal(model.predict(x.astype(np.float64), batch_size=batch_size, verbose=0), got)


def test_replay_with_flatten_and_after_training():
    model = mlp(layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dense(1), shape=(4, 5))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(2).random((50, 4, 5), dtype=np.float32)
    before = model.predict(x, verbose=0)
    model.fit(x, x.sum(axis=(1, 2)), epochs=2, verbose=0)
    after = model.predict(x, verbose=0)  # the plan reads the weights as they are now
    assert not np.array_equal(before, after)
    assert np.array_equal(after, eager_predict(model, x, verbose=0))


class Doubled(layers.Dense):
    def call(self, inputs):
        return super().call(inputs) * 2.0


@pytest.mark.parametrize("make", [
    lambda: mlp(layers.Dense(4), layers.Reshape((2, 2)), layers.Flatten()),  # no predict_array
    lambda: mlp(Doubled(4)),  # a subclass with its own call
    lambda: mlp(layers.Dense(4, activity_regularizer="l2")),
])
def test_models_the_plan_cannot_replay_fall_back(make):
    model = make()
    assert model._replay_plan() is None
    x = np.ones((3, 20), np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), model(x).numpy(), rtol=1e-6)


def test_subclassed_dense_output_is_doubled_by_predict():
    model = mlp(Doubled(4, use_bias=False))
    x = np.ones((2, 20), np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * x @ model.layers[0].kernel.numpy(), rtol=1e-6)
