"""`ModelCheckpoint`: save the model (or its weights) during training, atomically.

Each save goes to a temporary file that is renamed over the destination, so a crash or a
Ctrl-C during a save leaves the previous checkpoint intact, never a half-written file. A
model whose loss or weights are NaN or infinite is never saved: a diverged run keeps its
last good checkpoint.
"""
import math
import operator
import os
import warnings

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.callbacks.early_stopping import monitor_direction


class ModelCheckpoint(Callback):
    """Save the model every epoch (or every `save_freq` batches).

    filepath: may hold `str.format` fields filled from the epoch (counting from 1) and the
        logs, e.g. "ckpt/{epoch:02d}-{val_loss:.2f}.keras". Ends in ".keras" (whole model,
        with optimizer state: training can resume) or, with `save_weights_only=True`, in
        ".weights.h5" / ".weights.npz". Missing folders are created.
    monitor / mode / initial_value_threshold: with `save_best_only=True`, a file is written
        only when `monitor` improves ("min" for losses, "max" for accuracies; "auto" picks).
    save_freq: "epoch", or an integer number of batches between saves.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"ModelCheckpoint mode {mode!r} is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.mode = mode
        self.monitor_op = None
        self.best = initial_value_threshold
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a positive integer "
                "(a number of batches)")
        exts = (".weights.h5", ".weights.npz") if save_weights_only else (".keras", ".h5")
        if not self.filepath.endswith(exts):
            what = ("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "must end in `.weights.h5` or `.weights.npz`") if save_weights_only else (
                    "The filepath provided must end in `.keras` or `.h5` (the whole model; pass "
                    "save_weights_only=True for `.weights.h5` / `.weights.npz`)")
            raise ValueError(f"{what}. Received: filepath={self.filepath}")

    # --- hooks ---------------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            add = batch + 1  # a new epoch started (batches count from 0)
        else:
            add = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    # --- saving --------------------------------------------------------------------------

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            self.monitor_op = monitor_direction(self.model, self.monitor)
        if self.monitor_op is None:
            raise ValueError(
                f"ModelCheckpoint callback received monitor={self.monitor}, but lamina cannot "
                "tell whether it should be maximized or minimized: pass mode='max' or mode='min'")

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn("Can save best model only when `monitor` is a scalar value. Received: "
                          f"{current}. Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = float(current)
        best = "None" if self.best is None else f"{self.best:.5f}"
        if not math.isnan(current) and (self.best is None or self.monitor_op(current, self.best)):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = dict(logs or {})
        filepath = self._get_file_path(epoch, batch, logs)
        loss = logs.get("loss")
        if loss is not None and np.ndim(loss) == 0 and not math.isfinite(float(loss)):
            warnings.warn(
                f"ModelCheckpoint: not saving {filepath}: the loss is {float(loss)} (training "
                "diverged), so the previous checkpoint is kept", RuntimeWarning, stacklevel=3)
            return
        bad = _nonfinite_weights(self.model)
        if bad:  # the logged loss predates the step's update, which may have diverged
            warnings.warn(
                f"ModelCheckpoint: not saving {filepath}: the weights {bad[:3]} hold NaN or "
                "infinite values (training diverged: learning rate too high? inputs not "
                "normalized?), so the previous checkpoint is kept", RuntimeWarning, stacklevel=3)
            return
        if not self._should_save(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                f"Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}")
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e} is not '
                f"in the logs, whose keys are {sorted(logs)}") from None


def _nonfinite_weights(model):
    """Paths of the model's variables holding NaN or infinity (empty when all are finite)."""
    return [v.path for v in model.weights
            if np.asarray(v.data).dtype.kind == "f" and not np.isfinite(v.data).all()]
