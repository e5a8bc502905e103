"""`lamina.callbacks`: hooks into training (History, progress bar, early stopping, ...)."""
from lamina.callbacks.callback import Callback  # noqa: F401
from lamina.callbacks.callback_list import CallbackList  # noqa: F401
from lamina.callbacks.history import History  # noqa: F401
from lamina.callbacks.progbar_logger import ProgbarLogger  # noqa: F401
from lamina.callbacks.csv_logger import CSVLogger  # noqa: F401
from lamina.callbacks.early_stopping import EarlyStopping  # noqa: F401
from lamina.callbacks.lambda_callback import LambdaCallback  # noqa: F401
from lamina.callbacks.learning_rate_scheduler import LearningRateScheduler  # noqa: F401
from lamina.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau  # noqa: F401
from lamina.callbacks.model_checkpoint import ModelCheckpoint  # noqa: F401,E402
from lamina.callbacks.terminate_on_nan import TerminateOnNaN  # noqa: F401,E402
from lamina.callbacks.backup_and_restore import BackupAndRestore  # noqa: F401
from lamina.callbacks.swap_ema_weights import SwapEMAWeights  # noqa: F401
from lamina.callbacks.engine_bound import OrbaxCheckpoint  # noqa: F401
from lamina import lazy as _lazy

__getattr__, __dir__ = _lazy.exports(__name__, globals(),
                                     {"TensorBoard": "lamina.callbacks.tensorboard",
                                      "RemoteMonitor": "lamina.callbacks.remote_monitor"})
