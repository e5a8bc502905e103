"""Keras 2 names on Model that Keras 3 keeps with a deprecation warning (the book's train_step
code uses them): `compiled_loss(y, y_pred)` and `compiled_metrics.update_state(y, y_pred)`."""
import warnings

from lamina.engine import tree


class CompiledMetricsView:
    """`model.compiled_metrics`: update the compiled metrics from (y_true, y_pred) as given."""

    def __init__(self, model):
        self._model = model

    def update_state(self, y_true, y_pred, sample_weight=None):
        self._model.compute_metrics(None, y_true, y_pred, sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    @property
    def metrics(self):
        compiled = self._model._compile_metrics
        return compiled.metrics if compiled is not None and compiled.built else []

    def result(self):
        return {m.name: m.result() for m in self.metrics}


class LegacyTrainerAPI:
    """Mixed into Model: the deprecated Keras 2 attributes Keras 3 still answers."""

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """Deprecated: the compiled loss (+ regularization) of (y, y_pred); also updates the
        `loss` metric (Keras 3 leaves it at 0 when a custom train_step calls this)."""
        warnings.warn("`model.compiled_loss()` is deprecated. Instead, use "
                      "`model.compute_loss(x, y, y_pred, sample_weight, training)`.", stacklevel=2)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        self._loss_tracker.update_state(float(loss.data), sample_weight=len(tree.flatten(y)[0]))
        return loss

    @property
    def compiled_metrics(self):
        """Deprecated: the compiled metrics; prefer `for m in self.metrics: m.update_state(...)`."""
        warnings.warn("`model.compiled_metrics()` is deprecated. Instead, use e.g.: "
                      "`for metric in self.metrics: metric.update_state(y, y_pred)`", stacklevel=2)
        return CompiledMetricsView(self)
