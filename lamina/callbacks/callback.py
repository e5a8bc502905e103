"""`Callback`: hooks called by fit/evaluate/predict, with Keras's names and arguments."""


class Callback:
    """Base class: override any `on_*` hook. `self.model` and `self.params` are set by fit."""

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        """Called once when `fit` starts."""

    def on_train_end(self, logs=None):
        """Called once when `fit` ends (also after an interrupt), with the last epoch's logs."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (`epoch` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with its metrics, `val_`-prefixed for validation."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch."""
        self.on_batch_begin(batch, logs=logs)  # as Keras: the legacy hook still works

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the running metrics of the epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        """Called when `evaluate` (or validation) starts."""

    def on_test_end(self, logs=None):
        """Called when `evaluate` (or validation) ends."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch."""

    def on_predict_begin(self, logs=None):
        """Called when `predict` starts."""

    def on_predict_end(self, logs=None):
        """Called when `predict` ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch."""

    # Keras 2 names, still called for training batches
    def on_batch_begin(self, batch, logs=None):
        """Legacy alias of on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """Legacy alias of on_train_batch_end."""
