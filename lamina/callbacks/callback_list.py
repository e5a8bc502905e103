"""`CallbackList`: dispatches hooks to callbacks; skips batch hooks nobody overrides."""
from lamina.callbacks.callback import Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger

# hook -> the names whose override makes a callback need it (the base class's
# on_train_batch_* forwards to the legacy on_batch_*, as Keras's does)
_BATCH_HOOKS = {
    "on_train_batch_begin": ("on_train_batch_begin", "on_batch_begin"),
    "on_train_batch_end": ("on_train_batch_end", "on_batch_end"),
    "on_test_batch_begin": ("on_test_batch_begin",),
    "on_test_batch_end": ("on_test_batch_end",),
    "on_predict_batch_begin": ("on_predict_batch_begin",),
    "on_predict_batch_end": ("on_predict_batch_end",),
}


def _overrides(cb, name):
    # an instance attribute counts too (LambdaCallback stores the user's functions there)
    return name in vars(cb) or getattr(type(cb), name, None) is not getattr(Callback, name)


class CallbackList:
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be lamina.callbacks.Callback instances, got {type(cb).__name__}"
                )
        self.history = None
        if add_history:
            self.history = next((c for c in callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                callbacks.append(self.history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            # last, as Keras: it then shows what other callbacks add to the epoch logs
            # (ReduceLROnPlateau's `learning_rate`)
            callbacks.append(ProgbarLogger())
        self.callbacks = callbacks
        self.model = model
        if model is not None:
            for cb in callbacks:
                cb.set_model(model)
        self.params = params
        for cb in callbacks:
            cb.set_params(params)
        self._index_batch_hooks()

    def _index_batch_hooks(self):
        # batch hooks are per step: keep only the callbacks that define them
        self._batch = {
            hook: [(cb, hook) for cb in self.callbacks if any(_overrides(cb, n) for n in names)]
            for hook, names in _BATCH_HOOKS.items()
        }

    def append(self, cb):
        self.callbacks.append(cb)
        self._index_batch_hooks()

    def _call(self, name, *args):
        # Keras passes an empty dict, never None (user hooks may call logs.keys())
        *head, logs = args
        logs = {} if logs is None else logs
        for cb in self.callbacks:
            getattr(cb, name)(*head, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def batch_hook(self, hook):
        """The (callback, method name) pairs for a batch hook (empty: skip the call)."""
        return self._batch[hook]

    def call_batch(self, hook, batch, logs=None):
        logs = {} if logs is None else logs
        for cb, name in self._batch[hook]:
            getattr(cb, name)(batch, logs=logs)
