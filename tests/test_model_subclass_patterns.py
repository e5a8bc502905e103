"""Subclassing patterns of the course (Keras 3 semantics): a Model subclass built from functional
inputs/outputs, a subclassed model taking a dict of inputs, the deprecated compiled_loss /
compiled_metrics, and the stateless APIs of layers, metrics and optimizers."""
import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.models.functional import Functional


def _data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


def test_subclass_with_functional_inputs_outputs_uses_its_train_step():
    calls = []

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            calls.append(len(x))
            with keras.GradientTape() as tape:
                loss = keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y, self(x, training=True)))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    inputs = keras.Input(shape=(4,))
    outputs = layers.Dense(2, activation="softmax")(layers.Dense(8, activation="relu")(inputs))
    model = CustomModel(inputs, outputs)
    assert isinstance(model, CustomModel) and isinstance(model, Functional)
    assert len(model.layers) == 3 and model.built
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    x, y = _data()
    history = model.fit(x, y, epochs=5, batch_size=64, verbose=0)
    assert calls == [64] * 20
    assert history.history["loss"][-1] < 0.25 < history.history["loss"][0]
    again = CustomModel(inputs=inputs, outputs=outputs)  # keyword spelling, class already injected
    assert isinstance(again, Functional) and again.layers[1] is model.layers[1]


def test_plain_subclass_unchanged():
    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)

        def call(self, x):
            return self.dense(x)

    model = Plain()
    assert not isinstance(model, Functional)
    assert model(np.ones((2, 4), "float32")).shape == (2, 3)


class TicketModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.concat = layers.Concatenate()
        self.mix = layers.Dense(16, activation="relu")
        self.priority = layers.Dense(1, activation="sigmoid")
        self.department = layers.Dense(3, activation="softmax")

    def call(self, inputs):
        features = self.mix(self.concat([inputs["title"], inputs["body"]]))
        return self.priority(features), self.department(features)


def test_subclassed_model_called_with_a_dict_trains_evaluates_predicts():
    rng = np.random.default_rng(1)
    data = {"title": rng.integers(0, 2, (128, 20)), "body": rng.integers(0, 2, (128, 30))}
    priority = data["title"][:, :1].astype("float32")
    department = np.eye(3)[data["body"][:, :3].sum(1) % 3]
    model = TicketModel()
    p, d = model(data)
    assert p.shape == (128, 1) and d.shape == (128, 3)
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=["mean_squared_error", "categorical_crossentropy"],
                  metrics=[["mean_absolute_error"], ["accuracy"]])
    history = model.fit(data, [priority, department], epochs=20, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    results = model.evaluate(data, [priority, department], verbose=0)
    assert len(results) == 5 and results[0] == pytest.approx(results[1] + results[2], rel=1e-4)
    pp, dp = model.predict(data, verbose=0)
    assert pp.shape == (128, 1) and dp.shape == (128, 3)


def test_build_from_dict_of_shapes():
    model = TicketModel()
    model.build({"title": (None, 20), "body": (None, 30)})
    assert model.built and len(model.trainable_weights) == 6
    assert model.mix.kernel.shape == (50, 16)


def test_compiled_loss_and_compiled_metrics_are_deprecated_but_work():
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = keras.Input(shape=(4,))
    model = CustomModel(inputs, layers.Dense(2, activation="softmax")(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=15, batch_size=64, verbose=0)
    assert any("compiled_loss()` is deprecated" in str(w.message) for w in caught)
    assert sorted(history.history) == ["accuracy", "loss"]
    assert history.history["accuracy"][-1] > 0.9 and history.history["loss"][-1] < history.history["loss"][0]


def test_metric_stateless_api_leaves_the_metric_alone():
    metric = keras.metrics.Mean()
    state = metric.stateless_reset_state()
    assert [float(v) for v in state] == [0.0, 0.0]
    state = metric.stateless_update_state(state, np.array([1.0, 2.0, 3.0]))
    state = metric.stateless_update_state(state, np.array([6.0]))
    assert [float(v) for v in state] == [12.0, 4.0]
    assert float(metric.stateless_result(state)) == 3.0
    assert float(metric.result()) == 0.0 and float(metric.variables[1]) == 0.0
    acc = keras.metrics.SparseCategoricalAccuracy()
    acc.update_state([0], [[0.9, 0.1]])
    state = acc.stateless_update_state([v.numpy() for v in acc.variables], [1, 1], [[0.2, 0.8], [0.7, 0.3]])
    assert float(acc.stateless_result(state)) == pytest.approx(2 / 3) and float(acc.result()) == 1.0
    with pytest.raises(ValueError, match="expected 2 variable values"):
        metric.stateless_result([1.0])


def test_layer_stateless_call():
    dense = layers.Dense(2, use_bias=True)
    x = np.ones((1, 3), "float32")
    before = dense(x).numpy()
    out, non_trainable = dense.stateless_call([np.ones((3, 2)), np.array([0.5, -0.5])], [], x)
    np.testing.assert_allclose(out.numpy(), [[3.5, 2.5]])
    assert non_trainable == [] and np.array_equal(dense(x).numpy(), before)

    bn = layers.BatchNormalization(momentum=0.5)
    batch = np.array([[1.0], [3.0]], "float32")
    bn(batch)
    out, (moving_mean, moving_var) = bn.stateless_call(bn.trainable_variables, bn.non_trainable_variables,
                                                       batch, training=True)
    assert float(moving_mean[0]) == pytest.approx(1.0) and float(moving_var[0]) == pytest.approx(1.0)
    assert float(bn.moving_mean[0]) == 0.0  # the layer's own state is unchanged
    with pytest.raises(ValueError, match="has 2 trainable_variables, got 1"):
        dense.stateless_call([np.ones((3, 2))], [], x)


def test_layer_stateless_call_returns_losses():
    layer = layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.5))
    layer.build((None, 3))
    out, _, losses = layer.stateless_call([np.full((3, 1), 2.0), np.zeros(1)], [], np.ones((1, 3), "float32"),
                                          return_losses=True)
    assert float(out[0, 0]) == 6.0 and float(losses[0]) == pytest.approx(0.5 * 12.0)


def test_optimizer_stateless_apply():
    v = keras.Variable([1.0, 2.0])
    opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    opt.build([v])
    state = [x.numpy() for x in opt.variables]
    new_vars, new_state = opt.stateless_apply(state, [np.array([1.0, -1.0])], [np.array([10.0, 20.0])])
    np.testing.assert_allclose(new_vars[0].numpy(), [9.9, 20.1], rtol=1e-6)
    new_vars, new_state = opt.stateless_apply(new_state, [np.array([1.0, -1.0])], new_vars)
    np.testing.assert_allclose(new_vars[0].numpy(), [9.9 - 0.19, 20.1 + 0.19], rtol=1e-6)
    assert v.numpy().tolist() == [1.0, 2.0] and int(opt.iterations) == 0
    with pytest.raises(ValueError, match="must be built first"):
        keras.optimizers.Adam().stateless_apply([], [], [])


def test_fit_without_targets_hands_train_step_the_inputs_unwrapped():
    """Keras passes `fit(x)`'s batch to train_step as x itself (a lone array is not wrapped in
    a 1-tuple; a tuple/list of inputs is), and a model with no `call` of its own, driving
    sub-models from its train_step (Keras's VAE/GAN examples), fits without being run."""
    seen = []

    class Driver(keras.Model):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def train_step(self, data):
            seen.append(data)
            batch = data if not isinstance(data, tuple) else data[0][0]
            with keras.GradientTape() as tape:
                loss = keras.ops.mean(keras.ops.square(self.inner(batch)))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    inner = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model = Driver(inner)
    model.compile(optimizer="sgd")
    x = np.ones((8, 3), "float32")
    history = model.fit(x, batch_size=4, epochs=2, verbose=0, shuffle=False)
    assert len(seen) == 4 and all(isinstance(d, keras.Tensor | np.ndarray) for d in seen)
    assert tuple(seen[0].shape) == (4, 3)
    assert history.history["loss"][1] < history.history["loss"][0]
    model.fit([x], batch_size=8, epochs=1, verbose=0)
    assert isinstance(seen[-1], tuple) and len(seen[-1]) == 1 and len(seen[-1][0]) == 1
