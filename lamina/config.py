"""`keras.config`: global settings (float type, epsilon, image data format)."""
from lamina.backend import backend, clear_session, image_data_format  # noqa: F401
from lamina.engine.dtypes import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401
from lamina.saving import enable_unsafe_deserialization as enable


def enable_unsafe_deserialization():
    """Allow loading Lambda layers (with functions you pass in) everywhere (keras.config)."""
    enable()
