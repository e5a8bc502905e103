"""`LearningRateScheduler`: set the optimizer's learning rate at the start of every epoch."""
import inspect

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.engine.tensor import Tensor


def current_learning_rate(optimizer):
    """The optimizer's learning rate now, as a Python float."""
    lr = optimizer.learning_rate
    return float(np.asarray(lr.data if isinstance(lr, Tensor) else lr))


def _as_float(value):
    """A float from the schedule's output: floats, NumPy float scalars, 0-d float tensors."""
    if isinstance(value, (float, np.floating)):
        return value
    if isinstance(value, (Tensor, np.ndarray)):
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        if arr.ndim == 0 and arr.dtype.kind == "f":
            return float(arr)
    raise ValueError(f"The output of the `schedule` function should be a float. Got: {value}")


class LearningRateScheduler(Callback):
    """Calls `schedule(epoch, lr)` (or `schedule(epoch)`) at each epoch begin and assigns
    the result (a float) to `model.optimizer.learning_rate`; `epoch` counts from 0 and `lr`
    is the current rate. The rate is added to the epoch logs as `learning_rate`.
    verbose=1 prints each update.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: `schedule` must be a function schedule(epoch, lr) -> "
                f"float (or schedule(epoch)), got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def _call_schedule(self, epoch, lr):
        try:
            sig = inspect.signature(self.schedule)
        except (TypeError, ValueError):  # builtins without a signature: Keras's try/except
            sig = None
        if sig is None:
            try:
                return self.schedule(epoch, lr)
            except TypeError:
                return self.schedule(epoch)
        try:
            sig.bind(epoch, lr)
        except TypeError:
            return self.schedule(epoch)  # the Keras 2 form: schedule(epoch)
        return self.schedule(epoch, lr)

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = _as_float(self._call_schedule(epoch, current_learning_rate(optimizer)))
        optimizer.learning_rate = lr
        return lr

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):  # a wrapper holding several optimizers
            for idx, opt in enumerate(optimizer.optimizers):
                lr = self._update_optimizer_lr(opt, epoch)
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {opt.name}_{idx} "
                          f"learning rate to {lr}.", flush=True)
            return
        lr = self._update_optimizer_lr(optimizer, epoch)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.",
                  flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for idx, opt in enumerate(optimizer.optimizers):
                logs[f"learning_rate_{opt.name}_{idx}"] = current_learning_rate(opt)
        else:
            logs["learning_rate"] = current_learning_rate(optimizer)
