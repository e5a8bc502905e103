"""`ProgbarLogger`: prints `Epoch i/n` and a progress bar with the running metrics."""
from lamina.callbacks.callback import Callback
from lamina.utils import io_utils
from lamina.utils.progbar import Progbar


class ProgbarLogger(Callback):
    def __init__(self):
        super().__init__()
        self.progbar = None
        self._mode = "train"

    def on_train_begin(self, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self.epochs = self.params.get("epochs", 1)

    def _new_bar(self, target):
        self.progbar = Progbar(target=target, verbose=self.verbose, unit_name="step")

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:  # as Keras: no header for a single epoch
            io_utils.print_msg(f"Epoch {epoch + 1}/{self.epochs}")
        self._new_bar(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        bar = self.progbar
        if bar is not None and bar.verbose == 1 and bar.dynamic:
            bar.update(batch + 1, logs)
        elif bar is not None:
            bar._seen = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        if self.progbar is not None:
            self.progbar.update(self.progbar._seen, dict(logs or {}), finalize=True)

    def on_test_begin(self, logs=None):
        if self.model is not None and getattr(self.model, "_in_fit", False):
            return
        self.verbose = self.params.get("verbose", 1)
        self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if self.progbar is not None and not getattr(self.model, "_in_fit", False):
            self.progbar.update(batch + 1, logs)

    def on_test_end(self, logs=None):
        if self.progbar is not None and not getattr(self.model, "_in_fit", False):
            self.progbar.update(self.progbar._seen, dict(logs or {}), finalize=True)

    def on_predict_begin(self, logs=None):
        self.verbose = self.params.get("verbose", 1)
        self._new_bar(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        if self.progbar is not None:
            self.progbar.update(batch + 1)

    def on_predict_end(self, logs=None):
        if self.progbar is not None:
            self.progbar.update(self.progbar._seen, finalize=True)
