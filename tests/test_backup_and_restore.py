"""BackupAndRestore: one atomic backup per epoch (weights, optimizer, epoch, random state),
so a crash at any point resumes exactly: no epoch trained twice, none lost silently, the
same weights bit for bit as an uninterrupted run (docs/saving.md, "Resume is exact")."""
import json
import os
import signal
import warnings
import zipfile

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers
from lamina.saving import CorruptFileError
from tests.helpers import training_script

EPOCHS = 5


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = np.tanh(x @ rng.normal(size=(6, 1))).astype("float32")
    return x, y


def _build():
    lamina.utils.set_random_seed(7)
    model = lamina.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"),
                               layers.Dropout(0.3), layers.GaussianNoise(0.1), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _fit(model, cbs):
    x, y = _data()
    return model.fit(x, y, epochs=EPOCHS, batch_size=8, verbose=0, callbacks=cbs)  # shuffled


@pytest.fixture(scope="module")
def straight():
    model = _build()
    history = _fit(model, [])
    return model.get_weights(), history.history["loss"]


def _assert_same_run(straight, model, history):
    weights, losses = straight
    assert history.history["loss"] == losses[history.epoch[0]:]
    for a, b in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


class Killed(BaseException):
    """Stands for the process dying: nothing catches it."""


class CrashAtEpochBegin(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Killed


def test_a_crash_resumes_at_the_next_epoch_with_the_same_weights_bitwise(tmp_path, straight):
    """Dropout, noise and shuffling continue where they stopped (before: max |dw| 0.0056)."""
    backup = tmp_path / "backup"
    with pytest.raises(Killed):
        _fit(_build(), [callbacks.BackupAndRestore(backup), CrashAtEpochBegin(3)])
    assert sorted(os.listdir(backup)) == ["latest.backup.zip"]
    with zipfile.ZipFile(backup / "latest.backup.zip") as zf:
        assert json.loads(zf.read("backup.json"))["epoch"] == 2
    resumed = _build()  # reseeded: the backup, not the seed, decides what comes next
    history = _fit(resumed, [callbacks.BackupAndRestore(backup)])
    assert history.epoch == [3, 4]
    _assert_same_run(straight, resumed, history)
    assert os.listdir(backup) == []  # deleted after completion


class KillDuringBackup(callbacks.Callback):
    """At the end of epoch 2 (before BackupAndRestore runs), make the n-th call of
    os.<name> die before or after doing its work."""

    def __init__(self, monkeypatch, name, nth, when):
        super().__init__()
        self.monkeypatch, self.name, self.nth, self.when = monkeypatch, name, nth, when

    def on_epoch_end(self, epoch, logs=None):
        if epoch != 2:
            return
        real, calls = getattr(os, self.name), []

        def dying(*args, **kwargs):
            calls.append(args)
            if len(calls) == self.nth and self.when == "before":
                raise Killed
            out = real(*args, **kwargs)
            if len(calls) == self.nth:
                raise Killed
            return out

        self.monkeypatch.setattr(os, self.name, dying)


# (double_checkpoint, os function, n-th call, before/after, first epoch of the resumed fit)
KILLS = [
    (False, "fsync", 1, "before", 2),  # writing the temporary file
    (False, "replace", 1, "before", 2),  # just before the rename
    (False, "replace", 1, "after", 3),  # just after: the backup of epoch 2 is complete
    (False, "fsync", 2, "before", 3),  # syncing the folder after the rename
    (True, "replace", 1, "before", 2),  # before moving latest to previous
    (True, "replace", 1, "after", 2),  # between the two renames: only previous exists
    (True, "fsync", 1, "before", 2),
    (True, "replace", 2, "before", 2),
    (True, "replace", 2, "after", 3),
]


@pytest.mark.parametrize("double, name, nth, when, start", KILLS)
def test_a_kill_at_any_step_of_a_backup_neither_repeats_nor_loses_an_epoch(
        tmp_path, monkeypatch, straight, double, name, nth, when, start):
    backup = tmp_path / "backup"
    with pytest.raises(Killed):
        _fit(_build(), [KillDuringBackup(monkeypatch, name, nth, when),
                        callbacks.BackupAndRestore(backup, double_checkpoint=double)])
    monkeypatch.undo()
    assert not [n for n in os.listdir(backup) if n.startswith(".tmp-")]
    latest_missing = not (backup / "latest.backup.zip").exists()
    resumed = _build()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = _fit(resumed, [callbacks.BackupAndRestore(backup, double_checkpoint=double)])
    said = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert any("is missing" in m and "previous.backup.zip" in m for m in said) == latest_missing
    assert history.epoch == list(range(start, EPOCHS))
    _assert_same_run(straight, resumed, history)


def _crashed_backup(tmp_path, double):
    backup = tmp_path / "backup"
    with pytest.raises(Killed):
        _fit(_build(), [callbacks.BackupAndRestore(backup, double_checkpoint=double),
                        CrashAtEpochBegin(3)])
    return backup


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 truncated", "bad json", "no epoch"])
def test_a_damaged_latest_backup_falls_back_to_the_previous_one(tmp_path, straight, damage):
    backup = _crashed_backup(tmp_path, double=True)
    _damage(backup / "latest.backup.zip", damage)
    resumed = _build()
    with pytest.warns(RuntimeWarning, match=r"latest\.backup\.zip.*older backup.*previous\.backup\.zip"):
        history = _fit(resumed, [callbacks.BackupAndRestore(backup, double_checkpoint=True)])
    assert history.epoch == [2, 3, 4]
    _assert_same_run(straight, resumed, history)


@pytest.mark.parametrize("damage, words", [
    (b"", "the backup is empty"), ("bad json", "backup.json is not valid JSON"),
    ("no epoch", "an epoch >= 0")])
def test_a_damaged_backup_without_a_previous_one_is_an_error_naming_the_file(tmp_path, damage, words):
    backup = _crashed_backup(tmp_path, double=False)
    latest = backup / "latest.backup.zip"
    _damage(latest, damage)
    model = _build()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(CorruptFileError, match="cannot resume") as info:
        _fit(model, [callbacks.BackupAndRestore(backup)])
    assert str(latest) in str(info.value) and words in str(info.value)
    assert "JSONDecodeError" not in str(info.value)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # nothing trained
    assert latest.exists()  # kept for inspection


def _damage(path, how):
    if isinstance(how, bytes):
        path.write_bytes(how)
        return
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["backup.json"] = b"{" if how == "bad json" else b'{"format": 1}'
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def test_a_backup_folder_in_the_old_two_file_layout_is_not_silently_ignored(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    (backup / "training_metadata.json").write_text("")
    with pytest.raises(CorruptFileError, match="training_metadata.json.*delete the folder"):
        _fit(_build(), [callbacks.BackupAndRestore(backup)])


_BODY = """
    class Kill(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:  # the temporary file of this backup is written, then: power cut
                real, calls = os.replace, []
                def replace(src, dst):
                    calls.append(src)
                    if len(calls) == 2:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return real(src, dst)
                os.replace = replace

    model = build(7 if mode != "resume" else 123)
    cbs = [] if mode == "straight" else [callbacks.BackupAndRestore(target, double_checkpoint=True)]
    if mode == "first":
        cbs.insert(0, Kill())
    report(model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=cbs), model)
"""


def test_a_real_kill_between_the_renames_resumes_exactly_in_a_new_process(tmp_path):
    backup = tmp_path / "backup"
    killed = training_script.run(tmp_path, _BODY, "first", backup)
    assert killed.returncode == -signal.SIGKILL
    names = sorted(os.listdir(backup))
    assert names[0].startswith(".tmp-") and names[1:] == ["previous.backup.zip"]
    straight, resumed = (training_script.report(training_script.run(tmp_path, _BODY, mode, backup))
                         for mode in ("straight", "resume"))
    assert resumed["epoch"] == [2, 3, 4]
    training_script.assert_same_run(straight, resumed)
    assert os.listdir(backup) == []  # the leftover went with the next backup; all deleted at the end
