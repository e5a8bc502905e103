"""`Trainer`: compile / fit / evaluate / predict, mixed into `Model`.

The loop is plain Python around `train_step` (a GradientTape, the loss, one optimizer
update); the data adapter, the progress bar and the callbacks are separate pieces.
"""
import warnings
from collections.abc import Mapping

import numpy as np

from lamina import losses as losses_module, metrics as metrics_module, optimizers
from lamina.callbacks.callback_list import CallbackList
from lamina.engine import threads, tree
from lamina.engine.sparse import shape_of
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor
from lamina.ops import math as _math
from lamina.trainers import input_checks
from lamina.trainers.compile_utils import CompileLoss, CompileMetrics
from lamina.trainers.data_adapter import make_data, split_validation, unpack_x_y_sample_weight
from lamina.trainers.interrupt import stop_on_sigint


class LazyLogs(Mapping):
    """Per-batch logs whose metric values are computed only if someone reads them."""

    __slots__ = ("_trainer", "_values")

    def __init__(self, trainer):
        self._trainer = trainer
        self._values = None

    def _get(self):
        if self._values is None:
            self._values = self._trainer._metric_logs()
        return self._values

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())

    def __repr__(self):
        return repr(self._get())


def pythonify(logs):
    """Sorted keys, float values (as Keras 3's logs)."""
    out = {}
    for k, v in sorted(dict(logs).items()):
        if isinstance(v, dict):
            out.update(pythonify(v))
            continue
        try:
            v = float(v.data if isinstance(v, Tensor) else v)
        except (TypeError, ValueError):
            pass
        out[k] = v
    return out


def _resolve_verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def _batch_size(x):
    first = next(a for a in tree.flatten(x) if a is not None)
    return first.shape[0]


class Trainer:
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
        return LazyLogs(self)

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

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _replay_plan(self):
        """Per-layer NumPy functions that `predict` may run instead of calling the model
        (same results, no Tensors or graph nodes), or None: models override this."""
        return None

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

    # --- fit -----------------------------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for `epochs` epochs of mini-batches; returns a `History`.

        `validation_split` holds out the *last* fraction of the samples, taken before
        shuffling (as Keras does): shuffle the data first if it is ordered. Ctrl-C stops
        training at the end of the current batch: the completed epochs stay in the
        History, callbacks' `on_train_end` runs, then KeyboardInterrupt is re-raised.
        """
        self._assert_compiled("fit")
        from lamina.config import training_limits  # noqa: PLC0415  (config is a lazy namespace)

        epochs, steps_per_epoch = training_limits(epochs, steps_per_epoch)
        verbose = _resolve_verbose(verbose)
        shuffle = input_checks.check_fit_args(batch_size, epochs, initial_epoch, validation_freq,
                                              validation_batch_size, shuffle)
        input_checks.check_arrays_given(x, y, sample_weight, class_weight)
        if validation_data is not None:
            input_checks.check_validation_data(validation_data)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight, validation_split)
        data = make_data(x, y, sample_weight, batch_size, shuffle, class_weight, steps_per_epoch)
        self._prepare(data, "fit")
        val = None
        if validation_data is not None:
            vx, vy, vsw = unpack_x_y_sample_weight(validation_data)
            val = make_data(vx, vy, vsw, validation_batch_size or batch_size, False, None, validation_steps)
            val.restart_each_epoch = True  # Keras: validation_steps restart each epoch
            self._prepare(val, "evaluate", "validation_data")
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=data.steps())
        self.stop_training = False
        step_function = self._step_function()
        if hasattr(self.optimizer, "build") and not getattr(self.optimizer, "built", False):
            self.optimizer.build(self.trainable_weights)
        logs = None
        self._in_fit = True
        with threads.scope(), stop_on_sigint() as interrupt:
            try:
                cbs.on_train_begin()
                # a callback (BackupAndRestore) may resume from a later epoch
                initial_epoch = max(initial_epoch, self.__dict__.pop("_initial_epoch", 0))
                has_begin = bool(cbs.batch_hook("on_train_batch_begin"))
                has_end = bool(cbs.batch_hook("on_train_batch_end"))
                per = self.steps_per_execution
                for epoch in range(initial_epoch, epochs):
                    if interrupt.requested:  # Ctrl-C during the previous epoch's end
                        break
                    self.reset_metrics()
                    cbs.on_epoch_begin(epoch)
                    step_logs = None
                    finished = False
                    step = -1
                    for step, batch in enumerate(data.batches()):
                        if interrupt.requested:  # checked before the next batch, so an
                            break  # interrupt during the last batch still completes the epoch
                        if has_begin and step % per == 0:
                            cbs.call_batch("on_train_batch_begin", step)
                        step_logs = step_function(batch)
                        if step % per == per - 1:  # the end of an execution
                            if has_end:
                                cbs.call_batch("on_train_batch_end", step, step_logs)
                            if self.stop_training:
                                break
                    else:
                        finished = True
                        if step % per != per - 1 and step_logs is not None:
                            if has_end:  # a last, partial execution: Keras names its full end
                                cbs.call_batch("on_train_batch_end", step - step % per + per - 1, step_logs)
                    if interrupt.requested and not finished:
                        break  # the interrupted epoch is incomplete: not recorded
                    if step_logs is None:
                        warnings.warn("the training data produced no batch this epoch; stopping", stacklevel=2)
                        break
                    epoch_logs = pythonify(step_logs)
                    if val is not None and _validate_now(epoch, validation_freq):
                        val_logs = self._run_evaluation(val, cbs)
                        epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                    cbs.on_epoch_end(epoch, epoch_logs)
                    logs = epoch_logs
                    if self.stop_training:
                        break
            finally:
                self._in_fit = False
            self._fit_interrupted = interrupt.requested  # callbacks keep their backups then
            cbs.on_train_end(logs)
        if interrupt.requested:
            raise KeyboardInterrupt("training interrupted (Ctrl-C); completed epochs are in model.history")
        return cbs.history

    # --- evaluate / predict ------------------------------------------------------------

    def _run_evaluation(self, data, cbs):
        self.reset_metrics()
        cbs.on_test_begin()
        has_begin = bool(cbs.batch_hook("on_test_batch_begin"))
        has_end = bool(cbs.batch_hook("on_test_batch_end"))
        step_logs = None
        per, step = self.steps_per_execution, -1
        for step, batch in enumerate(data.batches()):
            if has_begin and step % per == 0:
                cbs.call_batch("on_test_batch_begin", step)
            step_logs = self.test_step(batch)
            if has_end and step % per == per - 1:
                cbs.call_batch("on_test_batch_end", step, step_logs)
        if has_end and step >= 0 and step % per != per - 1:
            cbs.call_batch("on_test_batch_end", step - step % per + per - 1, step_logs)
        logs = pythonify(step_logs if step_logs is not None else self.get_metrics_result())
        cbs.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """The loss (and metrics) on the data: a scalar, `[loss, *metrics]`, or a dict."""
        self._assert_compiled("evaluate")
        verbose = _resolve_verbose(verbose)
        input_checks.check_batch_size(batch_size)
        input_checks.check_arrays_given(x, y, sample_weight)
        data = make_data(x, y, sample_weight, batch_size, False, None, steps)
        self._prepare(data, "evaluate")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=data.steps())
        with threads.scope():
            logs = self._run_evaluation(data, cbs)
        return logs if return_dict else self._flatten_in_order(logs)

    def _flatten_in_order(self, logs):
        names = [m.name for m in self.metrics]
        if self._compile_metrics is not None and self._compile_metrics.built:
            names = [self._loss_tracker.name] + [m.name for m in self._output_loss_trackers] + list(
                self._compile_metrics.results())
        values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for `x`, batched, as float32 NumPy arrays (same structure as outputs)."""
        verbose = _resolve_verbose(verbose)
        input_checks.check_batch_size(batch_size)
        input_checks.check_python_lists(x, "x")
        own_step = type(self).predict_step is Trainer.predict_step
        plan = self._replay_plan() if own_step and self.built else None
        if (type(x) is np.ndarray and verbose == 0 and callbacks is None and steps is None
                and self.built and 0 < len(x) <= (batch_size or 32) and own_step):
            # one silent batch: skip the adapter and callback machinery (same checks, same result)
            input_checks.check_value_kinds(x, "x", self)
            input_checks.check_array(x, "x")
            input_checks.check_features(self, x)
            with threads.scope():
                if plan is not None and x.dtype.kind == "f" and self.autocast:
                    return _replay(plan, x if x.dtype == self.dtype else x.astype(self.dtype))
                out = self(x, training=False)
            return tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out)
        data = make_data(x, None, None, batch_size, False, None, steps)
        self._prepare(data, "predict")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=data.steps())
        cbs.on_predict_begin()
        has_begin = bool(cbs.batch_hook("on_predict_batch_begin"))
        has_end = bool(cbs.batch_hook("on_predict_batch_end"))
        chunks = []
        per, step = self.steps_per_execution, -1
        with threads.scope():
            if plan is not None and not (has_begin or has_end):
                chunks = _replay_batches(plan, data, self.dtype)
            for step, batch in enumerate(() if chunks else data.batches()):
                if has_begin and step % per == 0:
                    cbs.call_batch("on_predict_batch_begin", step)
                xb, _, _ = unpack_x_y_sample_weight(batch)
                if plan is not None and type(xb) is np.ndarray and xb.dtype == self.dtype:
                    out = _replay(plan, xb)  # float inputs were cast to the model's dtype
                else:
                    out = self.predict_step(batch)
                chunks.append(tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out))
                if has_end and step % per == per - 1:
                    cbs.call_batch("on_predict_batch_end", step,
                                   {"outputs": out if per == 1 else _joined(chunks[-per:])})
            if has_end and step >= 0 and step % per != per - 1:  # a last, partial execution
                cbs.call_batch("on_predict_batch_end", step - step % per + per - 1,
                               {"outputs": _joined(chunks[-(step % per + 1):])})
        cbs.on_predict_end()
        if not chunks:
            raise ValueError("predict: the data produced no batch")
        return _joined(chunks)

    # --- single batches -----------------------------------------------------------------

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        input_checks.check_arrays_given(x, y, sample_weight, class_weight)
        data = make_data(x, y, sample_weight, _batch_size_of(x), False, class_weight)
        self._prepare(data, "fit")
        batch = next(iter(data.batches()))
        logs = pythonify(self.train_step(batch))
        return logs if return_dict else self._flatten_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        input_checks.check_arrays_given(x, y, sample_weight)
        data = make_data(x, y, sample_weight, _batch_size_of(x), False)
        self._prepare(data, "evaluate")
        self.reset_metrics()
        logs = pythonify(self.test_step(next(iter(data.batches()))))
        return logs if return_dict else self._flatten_in_order(logs)

    def predict_on_batch(self, x):
        out = self.predict_step((x,))
        return tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out)


def _joined(chunks):
    """Batch outputs (each a structure of arrays) concatenated along the batch axis."""
    flat = [np.concatenate(parts, axis=0) if len(chunks) > 1 else parts[0]
            for parts in zip(*[tree.flatten(c) for c in chunks])]
    return tree.pack_as(chunks[0], flat)


def _replay(plan, a):
    for f in plan:
        a = f(a)
    return a


def _replay_batches(plan, data, dtype):
    """predict's batches of an in-memory array through the replay plan, spread over two
    threads (`threads.map_pair`) when the first batch shows only one-thread products: each
    batch then has the bits it has alone. [] when the data is not such an array."""
    x = getattr(data, "x", None)
    if type(x) is not np.ndarray or x.dtype != dtype or data.steps() != data.num_batches:
        return []
    bs = data.batch_size
    threads.reset_peak()
    first = _replay(plan, x[:bs])
    rest = range(bs, len(x), bs)
    if threads.peak_macs() < threads.SPLIT_MACS:
        return [first] + threads.map_pair(lambda i: _replay(plan, x[i:i + bs]), rest)
    return [first] + [_replay(plan, x[i:i + bs]) for i in rest]


def _batch_size_of(x):
    flat = tree.flatten(x)
    return max(int(shape_of(flat[0])[0]), 1)


def _validate_now(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq

