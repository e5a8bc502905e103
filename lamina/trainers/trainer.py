"""`Trainer`: compile / fit / evaluate / predict, mixed into `Model`.

Here: `compile`, the metrics and their logs, the per-batch steps (`train_step`: a GradientTape,
the loss, one optimizer update; `test_step`) and the checks before any step. The loops are
plain Python around the steps: `fit`/`evaluate` in lamina/trainers/loops.py, `predict` in
lamina/trainers/predict.py; the data adapter, the progress bar, the logs
(lamina/trainers/logs.py) and the callbacks are separate pieces.
"""
import numpy as np

from lamina import losses as losses_module, metrics as metrics_module, optimizers
from lamina.engine import tree
from lamina.engine.tape import GradientTape
from lamina.ops import math as _math
from lamina.trainers import input_checks
from lamina.trainers.compile_utils import CompileLoss, CompileMetrics
from lamina.trainers.data_adapter import unpack_x_y_sample_weight
from lamina.trainers.logs import LazyLogs, pythonify
from lamina.trainers.loops import TrainerLoopsAPI
from lamina.trainers.predict import TrainerPredictAPI


def _batch_size(x):
    first = next(a for a in tree.flatten(x) if a is not None)
    return first.shape[0]


class Trainer(TrainerLoopsAPI, TrainerPredictAPI):
    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._output_loss_trackers = []
        self.stop_training = False
        self.history = None
        self._in_fit = False
        self._fit_interrupted = False
        self.steps_per_execution = 1

    # --- compile -------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics (names, objects or callables).

        `steps_per_execution=N`: the batch callbacks run once per N batches (as Keras's), with
        the execution's first batch index in `on_*_batch_begin` and its last in `on_*_batch_end`.
        """
        if (not isinstance(steps_per_execution, (int, np.integer)) or isinstance(steps_per_execution, bool)
                or steps_per_execution < 1):
            raise ValueError(f"compile: steps_per_execution must be a positive integer, got {steps_per_execution!r}")
        self.optimizer = optimizers.get(optimizer)
        if (auto_scale_loss and self.optimizer is not None and self.dtype_policy.name == "mixed_float16"
                and not isinstance(self.optimizer, optimizers.LossScaleOptimizer)):
            # as Keras: float16 gradients need dynamic loss scaling
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        for spec in tree.flatten(loss) if loss is not None else []:
            if isinstance(spec, str) and spec.lower() not in ("crossentropy", "ce"):
                losses_module.get(spec)  # unknown names fail here, with a suggestion
        for spec in tree.flatten(metrics) + tree.flatten(weighted_metrics):
            if isinstance(spec, str) and spec.lower() not in ("accuracy", "acc"):
                metrics_module.get(spec)
        self.loss = loss
        names = getattr(self, "output_names", None)
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = (CompileMetrics(metrics, weighted_metrics, names)
                                 if metrics or weighted_metrics else None)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = []
        self.steps_per_execution = int(steps_per_execution)
        self.compiled = True
        self.stop_training = False

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"you must compile the model before {what}(): e.g. model.compile(optimizer='rmsprop', "
                "loss='mse', metrics=['mae'])"
            )

    # --- metrics ---------------------------------------------------------------------

    @property
    def metrics(self):
        out = [self._loss_tracker] if self.compiled else []
        out += self._output_loss_trackers
        if self._compile_metrics is not None and self._compile_metrics.built:
            out += self._compile_metrics.metrics
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def _metric_logs(self):
        logs = {}
        if self.compiled:
            logs[self._loss_tracker.name] = self._loss_tracker.result()
            for m in self._output_loss_trackers:
                logs[m.name] = m.result()
            if self._compile_metrics is not None and self._compile_metrics.built:
                logs.update(self._compile_metrics.results())
        known = {id(m) for m in self._own_metrics()}
        for m in self.metrics:  # metrics a subclass adds by overriding `metrics`
            if id(m) not in known and m.name not in logs:
                r = m.result()
                logs.update(r) if isinstance(r, dict) else logs.__setitem__(m.name, r)
        return pythonify(logs)

    def _own_metrics(self):
        """The loss trackers and compiled metrics (named with output prefixes in the logs)."""
        own = [self._loss_tracker] + list(self._output_loss_trackers) if self.compiled else []
        if self._compile_metrics is not None and self._compile_metrics.built:
            own += self._compile_metrics.metrics
        return own

    def get_metrics_result(self):
        return LazyLogs(self._metric_logs)

    # --- steps -----------------------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Compiled loss + regularization penalties (`model.losses`), a scalar Tensor."""
        total = None
        if self._compile_loss is not None:
            total, parts = self._compile_loss(y, y_pred, sample_weight)
            if len(parts) > 1:
                self._track_output_losses(parts, x)
        extra = self.losses
        if extra:
            penalty = extra[0]
            for p in extra[1:]:
                penalty = _math.add(penalty, p)
            total = penalty if total is None else _math.add(total, penalty)
        if total is None:
            raise ValueError("no loss to minimize: pass loss= to compile(), or override train_step")
        return total

    def _track_output_losses(self, parts, x):
        if not self._output_loss_trackers:
            self._output_loss_trackers = [
                metrics_module.Mean(name=f"{name}_loss") for name in self._compile_loss.output_names]
        n = _batch_size(x)
        for tracker, part in zip(self._output_loss_trackers, parts):
            if part is not None:
                tracker.update_state(float(part.data), sample_weight=n)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self._compile_metrics is not None:
            flat_true = self._compile_loss._flatten_true(y) if self._compile_loss else tree.flatten(y)
            self._compile_metrics.update_state(flat_true, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """One optimizer step on a batch; returns the running metrics of the epoch."""
        return self._train_step_on(data, self.trainable_weights)

    def _train_step_on(self, data, variables):
        """`train_step` with the trainable variables given (fit collects them once)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            scaled = self.optimizer.scale_loss(loss)  # the loss itself unless loss scaling is on
        if scaled is loss:
            grads = tape.gradient_arrays(loss, variables)
        else:  # a scaled float16 backward may overflow: the LossScaleOptimizer skips that step
            with np.errstate(over="ignore", invalid="ignore"):
                grads = tape.gradient_arrays(scaled, variables)
        self.optimizer.apply(grads, variables)
        self._loss_tracker.update_state(float(loss.data), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _step_function(self):
        """What fit calls per batch: `train_step`, or, unless a subclass overrides it, the
        same step with the trainable variables collected once for the whole fit."""
        if type(self).train_step is not Trainer.train_step:
            return self.train_step
        variables = self.trainable_weights
        return lambda batch: self._train_step_on(batch, variables)

    def test_step(self, data):
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(float(loss.data), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    # --- checks before any step --------------------------------------------------------

    def _prepare(self, data, mode, what=None):
        """Check the data, build the model from it, warn about loss/activation mismatches."""
        x, y = data.checked_sample()
        if mode != "predict" and self._compile_loss is not None and not self._custom_step(mode):
            input_checks.check_targets_given(data, self.loss, what or mode)
        for i, a in enumerate(tree.flatten(x)):
            input_checks.check_value_kinds(a, "x" if i == 0 else f"x[{i}]", self)
        if not self.built:
            self._build_from_data(x)
        input_checks.check_features(self, x)
        if self.autocast:  # once here, not once per batch
            data.cast_inputs(self.dtype)
        if mode != "predict" and self._compile_loss is not None and y is not None:
            outputs = getattr(self, "outputs", None)
            n_out = outputs[0].shape[-1] if outputs and len(outputs) == 1 else None
            if not isinstance(self.loss, (list, tuple, dict)):
                input_checks.check_targets(self.loss, y, n_out)
                input_checks.warn_activation_loss(self, self.loss, n_out)

    def _custom_step(self, mode):
        """True when a subclass computes its own loss (it may need no targets)."""
        step = "train_step" if mode == "fit" else "test_step"
        return (getattr(type(self), step) is not getattr(Trainer, step)
                or type(self).compute_loss is not Trainer.compute_loss)

    def _build_from_data(self, x):
        """Build an unbuilt model from sample inputs `x` (a subclassed model: by running it on
        one sample; Sequential overrides this to build from the shapes alone)."""
        self(tree.map_structure(lambda a: a[:1], x), training=False)
