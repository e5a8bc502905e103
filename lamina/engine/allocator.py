"""Keep large NumPy buffers in the process heap instead of fresh pages from the kernel.

glibc's malloc serves every request above its mmap threshold (128 KiB, adapting up to
32 MiB) with a new anonymous mapping and returns it to the kernel on free. A training step
allocates and frees the same large arrays each step (a convolution's im2col matrix is 58 MB
for 64 MNIST images x 32 channels x 3x3), so every step pays one page fault per 4 KiB page
touched: on this machine im2col of that matrix took 100 ms instead of 3 ms. `tune()` raises
the mmap and trim thresholds to 1 GiB with `mallopt`, so freed buffers are reused; memory
above 1 GiB per allocation still comes from (and goes back to) the kernel.

Applied once at `import lamina` on glibc only; skipped when the user set any of glibc's
MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_ variables (their setting
wins) or `LAMINA_MALLOC_TUNING=0`. It changes no result, only where memory comes from.
"""
import os

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
THRESHOLD = 1 << 30
_USER_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def tune():
    """Raise glibc's mmap/trim thresholds; returns True when applied."""
    if os.environ.get("LAMINA_MALLOC_TUNING", "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if any(v in os.environ for v in _USER_VARIABLES):
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
    except (AttributeError, ValueError, OSError):  # not glibc (macOS, Windows, musl)
        return False
    import ctypes  # noqa: PLC0415 - already loaded by NumPy; only needed on glibc

    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, THRESHOLD)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, THRESHOLD))
    except (OSError, AttributeError):
        return False
