"""`History`: records each epoch's logs; returned by `fit`."""
from lamina.callbacks.callback import Callback


class History(Callback):
    """`history.history` maps each metric name ('loss', 'val_loss', ...) to per-epoch values."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self

    def plot(self, metrics=("loss", "accuracy"), path=None, **kwargs):
        """Plot training (dots) and validation (line) curves; see lamina.plot.plot_history."""
        from lamina.plot import plot_history  # noqa: PLC0415  (matplotlib is optional)

        return plot_history(self, metrics=metrics, path=path, **kwargs)
