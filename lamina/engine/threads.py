"""BLAS threads chosen per operation: one for a step's small GEMMs, several for big ones.

Why: OpenBLAS's worker threads spin-wait for a core. When another process holds that core,
every multi-threaded GEMM waits for a time slice, and a training step made of many small
GEMMs stalls (MNIST MLP: 1 s/epoch idle, 7-23 s with one busy process per core). NumPy's
elementwise work is single-threaded anyway, so inside `fit`/`evaluate`/`predict` lamina
runs BLAS on one thread (`scope()`), and `gemm(m, k, n)`, called before a GEMM, raises the
count back to the library's default only for a GEMM of at least `CROSSOVER_MACS`
multiply-adds, where a stalled worker costs little beside the product itself.

The count depends on the product's size only, never on the machine's load: OpenBLAS's
results differ in the last bits between thread counts, and a seeded run must repeat bit
for bit whatever else the machine is doing.

Hands off: nothing changes when the user chose the threads (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, GOTO_NUM_THREADS or MKL_NUM_THREADS set, or a threadpoolctl limit active
when `fit` starts), when `LAMINA_BLAS_THREADS=off`, or when threadpoolctl is missing.
threadpoolctl finds the BLAS libraries NumPy loaded (OpenBLAS, MKL, BLIS) and their setters;
its context manager re-scans them each time, so the controllers are cached here and their
`set_num_threads` called directly (about 1 us, and only when the count changes).

`LAMINA_BLAS_THREADS=split` (opt-in): `matmul` also splits a mid-size product
(`SPLIT_MACS` to `CROSSOVER_MACS`) by rows over two threads that each run one-thread BLAS
(`rowsplit`; the same bits as one thread). Measured on a 2-vCPU EPYC shared with other
sessions' loads: products 128x784 @ 784x512 1.03 -> 0.60-1.1 ms, 512x10000 @ 10000x16 3.5 ->
1.7-1.9 ms; with one CPU hog per core MNIST MLP 2.73-2.82 -> 2.03-2.37 s/epoch and dense IMDB
1.03 -> 0.70 s, but without the hogs MNIST MLP lost (1.47 -> 1.73-1.94 s/epoch): not the
default until measured on a quiet machine (benchmarks/split_products.py, busy.py).
"""
import os

from lamina.engine import rowsplit

# Multiply-adds from which the default thread count is used (~3 ms on one AVX2 core): the
# MLP and recurrent products stay on one thread, big convolution products are threaded.
CROSSOVER_MACS = 100_000_000
# With LAMINA_BLAS_THREADS=split, from here to CROSSOVER_MACS `matmul` splits the rows over two
# threads (2-vCPU AVX-512 EPYC: 32x784 @ 784x512, 13M multiply-adds, gains 0-20% alone and
# loses in predict's loop of them on a shared machine; 51M: 1.03 -> 0.60-0.66 ms).
SPLIT_MACS = 20_000_000
USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS")


class _State:
    controllers = None  # the BLAS LibControllers, found on first use
    default = 1  # their thread count before lamina changed anything
    depth = 0  # nesting of scope()
    managing = False  # inside a scope, and the user left the threads to lamina
    split = False  # managing, LAMINA_BLAS_THREADS=split, and the library has 2+ threads
    current = 1


_S = _State


def _controllers():
    if _S.controllers is None:
        _S.controllers = []
        if os.environ.get("LAMINA_BLAS_THREADS", "auto").lower() == "off":
            return _S.controllers
        try:
            from threadpoolctl import ThreadpoolController  # noqa: PLC0415 (only when training)
        except ImportError:
            return _S.controllers
        libs = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
        counts = [c.get_num_threads() for c in libs]
        _S.controllers = [c for c, n in zip(libs, counts) if n]
        _S.default = max((n for n in counts if n), default=1)
    return _S.controllers


def user_chose_threads():
    """True when an environment variable fixes the BLAS threads (lamina then leaves them)."""
    return any(os.environ.get(v) for v in USER_VARIABLES)


def _set(n):
    for c in _S.controllers:
        c.set_num_threads(n)
    _S.current = n


def _current_count():
    return max((c.get_num_threads() or 1) for c in _S.controllers)


class scope:
    """`with threads.scope():` one BLAS thread for the block, except in `gemm` (reentrant)."""

    __slots__ = ()

    def __enter__(self):
        _S.depth += 1
        if _S.depth == 1:
            libs = _controllers()
            # a count other than the library's own default is a limit the user set
            _S.managing = bool(libs) and not user_chose_threads() and _current_count() == _S.default
            _S.split = (_S.managing and _S.default > 1
                        and os.environ.get("LAMINA_BLAS_THREADS", "").lower() == "split")
            if _S.managing:
                _set(1)
        return self

    def __exit__(self, *exc):
        _S.depth -= 1
        if _S.depth == 0 and _S.managing:
            _S.managing = _S.split = False
            _set(_S.default)
        return False


def gemm(m, k, n):
    """Before an (m, k) @ (k, n) product: one thread, or the library's default for a big one."""
    if _S.managing:
        want = _S.default if m * k * n >= CROSSOVER_MACS else 1
        if want != _S.current:
            _set(want)


def matmul(a, b):
    """a @ b for 2-D arrays, on the threads `gemm` chooses, or split over two threads by rows
    for a mid-size product inside a scope (the same bits whatever the machine's load)."""
    m, k = a.shape
    macs = m * k * b.shape[1]
    if _S.split and SPLIT_MACS <= macs < CROSSOVER_MACS and m >= 2 * rowsplit.ROW_ALIGN:
        if _S.current != 1:
            _set(1)
        return rowsplit.matmul(a, b)
    gemm(m, k, b.shape[1])
    return a @ b
