"""`SwapEMAWeights`: evaluate (and optionally checkpoint) with the optimizer's exponential
moving average of the weights, then continue training from the raw weights, as Keras 3."""

from lamina.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Needs an optimizer with use_ema=True. Before each evaluation/prediction the model's
    trainable weights and their averages are swapped, and swapped back after. With
    `swap_on_epoch=True` they are also swapped at the end of each epoch (so callbacks listed
    after this one, e.g. ModelCheckpoint, see the averages) and back at the next epoch."""

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._in_model = False

    def _swap(self):
        self.model.optimizer.swap_ema_weights(self.model.trainable_variables)
        self._in_model = not self._in_model

    def on_train_begin(self, logs=None):
        if not getattr(self.model.optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights needs an optimizer created with use_ema=True, got "
                f"{type(self.model.optimizer).__name__} with use_ema=False"
            )

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._in_model:
            self._swap()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._in_model:
            self._swap()

    def on_test_begin(self, logs=None):
        if not self._in_model and self._built():
            self._swap()

    def on_test_end(self, logs=None):
        if self._in_model and not self.swap_on_epoch:
            self._swap()

    def on_predict_begin(self, logs=None):
        self.on_test_begin(logs)

    def on_predict_end(self, logs=None):
        self.on_test_end(logs)

    def on_train_end(self, logs=None):
        if self._in_model:  # leave the raw weights in the model, as at the start
            self._swap()

    def _built(self):  # no averages before the first training step
        return getattr(self.model.optimizer, "built", False)
