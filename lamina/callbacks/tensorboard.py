"""`TensorBoard`: not available in lamina (no TensorFlow event writer)."""
from lamina.callbacks.callback import Callback


class TensorBoard(Callback):
    def __init__(self, log_dir="logs", **kwargs):
        raise NotImplementedError(
            "lamina has no TensorBoard writer (it would need TensorFlow's event format). Use "
            "keras.callbacks.CSVLogger('log.csv') to record every epoch, and history.plot() or "
            "lamina.plot.plot_history(history) to see the curves"
        )
