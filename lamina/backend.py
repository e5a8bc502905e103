"""`keras.backend` compatibility: float policy, epsilon, image data format, dtype helpers,
session reset."""
import numpy as np

from lamina import naming
from lamina.engine import dtypes as _dtypes
from lamina.engine.dtypes import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401

_IMAGE_DATA_FORMAT = ["channels_last"]


def backend():
    """The name of the compute backend (lamina's own NumPy engine)."""
    return "numpy"


def image_data_format():
    """The default `data_format` of image layers and ops ("channels_last" unless set)."""
    return _IMAGE_DATA_FORMAT[0]


def set_image_data_format(data_format):
    fmt = str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    _IMAGE_DATA_FORMAT[0] = fmt


def clear_session(free_memory=True):
    """Reset the automatic layer/model name counters (`dense`, `dense_1`, ...)."""
    naming.reset()


def get_uid(prefix=""):
    """1, 2, 3, ... for successive calls with the same `prefix` (until clear_session)."""
    return naming.next_uid(prefix)


def standardize_dtype(dtype):
    """A dtype name ("float32", "int64", ...) from a name, NumPy dtype, type or tensor;
    None gives floatx."""
    return _dtypes.standardize(dtype)


def is_float_dtype(dtype):
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes):
    """The dtype that combines `dtypes` (Keras's promotion, JAX-like): any float wins over
    integers (the widest float present; Python float alone gives floatx); integers and
    booleans promote as NumPy does; Python int/float are weak (they do not widen). Unlike
    Keras 3.15 (which reports float32 whenever float64 is involved), float64 stays float64:
    lamina computes in float64 when asked (gradient checks)."""
    if not dtypes:
        return floatx()
    names, weak_float = [], False
    for d in dtypes:
        if d is float:
            weak_float = True
        elif d is int or d is bool:
            continue
        else:
            names.append(standardize_dtype(getattr(d, "dtype", d)))
    floats = [n for n in names if n.startswith("float")]
    if floats:
        return max(floats, key=lambda n: np.dtype(n).itemsize)
    if weak_float:
        return floatx()
    if not names:
        return "int32" if any(d is int for d in dtypes) else "bool"
    return np.result_type(*[np.dtype(n) for n in names]).name


def is_keras_tensor(x):
    """True for a symbolic tensor (from `keras.Input` or a layer called on one)."""
    from lamina.layers.symbolic import KerasTensor  # noqa: PLC0415  (layers sit above the backend)

    return isinstance(x, KerasTensor)


class device:  # noqa: N801  (keras.device, used as `with keras.device("cpu:0"):`)
    """Place computations on a device: lamina has one, the CPU ("cpu" or "cpu:N" are
    accepted); naming a GPU/TPU raises NotImplementedError."""

    def __init__(self, device_name):
        name = str(device_name).lower()
        kind = name.split(":")[0].replace("/device", "").strip("/")
        if kind != "cpu":
            raise NotImplementedError(f"device({device_name!r}): lamina computes on the CPU only (NumPy); "
                                      "use device('cpu') or leave the device unset")
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
