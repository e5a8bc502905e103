"""ModelCheckpoint (templates, best-only, batch frequency, atomic writes, never a diverged
model), TerminateOnNaN, and BackupAndRestore's basic resume (more in test_resume.py and
test_backup_and_restore.py)."""
import os

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers
from lamina.saving import files

def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    return x, y


def _model(lr=0.01):
    model = lamina.Sequential([layers.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


def test_template_names_one_file_per_epoch_and_creates_folders(tmp_path):
    x, y = _data()
    template = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras")
    cb = callbacks.ModelCheckpoint(template)
    history = _model().fit(x, y, epochs=3, batch_size=8, validation_split=0.25, callbacks=[cb],
                           verbose=0).history
    expected = [f"{e + 1:02d}-{v:.2f}.keras" for e, v in enumerate(history["val_loss"])]
    assert sorted(os.listdir(tmp_path / "ckpt")) == sorted(expected)
    last = lamina.models.load_model(tmp_path / "ckpt" / expected[-1])
    assert int(last.optimizer.iterations.numpy()) == 3 * 4


def test_save_best_only_keeps_the_best_epoch(tmp_path, capsys):
    x, y = _data()
    path = tmp_path / "best.weights.h5"
    written = []

    class Spy(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            written.append(np.array(_model_weights(path)[0]) if path.exists() else None)

    cb = callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True, save_weights_only=True,
                                   verbose=1)
    model = _model(lr=0.05)
    history = model.fit(x, y, epochs=5, batch_size=8, callbacks=[cb, Spy()], verbose=0).history
    assert cb.best == min(history["loss"])
    assert "loss improved from None to" in capsys.readouterr().out
    best = int(np.argmin(history["loss"]))
    np.testing.assert_array_equal(_model_weights(path)[0], written[best])
    # a threshold nobody beats: nothing written
    cb2 = callbacks.ModelCheckpoint(tmp_path / "never.keras", monitor="loss", save_best_only=True,
                                    initial_value_threshold=-1.0)
    _model().fit(x, y, epochs=2, callbacks=[cb2], verbose=0)
    assert not (tmp_path / "never.keras").exists()


def _model_weights(path):
    clone = _model()
    clone.load_weights(path)
    return clone.get_weights()


def test_mode_auto_maximizes_accuracy(tmp_path):
    cb = callbacks.ModelCheckpoint(tmp_path / "m.keras", monitor="val_accuracy")
    cb.set_model(_model())
    cb._set_monitor_op()
    assert cb.monitor_op(0.9, 0.8)
    cb = callbacks.ModelCheckpoint(tmp_path / "m.keras", monitor="val_loss")
    cb.set_model(_model())
    cb._set_monitor_op()
    assert cb.monitor_op(0.1, 0.2)


def test_save_freq_in_batches(tmp_path):
    x, y = _data(n=40)
    saved = []

    class Record(callbacks.ModelCheckpoint):
        def _save_model(self, epoch, batch, logs):
            saved.append((epoch, batch))
            super()._save_model(epoch, batch, logs)

    cb = Record(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=3)
    _model().fit(x, y, epochs=2, batch_size=8, callbacks=[cb], verbose=0)  # 5 batches an epoch
    assert saved == [(0, 2), (1, 0), (1, 3)]
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.keras", "e2-b1.keras", "e2-b4.keras"]


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"\.keras` or `\.h5"):
        callbacks.ModelCheckpoint("m.pt")
    callbacks.ModelCheckpoint("m.h5")  # Keras 3 accepts the legacy HDF5 format
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        callbacks.ModelCheckpoint("m.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint("m.keras", save_freq="batch")


def test_unknown_template_field_says_which_keys_exist(tmp_path):
    cb = callbacks.ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.keras"))
    x, y = _data()
    with pytest.raises(KeyError, match="val_acc.*loss"):
        _model().fit(x, y, epochs=1, callbacks=[cb], verbose=0)


def test_crash_during_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    path = tmp_path / "m.keras"
    model.fit(x, y, epochs=1, verbose=0)
    model.save(path)
    good = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # e.g. a second Ctrl-C in the middle of the write

    monkeypatch.setattr(files.os, "replace", crash)
    model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["m.keras"]  # the temporary file was removed
    monkeypatch.undo()
    lamina.models.load_model(path)


def test_nan_loss_stops_training_explains_and_keeps_the_last_good_checkpoint(tmp_path):
    x, y = _data(n=64)
    model = _model(lr=0.01)
    path = tmp_path / "last.keras"
    checkpoint = callbacks.ModelCheckpoint(path)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[checkpoint])
    good = path.read_bytes()
    bad = x.copy()
    bad[40:] *= 1e30  # an unnormalized feature: the loss overflows
    nan_cb = callbacks.TerminateOnNaN()
    with pytest.warns(RuntimeWarning) as record, np.errstate(all="ignore"):
        history = model.fit(bad, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                            callbacks=[checkpoint, nan_cb]).history
    messages = " ".join(str(w.message) for w in record)
    assert "learning rate" in messages and "normalized" in messages
    assert "previous checkpoint is kept" in messages
    assert nan_cb.stopped_batch == (0, 2)
    assert len(history["loss"]) == 1 and not np.isfinite(history["loss"][0])
    assert path.read_bytes() == good  # the diverged model did not replace the good one

    with pytest.raises(RuntimeError, match="learning rate"), np.errstate(all="ignore"):
        _model().fit(bad, y, epochs=1, batch_size=16, shuffle=False, verbose=0,
                     callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


def test_backup_and_restore_resumes_after_a_crash(tmp_path):
    """A crash in epoch 3 of 5; the restarted fit continues at epoch 3 from the backup and
    ends with the same weights as an uninterrupted run (shuffle=False: same batches)."""
    import lamina as keras
    from lamina import layers

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x @ rng.standard_normal(4)).astype("float32")

    def build():
        keras.utils.set_random_seed(7)
        m = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu"), layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse")
        return m

    straight = build()
    straight.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0)

    class Crash(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                raise RuntimeError("power cut")

    backup = tmp_path / "backup"
    crashed = build()
    with pytest.raises(RuntimeError, match="power cut"):
        crashed.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                    callbacks=[keras.callbacks.BackupAndRestore(backup), Crash()])
    assert (backup / "latest.backup.zip").exists()
    resumed = build()
    h = resumed.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                    callbacks=[keras.callbacks.BackupAndRestore(backup)])
    assert h.epoch == [3, 4]
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not (backup / "latest.backup.zip").exists()  # deleted after completion


@pytest.mark.parametrize("save_weights_only", [False, True])
def test_weights_that_diverge_in_the_last_step_never_replace_a_good_checkpoint(tmp_path, save_weights_only):
    """The logged loss is computed before the step's update: it is finite while the updated
    weights are not, so the weights themselves are checked."""
    x, y = _data(n=16)
    model = _model()
    path = tmp_path / ("last.weights.npz" if save_weights_only else "last.keras")
    checkpoint = callbacks.ModelCheckpoint(path, save_weights_only=save_weights_only)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[checkpoint])
    good = path.read_bytes()
    with np.errstate(over="ignore"):
        model.compile(optimizer=lamina.optimizers.SGD(1e39), loss="mse")  # float32: inf
    with pytest.warns(RuntimeWarning, match=r"not saving .*the weights \['.*kernel.*NaN or infinite"), \
            np.errstate(all="ignore"):
        history = model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[checkpoint])
    assert np.isfinite(history.history["loss"][0])  # the loss did not tell
    assert not np.isfinite(model.get_weights()[0]).all()
    assert path.read_bytes() == good
