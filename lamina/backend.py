"""`keras.backend` compatibility: float policy, epsilon, session reset."""
from lamina import naming
from lamina.engine.dtypes import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401


def backend():
    """The name of the compute backend (lamina's own NumPy engine)."""
    return "numpy"


def image_data_format():
    return "channels_last"


def clear_session(free_memory=True):
    """Reset the automatic layer/model name counters (`dense`, `dense_1`, ...)."""
    naming.reset()
