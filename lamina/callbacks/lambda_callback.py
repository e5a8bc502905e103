"""`LambdaCallback`: a callback made of plain functions, one per hook."""
import difflib

from lamina.callbacks.callback import Callback

_HOOKS = sorted(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """Each given function replaces the hook of the same name and receives its arguments:
    `on_epoch_begin/on_epoch_end(epoch, logs)`, `on_train_begin/on_train_end(logs)`,
    `on_train_batch_begin/on_train_batch_end(batch, logs)`; any other hook of `Callback`
    (e.g. `on_test_end=fn`, `on_predict_batch_end=fn`) may be passed by keyword.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        for name, fn in kwargs.items():
            if name not in _HOOKS:
                close = difflib.get_close_matches(name, _HOOKS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; valid hooks: {_HOOKS}"
                raise TypeError(f"LambdaCallback: unknown hook {name!r}{hint}")
        given = {
            "on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin, "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin, "on_train_batch_end": on_train_batch_end,
        }
        given.update(kwargs)
        for name, fn in given.items():
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback: {name} must be a function, got "
                                    f"{type(fn).__name__}")
                setattr(self, name, fn)
