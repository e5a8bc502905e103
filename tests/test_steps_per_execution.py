"""compile(steps_per_execution=N): batch callbacks once per N batches, with Keras 3's indices
(reference: keras 3.15.1 with JAX on the same program), and the same training."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_batch_begin(self, batch, logs=None):
        self.events.append(("tb", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("te", batch, sorted(logs)))

    def on_test_batch_begin(self, batch, logs=None):
        self.events.append(("vb", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.events.append(("ve", batch))

    def on_predict_batch_begin(self, batch, logs=None):
        self.events.append(("pb", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.events.append(("pe", batch, logs["outputs"].shape))


def model(per):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile("sgd", "mse", steps_per_execution=per)
    return m


X = np.arange(30, dtype="float32").reshape(10, 3) / 30
Y = X.sum(axis=1, keepdims=True)


def test_callbacks_run_once_per_execution_with_keras_indices():
    m, rec = model(3), Recorder()
    m.fit(X, Y, batch_size=1, epochs=1, verbose=0, callbacks=[rec], validation_data=(X[:5], Y[:5]))
    assert rec.events == [("tb", 0), ("te", 2, ["loss"]), ("tb", 3), ("te", 5, ["loss"]), ("tb", 6),
                          ("te", 8, ["loss"]), ("tb", 9), ("te", 11, ["loss"]),
                          ("vb", 0), ("ve", 2), ("vb", 3), ("ve", 5)]
    rec.events = []
    m.evaluate(X, Y, batch_size=2, verbose=0, callbacks=[rec])
    assert rec.events == [("vb", 0), ("ve", 2), ("vb", 3), ("ve", 5)]
    rec.events = []
    m.predict(X, batch_size=4, verbose=0, callbacks=[rec])  # the execution's outputs, joined
    assert rec.events == [("pb", 0), ("pe", 2, (10, 1))]
    assert m.get_compile_config()["steps_per_execution"] == 3


def test_executions_change_no_number():
    runs = []
    for per in (1, 4):
        m = model(per)
        h = m.fit(X, Y, batch_size=2, epochs=3, verbose=0, validation_split=0.2).history
        runs.append((h, [w.numpy() for w in m.weights], m.predict(X, batch_size=3, verbose=0)))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
    assert np.array_equal(runs[0][2], runs[1][2])


def test_progress_bar_and_early_stopping_per_execution(capsys):
    m = model(2)
    stop = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: setattr(m, "stop_training", batch >= 3))
    history = m.fit(X, Y, batch_size=1, epochs=2, verbose=1, callbacks=[stop])
    assert len(history.history["loss"]) == 1  # stopped after the execution ending at batch 3
    assert "loss" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_steps_per_execution_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="steps_per_execution must be a positive integer"):
        keras.Sequential([keras.Input((3,)), layers.Dense(1)]).compile("sgd", "mse", steps_per_execution=bad)
