"""compile / fit / evaluate / predict: Keras's semantics and results on real data."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers


def make_regression(n=256, d=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype("float32")
    w = rng.standard_normal((d, 1)).astype("float32")
    return x, (x @ w)[:, 0] + 0.1 * rng.standard_normal(n).astype("float32")


def small_model(d=5, out=1, activation=None):
    return keras.Sequential([keras.Input(shape=(d,)), layers.Dense(16, activation="relu"),
                             layers.Dense(out, activation=activation)])


# --- history, logs, return values -----------------------------------------------------


def test_history_keys_epochs_and_params():
    x, y = make_regression()
    model = small_model()
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    h = model.fit(x, y, epochs=3, batch_size=32, validation_split=0.25, verbose=0)
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert h.epoch == [0, 1, 2] and h.params == {"verbose": 0, "epochs": 3, "steps": 6}
    assert all(isinstance(v, float) for v in h.history["loss"])
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert model.history is h


def test_accuracy_keys_sorted_like_keras():
    x = np.random.default_rng(0).standard_normal((64, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = small_model(activation="sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0)
    assert list(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = make_regression(n=100)
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, y, epochs=1, validation_split=0.2, shuffle=True, verbose=0)
    expected = model.evaluate(x[80:], y[80:], verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(expected, rel=1e-6)


def test_evaluate_return_forms():
    x, y = make_regression(n=64)
    model = small_model()
    model.compile(optimizer="adam", loss="mse")
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    model.compile(optimizer="adam", loss="mse", metrics=["mae", "mse"])
    res = model.evaluate(x, y, verbose=0)
    assert isinstance(res, list) and len(res) == 3
    d = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(d) == {"loss", "mae", "mse"}
    assert d["loss"] == pytest.approx(d["mse"], rel=1e-5)
    pred = model.predict(x, verbose=0)[:, 0]
    assert d["mae"] == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-5)
    assert res[0] == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)


def test_epoch_loss_is_the_batch_size_weighted_mean():
    x, y = make_regression(n=10)
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    h = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)  # batches 4, 4, 2
    assert h.history["loss"][0] == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)


def test_regularization_penalty_is_added_to_the_loss():
    x, y = make_regression(n=32)
    model = keras.Sequential([keras.Input(shape=(5,)),
                              layers.Dense(1, kernel_regularizer=keras.regularizers.l2(0.5))])
    model.compile(optimizer="sgd", loss="mse")
    w = model.layers[0].kernel.numpy()
    pred = model.predict(x, verbose=0)[:, 0]
    expected = np.mean((pred - y) ** 2) + 0.5 * np.sum(w ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_train_test_predict_on_batch():
    x, y = make_regression(n=16)
    model = small_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    loss, mae = model.train_on_batch(x, y)
    assert np.isfinite(loss) and np.isfinite(mae)
    d = model.test_on_batch(x, y, return_dict=True)
    assert set(d) == {"loss", "mae"}
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


def test_sample_and_class_weights():
    x, y = make_regression(n=32)
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    pred = model.predict(x, verbose=0)[:, 0]
    sw = np.linspace(0, 2, 32).astype("float32")
    # Keras's sum_over_batch_size: sum(w * loss) / number of samples
    expected = np.sum(sw * (pred - y) ** 2) / 32
    assert model.evaluate(x, y, sample_weight=sw, batch_size=32, verbose=0) == pytest.approx(expected, rel=1e-5)
    labels = (x[:, 0] > 0).astype("float32")
    clf = small_model(activation="sigmoid")
    clf.compile(optimizer="sgd", loss="binary_crossentropy")
    h = clf.fit(x, labels, class_weight={0: 1.0, 1: 3.0}, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_sparse_csr_inputs_train_like_dense():
    sp = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(0)
    dense = (rng.random((64, 50)) < 0.1).astype("float32")
    y = (dense[:, :5].sum(axis=1) > 0).astype("float32")
    results = []
    for x in (dense, sp.csr_matrix(dense)):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input(shape=(50,)), layers.Dense(8, activation="relu"),
                                  layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        h = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        results.append((h.history["loss"], model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_generator_and_pydataset_inputs():
    x, y = make_regression(n=64)

    def gen():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    model = small_model()
    model.compile(optimizer="adam", loss="mse")
    h = model.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * 16]

    h = model.fit(Batches(), epochs=2, verbose=0)
    assert h.params["steps"] == 4
    assert model.evaluate(Batches(), verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)
    assert model.predict(Batches(), verbose=0).shape == (64, 1)


def test_custom_train_step_override():
    loss_tracker = keras.metrics.Mean(name="loss")

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                pred = self(x, training=True)
                loss = keras.ops.mean(keras.ops.square(pred[:, 0] - y))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            loss_tracker.update_state(loss)
            return {"loss": loss_tracker.result()}

        @property
        def metrics(self):
            return [loss_tracker]

    x, y = make_regression(n=64)
    model = Custom()
    model.compile(optimizer="adam")
    h = model.fit(x, y, epochs=3, verbose=0)
    assert list(h.history) == ["loss"] and h.history["loss"][2] < h.history["loss"][0]


def test_custom_training_loop_with_gradient_tape():
    x, y = make_regression(n=128)
    model = small_model()
    opt = keras.optimizers.Adam(learning_rate=0.01)
    loss_fn = keras.losses.MeanSquaredError()
    first = None
    for step in range(60):
        with keras.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        first = float(loss) if first is None else first
    assert float(loss) < 0.2 * first


def test_same_seed_gives_bitwise_identical_runs():
    x, y = make_regression(n=128)
    runs = []
    for _ in range(2):
        keras.utils.set_random_seed(42)
        model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(16, activation="relu"),
                                  layers.Dropout(0.3), layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        h = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
        runs.append((h.history, model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


def test_early_stop_via_stop_training():
    class StopAt2(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = make_regression(n=32)
    model = small_model()
    model.compile(optimizer="adam", loss="mse")
    h = model.fit(x, y, epochs=10, callbacks=[StopAt2()], verbose=0)
    assert h.epoch == [0, 1]


def test_progress_output_one_line_per_epoch_when_not_a_terminal(capsys):
    x, y = make_regression(n=64)
    model = small_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = [line for line in out.splitlines() if line]
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("4/4 ") and "loss:" in lines[1] and "mae:" in lines[1] and "/step" in lines[1]
    model.fit(x, y, epochs=1, verbose=2)
    assert capsys.readouterr().out.startswith("2/2 - ")
    model.fit(x, y, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_multi_input_multi_output_like_the_course():
    """Dict/list inputs by Input name, list and dict losses/metrics, Keras 3's history keys."""
    rng = np.random.default_rng(0)
    title = keras.Input(shape=(20,), name="title")
    body = keras.Input(shape=(20,), name="text_body")
    tags = keras.Input(shape=(5,), name="tags")
    features = layers.Dense(16, activation="relu")(layers.Concatenate()([title, body, tags]))
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(4, activation="softmax", name="department")(features)
    model = keras.Model(inputs=[title, body, tags], outputs=[priority, department])
    xs = [rng.integers(0, 2, (64, 20)), rng.integers(0, 2, (64, 20)), rng.integers(0, 2, (64, 5))]
    ys = [rng.random((64, 1)), np.eye(4)[rng.integers(0, 4, 64)]]
    keys = ["department_accuracy", "department_loss", "loss", "priority_loss", "priority_mean_absolute_error"]
    model.compile(optimizer="rmsprop", loss=["mean_squared_error", "categorical_crossentropy"],
                  metrics=[["mean_absolute_error"], ["accuracy"]])
    h = model.fit(xs, ys, epochs=1, verbose=0)
    assert sorted(h.history) == keys
    res = model.evaluate(xs, ys, verbose=0, return_dict=True)
    assert res["loss"] == pytest.approx(res["priority_loss"] + res["department_loss"], rel=1e-5)
    assert len(model.evaluate(xs, ys, verbose=0)) == 5
    model.compile(optimizer="rmsprop",
                  loss={"priority": "mean_squared_error", "department": "categorical_crossentropy"},
                  metrics={"priority": ["mean_absolute_error"], "department": ["accuracy"]})
    h = model.fit({"title": xs[0], "text_body": xs[1], "tags": xs[2]},
                  {"priority": ys[0], "department": ys[1]}, epochs=1, verbose=0)
    assert sorted(h.history) == keys


def test_custom_metric_subclass_with_add_weight():
    class RootMeanSquaredError(keras.metrics.Metric):  # as the course writes it
        def __init__(self, name="rmse", **kwargs):
            super().__init__(name=name, **kwargs)
            self.mse_sum = self.add_weight(name="mse_sum", initializer="zeros")
            self.total_samples = self.add_weight(name="total_samples", initializer="zeros", dtype="int32")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_true = keras.ops.one_hot(y_true, num_classes=keras.ops.shape(y_pred)[1])
            self.mse_sum.assign_add(keras.ops.sum(keras.ops.square(y_true - y_pred)))
            self.total_samples.assign_add(keras.ops.shape(y_pred)[0])

        def result(self):
            return keras.ops.sqrt(self.mse_sum / keras.ops.cast(self.total_samples, "float32"))

        def reset_state(self):
            self.mse_sum.assign(0.0)
            self.total_samples.assign(0)

    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5)).astype("float32"), rng.integers(0, 10, 64)
    model = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy", RootMeanSquaredError()])
    h = model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    assert sorted(h.history) == ["accuracy", "loss", "rmse"]
    p = model.predict(x, verbose=0)  # weights after the single step: recompute with the metric's formula
    model.evaluate(x, y, batch_size=64, verbose=0)
    expected = np.sqrt(np.sum((np.eye(10)[y] - p) ** 2) / 64)
    assert model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)["rmse"] == pytest.approx(expected, rel=1e-5)
