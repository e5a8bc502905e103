"""Training callbacks: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger,
LambdaCallback, and the order/arguments of the hooks `fit` calls (Keras 3 semantics)."""
import csv
import operator
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lamina as keras
from lamina.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
)

# --- helpers ---------------------------------------------------------------------------------

class StubModel:
    """What the callbacks touch: weights (one array marking the epoch), stop_training,
    an optimizer with a float32 learning rate, metrics."""

    def __init__(self, lr=1.0, metrics=()):
        self.w = np.array([-1.0])
        self.stop_training = False
        self.optimizer = keras.optimizers.SGD(learning_rate=lr)
        self.metrics = list(metrics)

    def get_weights(self):
        return [self.w.copy()]

    def set_weights(self, weights):
        self.w = weights[0].copy()


def drive(cb, values, key="val_loss", model=None):
    """Run `cb` over scripted epoch values like fit would; returns (last epoch run, model)."""
    model = model or StubModel()
    cb.set_model(model)
    cb.on_train_begin({})
    epoch = -1
    logs = {}
    for epoch, v in enumerate(values):
        model.w = np.array([float(epoch)])  # the weights "after" this epoch
        logs = {"loss": 0.0, key: v}
        cb.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cb.on_train_end(logs)
    return epoch, model


def tiny_model(lr=0.1, metrics=None, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    model.compile(keras.optimizers.SGD(learning_rate=lr), loss="mse", metrics=metrics)
    return model


def regression_data(n=8, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.1).astype("float32")
    return x, y


class Script(Callback):
    """Overwrites logs[key] with scripted values and snapshots the weights at each epoch end
    (put it before the callback under test, which then sees the scripted value)."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key, self.snapshots = values, key, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append(self.model.get_weights())


# --- EarlyStopping ---------------------------------------------------------------------------

@pytest.mark.parametrize("values, kwargs, stop, best", [
    # patience 2: epochs 2, 3 do not beat 0.9 -> stop at 3
    ([1.0, 0.9, 0.95, 0.92, 0.8, 0.85], {"patience": 2}, 3, 1),
    # patience 0: the first epoch that does not improve stops
    ([1.0, 0.9, 0.9, 0.5], {"patience": 0}, 2, 1),
    # min_delta 0.05: 0.97 and 0.96 are not 0.05 below 1.0
    ([1.0, 0.97, 0.96, 0.94, 0.5], {"patience": 2, "min_delta": 0.05}, 2, 0),
    ([1.0, 0.97, 0.96, 0.94, 0.5], {"patience": 2, "min_delta": 0.0}, None, 4),  # never stops
    # negative min_delta is taken as its absolute value
    ([1.0, 0.97, 0.96, 0.94, 0.5], {"patience": 2, "min_delta": -0.05}, 2, 0),
    # max mode
    ([0.5, 0.6, 0.6, 0.55, 0.7], {"patience": 2, "mode": "max"}, 3, 1),
    # baseline 0.5 is never beaten: improvements over best do not reset the counter, and
    # stopping is only checked at an epoch that does not improve
    ([0.9, 0.8, 0.7, 0.6, 0.65], {"patience": 2, "baseline": 0.5}, 4, 3),
    ([0.9, 0.8, 0.85, 0.7], {"patience": 2, "baseline": 0.5}, 2, 1),
    # baseline 0.85 beaten at epoch 1: the counter restarts there
    ([0.9, 0.8, 0.85, 0.83, 0.82], {"patience": 2, "baseline": 0.85}, 3, 1),
    # warm-up: epochs 0 and 1 are not monitored
    ([0.1, 0.2, 1.0, 1.1, 1.2], {"patience": 1, "start_from_epoch": 2}, 3, 2),
    ([0.1, 0.2, 1.0, 1.1, 1.2], {"patience": 1}, 1, 0),
    # a NaN never improves, but epoch 0 never stops training
    ([float("nan"), 1.0, 2.0], {"patience": 0}, 2, 1),
])
def test_early_stopping_scripted(values, kwargs, stop, best):
    cb = EarlyStopping(restore_best_weights=True, **kwargs)
    last, model = drive(cb, values)
    assert last == (len(values) - 1 if stop is None else stop)
    assert cb.stopped_epoch == (stop or 0) and model.stop_training == (stop is not None)
    assert cb.best_epoch == best
    assert model.w[0] == best  # restored to the weights of the best epoch


def test_early_stopping_runs_to_the_end_and_restores_anyway(capsys):
    cb = EarlyStopping(patience=10, restore_best_weights=True, verbose=1)
    last, model = drive(cb, [1.0, 0.5, 0.7, 0.6])
    assert last == 3 and cb.stopped_epoch == 0 and not model.stop_training
    assert model.w[0] == 1.0 and cb.best == 0.5
    out = capsys.readouterr().out
    assert "early stopping" not in out
    assert out == "Restoring model weights from the end of the best epoch: 2.\n"


def test_early_stopping_baseline_never_beaten_restores_best_of_patience_window():
    # Keras: with no epoch beating the baseline, train `patience` epochs and restore the best
    cb = EarlyStopping(patience=3, baseline=0.1, restore_best_weights=True)
    last, model = drive(cb, [0.9, 0.8, 0.95, 0.97, 0.99])
    assert last == 2 and cb.best_epoch == 1 and model.w[0] == 1.0


def test_early_stopping_without_restore_keeps_last_weights(capsys):
    cb = EarlyStopping(patience=1, verbose=1)
    last, model = drive(cb, [1.0, 2.0, 3.0])
    assert last == 1 and model.w[0] == 1.0 and cb.best_weights is None
    assert capsys.readouterr().out == "Epoch 2: early stopping\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0]), min_size=1, max_size=12),
       st.integers(0, 4))
def test_early_stopping_matches_argmin_rule(values, patience):
    # independent formulation (min mode, no delta/baseline): stop at the first epoch e whose
    # distance to the first occurrence of the running minimum reaches max(patience, 1)
    best_idx = [int(np.argmin(values[:e + 1])) for e in range(len(values))]
    gaps = [e - b for e, b in enumerate(best_idx)]
    stops = [e for e, g in enumerate(gaps) if g >= max(patience, 1)]
    expected_last = stops[0] if stops else len(values) - 1
    cb = EarlyStopping(patience=patience, restore_best_weights=True, mode="min")
    last, model = drive(cb, values)
    assert last == expected_last
    assert cb.stopped_epoch == (stops[0] if stops else 0)
    assert model.w[0] == best_idx[last]


def test_early_stopping_auto_mode_direction():
    class M:
        def __init__(self, name, direction):
            self.name, self._direction = name, direction

    stub = StubModel(metrics=[M("loss", None), M("mae", "down"), M("auc", "up"), M("foo", None)])
    for monitor, op in [("val_loss", operator.lt), ("loss", operator.lt), ("val_mae", operator.lt),
                        ("val_auc", operator.gt), ("accuracy", operator.gt),
                        ("val_sparse_categorical_accuracy", operator.gt), ("out_a_loss", operator.lt)]:
        cb = EarlyStopping(monitor=monitor)
        cb.set_model(stub)
        cb._set_monitor_op()
        assert cb.monitor_op is op, monitor
        assert cb.best == (np.inf if op is operator.lt else -np.inf)
    cb = EarlyStopping(monitor="val_foo")
    cb.set_model(stub)
    with pytest.raises(ValueError, match="Pass `mode='max'`"):
        cb.on_epoch_end(0, {"val_foo": 1.0})
    with pytest.warns(UserWarning, match="mode sideways is unknown, fallback to auto"):
        assert EarlyStopping(mode="sideways").mode == "auto"


def test_early_stopping_auto_mode_from_compiled_metric():
    x, y = regression_data()
    model = tiny_model(metrics=["mae"])
    cb = EarlyStopping(monitor="mae", patience=0)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[cb])
    assert cb.monitor_op is operator.lt and cb.min_delta == 0


def test_early_stopping_missing_metric_warns_with_available_keys():
    cb = EarlyStopping(monitor="val_loss", patience=0)
    cb.set_model(StubModel())
    cb.on_train_begin({})
    for epoch in range(2):
        with pytest.warns(UserWarning) as rec:
            cb.on_epoch_end(epoch, {"loss": 1.0, "mae": 2.0})
        assert str(rec[0].message) == ("Early stopping conditioned on metric `val_loss` which is "
                                       "not available. Available metrics are: loss,mae")
    assert not cb.model.stop_training


def test_early_stopping_reuse_resets_state():
    cb = EarlyStopping(patience=1, restore_best_weights=True)
    drive(cb, [0.1, 0.5, 0.6])
    assert cb.stopped_epoch == 1
    last, model = drive(cb, [1.0, 0.9, 0.8, 0.7])  # worse than the first run's best: fine
    assert last == 3 and cb.stopped_epoch == 0 and cb.best == 0.7 and model.w[0] == 3.0


def test_early_stopping_restores_best_epoch_weights_in_fit(capsys):
    x, y = regression_data()
    script = Script([1.0, 0.6, 0.7, 0.4, 0.5, 0.45, 0.9, 0.2])
    es = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    model = tiny_model(lr=0.05)
    h = model.fit(x, y, epochs=8, batch_size=4, verbose=0, callbacks=[script, es])
    assert h.history["val_loss"] == [1.0, 0.6, 0.7, 0.4, 0.5, 0.45]
    assert es.stopped_epoch == 5 and es.best_epoch == 3 and model.stop_training
    final_trained = script.snapshots[-1][0]
    restored = model.get_weights()[0]
    np.testing.assert_array_equal(restored, script.snapshots[3][0])
    assert np.abs(restored - final_trained).max() > 1e-4  # training really moved the weights
    assert capsys.readouterr().out == (
        "Epoch 6: early stopping\nRestoring model weights from the end of the best epoch: 4.\n")


def test_early_stopping_on_training_loss_in_fit():
    x, y = regression_data(n=16)
    model = tiny_model(lr=0.05)
    # best at epoch 1; epochs 2, 3, 4 do not improve -> stop after epoch 4 (patience 3)
    script = Script([3.0, 2.0, 2.0, 2.0, 2.0, 1.0], key="loss")
    h = model.fit(x, y, epochs=6, batch_size=4, verbose=0,
                  callbacks=[script, EarlyStopping(monitor="loss", patience=3)])
    assert len(h.history["loss"]) == 5


# --- ReduceLROnPlateau -----------------------------------------------------------------------

def test_reduce_lr_sequence_with_cooldown_and_min_lr(capsys):
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, cooldown=2, min_lr=0.2,
                           min_delta=0.0, verbose=1)
    model = StubModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin({})
    logged = []
    for epoch, v in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]):
        logs = {"val_loss": v}
        cb.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
    # reductions at epochs 1, 3, 5 (cooldown 2 swallows the epochs between); then min_lr
    np.testing.assert_allclose(logged, [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2], rtol=1e-7)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.2, rel=1e-7)
    out = capsys.readouterr().out
    assert out == ("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n"
                   "\nEpoch 4: ReduceLROnPlateau reducing learning rate to 0.25.\n"
                   "\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.2.\n")


def test_reduce_lr_min_delta_and_patience():
    cb = ReduceLROnPlateau(monitor="loss", factor=0.1, patience=3, min_delta=0.1)
    model = StubModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin({})
    lrs = []
    # improvements smaller than min_delta do not count: 0.95, 0.91 -> waits 1, 2; 0.85 resets
    # (beats 1.0 - 0.1); 0.8, 0.79, 0.78 -> waits 1, 2, 3 -> reduce at epoch 6
    for epoch, v in enumerate([1.0, 0.95, 0.91, 0.85, 0.8, 0.79, 0.78, 0.77]):
        cb.on_epoch_end(epoch, {"loss": v})
        lrs.append(float(model.optimizer.learning_rate))
    np.testing.assert_allclose(lrs, [1, 1, 1, 1, 1, 1, 0.1, 0.1], rtol=1e-7)


def test_reduce_lr_max_mode_from_acc_name_and_errors():
    cb = ReduceLROnPlateau(monitor="val_accuracy", patience=1, factor=0.5)
    model = StubModel(lr=1.0)
    cb.set_model(model)
    cb.on_train_begin({})
    for epoch, v in enumerate([0.5, 0.6, 0.6]):
        cb.on_epoch_end(epoch, {"val_accuracy": v})
    assert float(model.optimizer.learning_rate) == 0.5
    with pytest.raises(ValueError, match="factor >= 1.0. Received factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="mode up is unknown"):
        assert ReduceLROnPlateau(mode="up").mode == "auto"
    with pytest.warns(UserWarning, match="which is not available. Available metrics are: loss,"
                                         "learning_rate."):
        cb.on_epoch_end(3, {"loss": 1.0})


def test_reduce_lr_in_fit_logs_learning_rate():
    x, y = regression_data()
    model = tiny_model(lr=0.1)
    script = Script([1.0, 1.0, 1.0, 1.0, 1.0], key="plateau")
    cb = ReduceLROnPlateau(monitor="plateau", factor=0.5, patience=2)
    h = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[script, cb])
    np.testing.assert_allclose(h.history["learning_rate"], [0.1, 0.1, 0.1, 0.05, 0.05], rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.025, rel=1e-6)


# --- LearningRateScheduler -------------------------------------------------------------------

def test_scheduler_sets_the_rate_sgd_uses():
    x, y = regression_data()
    model = tiny_model(lr=0.1)
    seen = []
    record = LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(
        (float(model.optimizer.learning_rate), model.get_weights()[0].astype(np.float64))))
    sched = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    h = model.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0,
                  callbacks=[sched, record])
    lrs = [lr for lr, _ in seen]
    np.testing.assert_allclose(lrs, [0.1, 0.05, 0.025, 0.0125], rtol=1e-7)
    np.testing.assert_allclose(h.history["learning_rate"], lrs, rtol=1e-7)
    # one full batch per epoch: w <- w - lr * 2/n x^T (x w - y), in float64
    ws = [w for _, w in seen] + [model.get_weights()[0].astype(np.float64)]
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    for e, lr in enumerate(lrs):
        grad = 2.0 / len(x) * x64.T @ (x64 @ ws[e] - y64)
        np.testing.assert_allclose(ws[e + 1], ws[e] - np.float32(lr) * grad, rtol=2e-5, atol=1e-6)


def test_scheduler_one_argument_form_and_verbose(capsys):
    x, y = regression_data()
    model = tiny_model(lr=0.1)
    lrs = []
    cbs = [LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1), verbose=1),
           LambdaCallback(on_train_batch_begin=lambda b, logs: lrs.append(
               float(model.optimizer.learning_rate)))]
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=cbs)
    np.testing.assert_allclose(lrs, [0.5, 0.5, 0.25, 0.25], rtol=1e-7)
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.25.\n")


def test_scheduler_errors_inside_schedule_are_not_masked():
    model = StubModel(lr=0.1)

    def schedule(epoch, lr):
        raise TypeError("bug in my schedule")

    cb = LearningRateScheduler(schedule)
    cb.set_model(model)
    with pytest.raises(TypeError, match="bug in my schedule"):
        cb.on_epoch_begin(0, {})


def test_scheduler_output_checks():
    model = StubModel(lr=0.1)
    cb = LearningRateScheduler(lambda epoch, lr: "fast")
    cb.set_model(model)
    with pytest.raises(ValueError, match="should be a float. Got: fast"):
        cb.on_epoch_begin(0, {})
    cb = LearningRateScheduler(lambda epoch, lr: lr * keras.ops.exp(-0.1))  # a 0-d tensor
    cb.set_model(model)
    cb.on_epoch_begin(0, {})
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1 * np.exp(-0.1), rel=1e-6)
    cb = LearningRateScheduler(lambda epoch, lr: np.float32(0.03))
    cb.set_model(model)
    cb.on_epoch_begin(0, {})
    assert float(model.optimizer.learning_rate) == pytest.approx(0.03, rel=1e-7)
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(0.1)


# --- CSVLogger -------------------------------------------------------------------------------

def read_csv(path, sep=","):
    with open(path, newline="") as f:
        raw = f.read()
    with open(path, newline="") as f:
        return raw, list(csv.reader(f, delimiter=sep))


def test_csv_logger_contents_and_append(tmp_path):
    x, y = regression_data()
    path = tmp_path / "log.csv"
    model = tiny_model(metrics=["mae"])
    h = model.fit(x, y, epochs=3, batch_size=4, validation_data=(x[:4], y[:4]), verbose=0,
                  callbacks=[CSVLogger(path)])
    raw, rows = read_csv(path)
    assert raw.count("\r\n") == 4  # the csv module's excel dialect, as Keras writes it
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for j, key in enumerate(rows[0][1:], start=1):
        assert [float(r[j]) for r in rows[1:]] == h.history[key]  # repr round-trips exactly
    # append: rows continue under the same header
    h2 = model.fit(x, y, epochs=2, batch_size=4, validation_data=(x[:4], y[:4]), verbose=0,
                   callbacks=[CSVLogger(path, append=True)])
    _, rows = read_csv(path)
    assert len(rows) == 6 and rows.count(rows[0]) == 1
    assert [float(r[1]) for r in rows[4:]] == h2.history["loss"]
    # no append: overwritten
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[CSVLogger(path)])
    _, rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae"] and len(rows) == 2


def test_csv_logger_separator_append_to_empty_file_and_values(tmp_path):
    path = tmp_path / "log.tsv"
    path.write_text("")
    cb = CSVLogger(str(path), separator=";", append=True)
    cb.set_model(StubModel())
    cb.on_train_begin({})
    cb.on_epoch_end(0, {"b": 0.5, "a": "x;y", "c": np.array([1, 2])})
    cb.on_epoch_end(1, {"b": 0.25, "a": "z"})
    cb.on_train_end({})
    _, rows = read_csv(path, sep=";")
    assert rows == [["epoch", "a", "b", "c"], ["0", "x;y", "0.5", '"[1, 2]"'],
                    ["1", "z", "0.25", "NA"]]


def test_csv_logger_rows_survive_a_crash(tmp_path):
    x, y = regression_data()
    path = tmp_path / "log.csv"
    during = []

    def epoch_end(epoch, logs):
        during.append(read_csv(path)[1])
        if epoch == 1:
            raise RuntimeError("crash")

    model = tiny_model()
    with pytest.raises(RuntimeError, match="crash"):
        model.fit(x, y, epochs=5, batch_size=4, verbose=0,
                  callbacks=[CSVLogger(path), LambdaCallback(on_epoch_end=epoch_end)])
    assert [len(r) for r in during] == [2, 3]
    _, rows = read_csv(path)
    assert [r[0] for r in rows] == ["epoch", "0", "1"]


# --- LambdaCallback --------------------------------------------------------------------------

def test_lambda_callback_hooks_in_fit():
    x, y = regression_data()
    model = tiny_model()
    events = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", dict(logs))),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_train_batch_begin=lambda batch, logs: events.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch, logs["loss"])),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, logs["loss"])),
        on_train_end=lambda logs: events.append(("train_end", logs["loss"])),
        on_test_end=lambda logs: events.append(("test_end", logs["loss"])),
    )
    h = model.fit(x, y, epochs=2, batch_size=4, validation_data=(x, y), verbose=0, callbacks=[cb])
    names = [e[0] for e in events]
    assert names == ["train_begin"] + ["epoch_begin", "batch_begin", "batch_end", "batch_begin",
                                       "batch_end", "test_end", "epoch_end"] * 2 + ["train_end"]
    assert events[0] == ("train_begin", {})
    ends = [e for e in events if e[0] == "epoch_end"]
    assert [e[2] for e in ends] == h.history["loss"]
    assert [e[1] for e in events if e[0] == "test_end"] == h.history["val_loss"]
    assert events[-1] == ("train_end", h.history["loss"][-1])
    # the last batch's running mean is the epoch's loss
    assert [e[2] for e in events if e[0] == "batch_end"][1::2] == h.history["loss"]


def test_lambda_callback_legacy_batch_hook_and_bad_names():
    x, y = regression_data()
    seen = []
    model = tiny_model()
    model.fit(x, y, epochs=1, batch_size=2, verbose=0,
              callbacks=[LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))])
    assert seen == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="did you mean 'on_epoch_end'"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="on_epoch_end must be a function"):
        LambdaCallback(on_epoch_end=3)


# --- the hooks fit calls ---------------------------------------------------------------------

_ALL_HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
              "on_predict_batch_begin", "on_predict_batch_end", "on_batch_begin", "on_batch_end"]


class Recorder(Callback):
    """Overrides every hook (including the legacy on_batch_*, which Keras then never calls)."""

    def __init__(self):
        super().__init__()
        self.calls = []


def _make_hook(name):
    indexed = "epoch" in name or "batch" in name

    def hook(self, *args, logs=None):
        if indexed:  # (epoch or batch, logs)
            index, logs = args[0], (args[1] if len(args) > 1 else logs)
            self.calls.append((name, index, logs))
        else:  # (logs)
            self.calls.append((name, args[0] if args else logs))
    return hook


for _name in _ALL_HOOKS:
    setattr(Recorder, _name, _make_hook(_name))


def test_fit_calls_hooks_in_keras_order_with_keras_arguments():
    x, y = regression_data()
    rec = Recorder()
    batch_logs = []

    class ReadBatchLogs(Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_logs.append((logs["loss"], logs.get("loss"), dict(logs), "mae" in logs,
                               logs.get("nope", -1.0)))

    model = tiny_model(metrics=["mae"])
    h = model.fit(x, y, epochs=2, batch_size=4, validation_data=(x[:6], y[:6]),
                  validation_batch_size=3, verbose=0, callbacks=[rec, ReadBatchLogs()])
    # on_test_batch_begin is checked separately (test_test_and_predict_batch_begin_hooks)
    calls = [c for c in rec.calls if c[0] != "on_test_batch_begin"]
    names = [c[0] for c in calls]
    epoch = ["on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
             "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_batch_end",
             "on_test_batch_end", "on_test_end", "on_epoch_end"]
    assert names == ["on_train_begin"] + epoch * 2 + ["on_train_end"]
    assert calls[0] == ("on_train_begin", {})
    assert calls[1] == ("on_epoch_begin", 0, {}) and calls[11] == ("on_epoch_begin", 1, {})
    assert [c[1] for c in calls if c[0] == "on_train_batch_begin"] == [0, 1, 0, 1]
    assert all(c[2] == {} for c in calls if c[0].endswith("batch_begin"))
    assert [c[1] for c in calls if c[0] == "on_test_batch_end"] == [0, 1, 0, 1]
    assert calls[6] == ("on_test_begin", {})
    epoch_ends = [c for c in calls if c[0] == "on_epoch_end"]
    assert [c[1] for c in epoch_ends] == [0, 1]
    for i, (_, _, logs) in enumerate(epoch_ends):
        assert list(logs) == ["loss", "mae", "val_loss", "val_mae"]
        assert all(type(v) is float for v in logs.values())
        assert logs == {k: v[i] for k, v in h.history.items()}
    test_ends = [c[1] for c in calls if c[0] == "on_test_end"]
    assert [t["loss"] for t in test_ends] == h.history["val_loss"]
    assert calls[-1] == ("on_train_end", epoch_ends[-1][2])
    # batch logs read like a dict of floats; the last batch's running means are the epoch's
    assert len(batch_logs) == 4
    for loss, got, as_dict, has_mae, default in batch_logs:
        assert loss == got == as_dict["loss"] and has_mae and default == -1.0
        assert sorted(as_dict) == ["loss", "mae"] and type(loss) is float
    assert [b[2] for b in batch_logs[1::2]] == [{"loss": h.history["loss"][i],
                                                 "mae": h.history["mae"][i]} for i in range(2)]


def test_evaluate_and_predict_hooks():
    x, y = regression_data()
    model = tiny_model()
    rec = Recorder()
    loss = model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[rec])
    names = [c[0] for c in rec.calls if not c[0].endswith("batch_begin")]
    assert names == ["on_test_begin", "on_test_batch_end", "on_test_batch_end", "on_test_end"]
    assert rec.calls[-1] == ("on_test_end", {"loss": loss})
    rec.calls.clear()
    out = model.predict(x, batch_size=4, verbose=0, callbacks=[rec])
    calls = [c for c in rec.calls if not c[0].endswith("batch_begin")]
    assert [c[0] for c in calls] == ["on_predict_begin", "on_predict_batch_end",
                                     "on_predict_batch_end", "on_predict_end"]
    outs = [c[2]["outputs"] for c in calls if c[0] == "on_predict_batch_end"]
    np.testing.assert_array_equal(np.concatenate([np.asarray(o.data if hasattr(o, "data") else o)
                                                  for o in outs]), out)


def test_test_and_predict_batch_begin_hooks():
    x, y = regression_data()
    model = tiny_model()
    rec = Recorder()
    model.fit(x, y, epochs=1, batch_size=4, validation_data=(x, y), verbose=0, callbacks=[rec])
    model.predict(x, batch_size=4, verbose=0, callbacks=[rec])
    names = [c[0] for c in rec.calls]
    assert names.count("on_test_batch_begin") == 2
    assert names.count("on_predict_batch_begin") == 2
    i = names.index("on_test_batch_begin")
    assert names[i + 1] == "on_test_batch_end" and rec.calls[i][1:] == (0, {})


def test_legacy_batch_hooks_alone_are_called():
    x, y = regression_data()
    seen = []

    class Legacy(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"] > 0))

    tiny_model().fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[Legacy()])
    assert seen == [("begin", 0), ("end", 0, True), ("begin", 1), ("end", 1, True)]


def test_progbar_shows_learning_rate_added_by_callbacks(capsys):
    x, y = regression_data()
    model = tiny_model(lr=0.125)
    cb = ReduceLROnPlateau(monitor="loss", patience=100)
    model.fit(x, y, epochs=1, batch_size=8, verbose=2, callbacks=[cb])
    out = capsys.readouterr().out
    assert "learning_rate: 0.1250" in out


def test_keras_names_exported():
    for name in ["EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger",
                 "LambdaCallback", "History", "ProgbarLogger", "Callback", "CallbackList"]:
        assert hasattr(keras.callbacks, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        es = EarlyStopping()
    assert (es.monitor, es.min_delta, es.patience, es.verbose, es.mode, es.baseline,
            es.restore_best_weights, es.start_from_epoch) == ("val_loss", 0, 0, 0, "auto", None,
                                                              False, 0)
    r = ReduceLROnPlateau()
    assert (r.monitor, r.factor, r.patience, r.verbose, r.mode, r.min_delta, r.cooldown,
            r.min_lr) == ("val_loss", 0.1, 10, 0, "auto", 1e-4, 0, 0.0)
