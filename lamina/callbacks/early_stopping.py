"""`EarlyStopping`: stop `fit` when a monitored metric has stopped improving (Keras 3 rules)."""
import operator
import warnings

from lamina.callbacks.callback import Callback

# auto mode, when the model's metrics do not tell the direction (Keras 3 raises there;
# Keras 2 went by these name endings)
_MAXIMIZED_ENDINGS = ("acc", "accuracy", "auc")


class EarlyStopping(Callback):
    """Stop training when `monitor` (a key of the epoch logs) has stopped improving.

    An epoch improves when `current - min_delta` beats the best value so far (`min_delta`
    counts against the metric's direction). After `patience` epochs without improvement
    `model.stop_training` is set. With `baseline`, improving on the best value only resets
    the patience counter when it also beats `baseline`. `start_from_epoch` epochs of warm-up
    are ignored. With `restore_best_weights`, the weights of the best epoch are put back at
    the end of training, whether or not stopping triggered. Attributes: `stopped_epoch`,
    `best_epoch` (0-based), `best`, `wait`.

    mode: "min", "max" or "auto" (the direction comes from the name: `loss` minimizes, a
    compiled metric by its own direction, names ending in acc/accuracy/auc maximize).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode {mode} is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.mode = mode
        self.monitor_op = None
        self.best = None

    # --- direction -----------------------------------------------------------------------

    def _set_monitor_op(self):
        """Pick `<` or `>` (at the first epoch end, once the compiled metrics exist)."""
        if self.mode == "min":
            op = operator.lt
        elif self.mode == "max":
            op = operator.gt
        else:
            op = monitor_direction(self.model, self.monitor)
        if op is None:
            raise ValueError(
                f"EarlyStopping callback received monitor={self.monitor} but Keras isn't able "
                "to automatically determine whether that metric should be maximized or "
                "minimized. Pass `mode='max'` in order to do early stopping based on the "
                "highest metric value, or pass `mode='min'` in order to use the lowest value."
            )
        self.monitor_op = op
        if op is operator.lt:
            self.min_delta *= -1
        self._reset_best()

    def _reset_best(self):
        self.best = float("inf") if self.monitor_op is operator.lt else -float("inf")

    def _is_improvement(self, monitor_value, reference_value):
        return self.monitor_op(monitor_value - self.min_delta, reference_value)

    # --- hooks ---------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        # the instance may be reused for another fit: start over
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0
        if self.monitor_op is not None:
            self._reset_best()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # the first monitored epoch is the best so far, whatever the baseline says
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.", flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """`logs[monitor]`, or None with a warning listing the available keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value


def monitor_direction(model, monitor):
    """operator.lt / operator.gt for a metric name (with or without `val_`), or None."""
    name = monitor.removeprefix("val_")
    if name == "loss":
        return operator.lt
    for metric_name, direction in _metric_directions(model):
        if metric_name == name and direction in ("up", "down"):
            return operator.gt if direction == "up" else operator.lt
    if name.endswith(_MAXIMIZED_ENDINGS):
        return operator.gt
    if name.endswith("loss"):  # per-output losses ("output_a_loss")
        return operator.lt
    return None


def _metric_directions(model):
    """(log name, `_direction`) of the model's metrics; prefixed names for multi-output."""
    out = []
    compiled = getattr(model, "_compile_metrics", None)
    for ms, wms, prefix in getattr(compiled, "per_output", None) or []:
        out += [(prefix + m.name, getattr(m, "_direction", None)) for m in ms + wms]
    try:
        metrics = list(getattr(model, "metrics", None) or [])
    except (AttributeError, TypeError):
        metrics = []
    out += [(getattr(m, "name", None), getattr(m, "_direction", None)) for m in metrics]
    return out
