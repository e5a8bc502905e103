"""`tf.data`: `Dataset` is lamina's input pipeline (`lamina.utils.Dataset`), elements are NumPy."""
from lamina.compat.tensorflow._common import module_getattr as _module_getattr
from lamina.utils.dataset import Dataset  # noqa: F401

AUTOTUNE = -1


class experimental:  # noqa: N801  (tf.data.experimental namespace)
    AUTOTUNE = AUTOTUNE


__getattr__ = _module_getattr("tensorflow.data")
