"""dtype names and the float policy (floatx, float32 unless changed)."""
import difflib

import numpy as np

ALLOWED = (
    "float16", "float32", "float64", "bfloat16",
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "bool", "string",
)  # fmt: skip
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "int": "int32"}
_FLOATX = ["float32"]


def floatx():
    """The default float dtype name ("float32")."""
    return _FLOATX[0]


def set_floatx(value):
    value = standardize(value)
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"floatx must be float16, float32 or float64, got {value!r}")
    _FLOATX[0] = value


def standardize(dtype):
    """A dtype name from a name, NumPy dtype or type; unknown names suggest the closest."""
    if dtype is None:
        return floatx()
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype, dtype)
        if name not in ALLOWED:
            close = difflib.get_close_matches(name, ALLOWED, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid names: {', '.join(ALLOWED)}"
            raise ValueError(f"unknown dtype {dtype!r}{hint}")
        if name == "bfloat16":
            bfloat16()  # NumPy knows the name once ml_dtypes is imported
        return name
    if hasattr(dtype, "compute_dtype") and not isinstance(dtype, (type, np.dtype)):
        return standardize(dtype.compute_dtype)  # a keras.DTypePolicy
    if hasattr(dtype, "dtype") and not isinstance(dtype, (type, np.dtype)):
        dtype = dtype.dtype
    try:
        return np.dtype(dtype).name
    except TypeError as e:
        raise ValueError(f"unknown dtype {dtype!r}") from e


def bfloat16():
    """NumPy's bfloat16 dtype, from the optional `ml_dtypes` package (the one JAX uses)."""
    try:
        import ml_dtypes  # noqa: PLC0415  (optional package, needed only for bfloat16)
    except ImportError:
        raise ValueError(
            "bfloat16 needs the optional package ml_dtypes (NumPy has no bfloat16): "
            "`pip install ml_dtypes`, or use 'float16' / 'float32'"
        ) from None
    return np.dtype(ml_dtypes.bfloat16)


def is_float(dtype):
    """True for float dtypes, bfloat16 included (NumPy files it under kind 'V')."""
    d = np.dtype(dtype)
    return d.kind == "f" or d.name == "bfloat16"


_EPSILON = [1e-7]


def epsilon():
    """The fuzz factor used to clip probabilities in losses and metrics (1e-7, as Keras)."""
    return _EPSILON[0]


def set_epsilon(value):
    _EPSILON[0] = float(value)
