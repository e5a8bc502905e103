"""`keras.config`: global settings (float type, epsilon, image data format, logging, limits)."""
from lamina.backend import backend, clear_session, image_data_format, set_image_data_format  # noqa: F401
from lamina.dtype_policies import dtype_policy, set_dtype_policy  # noqa: F401
from lamina.engine.dtypes import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401
from lamina.utils.io_utils import (  # noqa: F401
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)

_STATE = {"flash_attention": None, "max_epochs": None, "max_steps_per_epoch": None}


def enable_unsafe_deserialization():
    """Allow loading Lambda layers (with functions you pass in) everywhere (keras.config)."""
    from lamina.saving import enable_unsafe_deserialization as enable  # noqa: PLC0415

    enable()


def set_backend(backend):  # noqa: F811  (Keras's argument name)
    """lamina has one backend, its NumPy engine ("numpy"); other names raise."""
    if backend != "numpy":
        raise NotImplementedError(
            f"set_backend({backend!r}): lamina runs on its own NumPy engine only; keras.config.backend() "
            "is 'numpy'. Use the Keras package itself for the jax, torch or tensorflow backends")


def is_nnx_enabled():
    """Flax NNX is a JAX feature: always False in lamina."""
    return False


def enable_flash_attention():
    """Accepted for Keras compatibility: flash attention is a GPU kernel; lamina's
    dot_product_attention computes the same softmax(q k^T / sqrt(d)) v on the CPU."""
    _STATE["flash_attention"] = True


def disable_flash_attention():
    _STATE["flash_attention"] = False


def is_flash_attention_enabled():
    """None (automatic) unless enabled or disabled, as Keras."""
    return _STATE["flash_attention"]


def enable_traceback_filtering():
    raise NotImplementedError("lamina does not filter tracebacks: errors always show every frame, "
                              "and its messages name the argument, the value and the fix")


def disable_traceback_filtering():
    """Accepted (lamina never filters tracebacks)."""


def is_traceback_filtering_enabled():
    return False


def _positive_or_none(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive int or None, got {value!r}")
    return value


def set_max_epochs(max_epochs):
    """Cap the `epochs` of every fit() call (None: no cap), e.g. for a quick test run."""
    _STATE["max_epochs"] = _positive_or_none("max_epochs", max_epochs)


def max_epochs():
    return _STATE["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the batches per epoch of every fit() call (None: no cap)."""
    _STATE["max_steps_per_epoch"] = _positive_or_none("max_steps_per_epoch", max_steps_per_epoch)


def max_steps_per_epoch():
    return _STATE["max_steps_per_epoch"]


def training_limits(epochs, steps_per_epoch):
    """(epochs, steps_per_epoch) after the caps set by set_max_epochs/set_max_steps_per_epoch."""
    cap_e, cap_s = _STATE["max_epochs"], _STATE["max_steps_per_epoch"]
    if cap_e is not None:
        epochs = min(epochs, cap_e)
    if cap_s is not None:
        steps_per_epoch = cap_s if steps_per_epoch is None else min(steps_per_epoch, cap_s)
    return epochs, steps_per_epoch
