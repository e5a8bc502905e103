"""`TrainerLoopsAPI`, the loops over batches that train and evaluate: `fit` (epochs,
validation, callbacks, Ctrl-C), `evaluate`, and `train_on_batch` / `test_on_batch`.

Each loop checks its arguments, wraps the data in a DataAdapter (lamina/trainers/
data_adapter.py), and calls a step per batch with the callbacks around it. Mixed into
`Trainer`, which supplies the steps (`train_step` through `_step_function`, `test_step`), the
checks before any step (`_prepare`, `_assert_compiled`) and the metrics.
"""
import warnings

from lamina.callbacks.callback_list import CallbackList
from lamina.engine import threads, tree
from lamina.engine.sparse import shape_of
from lamina.trainers import input_checks
from lamina.trainers.data_adapter import make_data, split_validation, unpack_x_y_sample_weight
from lamina.trainers.interrupt import stop_on_sigint
from lamina.trainers.logs import pythonify


class TrainerLoopsAPI:
    """`fit`, `evaluate`, `train_on_batch`, `test_on_batch` (Keras's names and arguments)."""

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
        verbose = input_checks.resolve_verbose(verbose)
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

    # --- evaluate ------------------------------------------------------------------------

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
        verbose = input_checks.resolve_verbose(verbose)
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


def _batch_size_of(x):
    flat = tree.flatten(x)
    return max(int(shape_of(flat[0])[0]), 1)


def _validate_now(epoch, freq):
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return epoch + 1 in freq
