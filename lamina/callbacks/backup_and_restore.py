"""`BackupAndRestore`: resume an interrupted `fit` from its last completed epoch, exactly.

Each backup is one file, `<backup_dir>/latest.backup.zip`, written atomically (temporary
file, fsync, rename): a zip of `backup.json` (the epoch and the random state: each layer's
generator and the global stream that shuffles) and `model.weights.npz` (the weights and
the optimizer state, in the layout of `.keras` files). Weights, epoch and random state
therefore change together or not at all, whenever the process dies.

With `double_checkpoint=True` the backup it replaces is kept as `previous.backup.zip`; a
latest backup that is missing (killed between the two renames) or damaged falls back to
it, with a warning. A damaged backup with nothing to fall back to is an error naming the
file. Training never silently starts over while a backup is present.
"""
import io
import json
import os
import warnings
import zipfile

from lamina.callbacks.callback import Callback
from lamina.saving import files, random_state, state, weights_store
from lamina.codec.errors import CorruptFileError, SavingError

FORMAT = 1
_META, _WEIGHTS = "backup.json", "model.weights.npz"
_LEGACY = ("latest.weights.npz", "training_metadata.json", "previous.weights.npz")


class BackupAndRestore(Callback):
    """Back up the weights, optimizer state and random state at the end of each epoch into
    `backup_dir`; when `fit` starts again with a backup present, restore it and continue
    with the next epoch, as if never interrupted (same weights, bit for bit). The backup is
    deleted when training completes (not after a crash or Ctrl-C).

    Pass the same callback arguments, data and `epochs` to the restarted `fit`.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be a folder path")
        if save_freq != "epoch":
            raise NotImplementedError("BackupAndRestore: only save_freq='epoch' is supported")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._latest = os.path.join(self.backup_dir, "latest.backup.zip")
        self._previous = os.path.join(self.backup_dir, "previous.backup.zip")

    # --- restoring -------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        candidates = [p for p in (self._latest, self._previous) if os.path.exists(p)]
        if not candidates:
            self._refuse_legacy()
            return
        failures = [] if os.path.exists(self._latest) else [
            f"{self._latest!r} is missing (the process stopped while replacing it)"]
        for path in candidates:
            try:
                epoch = self._restore(path)
            except SavingError as e:
                failures.append(str(e))
                continue
            if failures:
                warnings.warn(f"BackupAndRestore: {failures[0]}; resuming from the older backup "
                              f"{path!r} (epoch {epoch + 1}) instead", RuntimeWarning, stacklevel=2)
            self.model._initial_epoch = epoch + 1
            return
        raise CorruptFileError(
            "BackupAndRestore cannot resume: " + "; ".join(failures) + ". Delete the folder "
            f"{self.backup_dir!r} to start training from scratch")

    def _restore(self, path):
        """Load the backup at `path` into the model; its last completed epoch."""
        data = files.read_bytes(path)
        if data[:2] != b"PK":
            raise CorruptFileError(f"the backup is {'empty' if not data else 'not a zip file'}", path)
        archive = files.Archive(data, path)
        try:
            meta = archive.read_json(_META)
            epoch = meta.get("epoch")
            if meta.get("format") != FORMAT or not isinstance(epoch, int) or isinstance(epoch, bool) \
                    or epoch < 0:
                raise CorruptFileError(f"{_META} must hold format {FORMAT} and an epoch >= 0, got "
                                       f"{json.dumps(meta)[:200]}", path)
            reader = weights_store.NpzReader(archive.read(_WEIGHTS), path, files.size_limit())
            state.load_state(self.model, reader, path)
            random_state.restore(self.model, meta.get("random_state"), path)
        except SavingError:
            raise
        except Exception as e:  # noqa: BLE001  (anything a damaged file provokes)
            files.ensure_saving_error(e, path, "the backup cannot be restored")
        finally:
            archive.close()
        return epoch

    def _refuse_legacy(self):
        found = [n for n in _LEGACY if os.path.exists(os.path.join(self.backup_dir, n))]
        if found:
            raise CorruptFileError(
                f"the folder holds a backup in the layout of an older lamina ({', '.join(found)}), "
                "which could repeat an epoch; restore it by hand (model.load_weights(...) and "
                "fit(initial_epoch=...)) or delete the folder to start from scratch", self.backup_dir)

    # --- backing up ------------------------------------------------------------------------

    def on_epoch_end(self, epoch, logs=None):
        data = self._backup_bytes(epoch)  # everything in memory before any file changes
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._latest):
            os.replace(self._latest, self._previous)
        files.atomic_write(self._latest, data)

    def _backup_bytes(self, epoch):
        writer = weights_store.NpzWriter()
        state.save_state(self.model, writer)
        meta = {"format": FORMAT, "epoch": int(epoch), "random_state": random_state.collect(self.model)}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr(_META, json.dumps(meta, sort_keys=True))
            zf.writestr(_WEIGHTS, writer.getvalue())
        return buffer.getvalue()

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or getattr(self.model, "_fit_interrupted", False):
            return
        for path in (self._latest, self._previous):
            if os.path.exists(path):
                os.remove(path)
