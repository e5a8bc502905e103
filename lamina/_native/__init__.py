"""Optional compiled kernels (a small C extension built by `pip install`).

`optim` is the module of fused optimizer updates, or None when the extension was not
built (no C compiler at install time) or when the environment variable `LAMINA_NATIVE=0`
is set. Every kernel has a NumPy twin that gives bitwise-identical results; lamina falls
back to it silently, so the extension only changes speed.
"""
import os

optim = None
if os.environ.get("LAMINA_NATIVE", "1").strip().lower() not in ("0", "false", "no", "off"):
    try:
        from lamina._native import _optim as optim
    except ImportError:  # not compiled: the NumPy path is used
        optim = None
