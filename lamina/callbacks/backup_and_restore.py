"""`BackupAndRestore`: resume an interrupted `fit` from its last completed epoch."""
import json
import os

from lamina.callbacks.callback import Callback


class BackupAndRestore(Callback):
    """Back up the weights and optimizer state at the end of each epoch into `backup_dir`;
    when `fit` starts again with a backup present, restore it and continue with the next
    epoch. The backup is deleted when training completes (not after a crash or Ctrl-C).

    Pass the same callback arguments and `epochs` to the restarted `fit`.
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
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.npz")
        self._meta_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights = os.path.join(self.backup_dir, "previous.weights.npz")

    def on_train_begin(self, logs=None):
        if not os.path.exists(self._meta_path) or not os.path.exists(self._weights_path):
            return
        with open(self._meta_path) as f:
            meta = json.load(f)
        try:
            self.model.load_weights(self._weights_path)
        except ValueError:
            if not (self.double_checkpoint and os.path.exists(self._prev_weights)):
                raise
            self.model.load_weights(self._prev_weights)
            meta["epoch"] -= 1
        self.model._initial_epoch = int(meta["epoch"]) + 1

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            os.replace(self._weights_path, self._prev_weights)
        self.model.save_weights(self._weights_path)  # written atomically
        tmp = self._meta_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"epoch": epoch}, f)
        os.replace(tmp, self._meta_path)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or getattr(self.model, "_fit_interrupted", False):
            return
        for path in (self._weights_path, self._meta_path, self._prev_weights):
            if os.path.exists(path):
                os.remove(path)
