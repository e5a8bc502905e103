"""`TerminateOnNaN`: stop training as soon as the loss becomes NaN or infinite."""
import math
import warnings

from lamina.callbacks.callback import Callback

NAN_HINT = (
    "The loss became {value} at epoch {epoch}, batch {batch}: training diverged. Likely "
    "causes: (1) the learning rate is too high, try 10x smaller (e.g. "
    "optimizers.Adam(learning_rate=1e-4)); (2) the inputs are not normalized, e.g. pixels "
    "in 0..255 or features of very different scales: standardize them (x - mean) / std "
    "with statistics of the training data, or start the model with layers.Normalization() "
    "(adapted on the training data) or layers.Rescaling(1/255); (3) NaN or inf values in "
    "the data itself (check np.isfinite(x).all()); (4) a log or division of zero in a "
    "custom loss."
)


class TerminateOnNaN(Callback):
    """Stops training when the loss is NaN or inf, explaining the likely causes.

    raise_error=False: set `model.stop_training` (the epoch ends, `on_train_end` of every
    callback runs, a ModelCheckpoint keeps the last good file). raise_error=True: raise
    RuntimeError at once, skipping the other callbacks' clean-up (as Keras).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0
        self.stopped_batch = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if math.isfinite(loss):
            return
        message = NAN_HINT.format(value=loss, epoch=self._epoch + 1, batch=batch)
        if self.raise_error:
            raise RuntimeError(message)
        print(f"Batch {batch}: Invalid loss, terminating training")
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        self.stopped_batch = (self._epoch, batch)
        self.model.stop_training = True
