"""BLAS threads chosen per operation: one for a step's small GEMMs, several for big ones.

Why: OpenBLAS's worker threads spin-wait for a core. When another process holds that core,
every multi-threaded GEMM waits for a time slice, and a training step made of many small
GEMMs stalls (MNIST MLP: 1 s/epoch idle, 7-23 s with one busy process per core). NumPy's
elementwise work is single-threaded anyway, so inside `fit`/`evaluate`/`predict` lamina
runs BLAS on one thread (`scope()`), and `gemm(m, k, n)`, called before a GEMM, raises the
count back to the library's default only for a GEMM of at least `CROSSOVER_MACS`
multiply-adds and only while the other cores were idle in the last sampling window (the
machine's busy time from /proc/stat, less this process's own CPU time).

Hands off: nothing changes when the user chose the threads (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, GOTO_NUM_THREADS or MKL_NUM_THREADS set, or a threadpoolctl limit active
when `fit` starts), when `LAMINA_BLAS_THREADS=off`, or when threadpoolctl is missing.
threadpoolctl finds the BLAS libraries NumPy loaded (OpenBLAS, MKL, BLIS) and their setters;
its context manager re-scans them each time, so the controllers are cached here and their
`set_num_threads` called directly (about 1 us, and only when the count changes).
"""
import os
import time

# Multiply-adds from which a second thread pays on an idle machine (~0.5 ms on one core).
CROSSOVER_MACS = 32_000_000
# Fraction of a core that must have been free, per extra thread, to use that thread.
FREE_CORE_FRACTION = 0.8
SAMPLE_SECONDS = 0.25
USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS")


class _State:
    controllers = None  # the BLAS LibControllers, found on first use
    default = 1  # their thread count before lamina changed anything
    depth = 0  # nesting of scope()
    managing = False  # inside a scope, and the user left the threads to lamina
    current = 1
    allowed = 1  # threads a big GEMM may use now (from the last load sample)
    sample_at = 0.0
    sample = None  # (busy jiffies of the machine, this process's CPU seconds, wall time)


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
            if _S.managing:
                _set(1)
                _S.sample_at = 0.0
        return self

    def __exit__(self, *exc):
        _S.depth -= 1
        if _S.depth == 0 and _S.managing:
            _S.managing = False
            _set(_S.default)
        return False


def gemm(m, k, n):
    """Before an (m, k) @ (k, n) product: the thread count that pays for it, set if needed."""
    if not _S.managing:
        return
    want = 1
    if m * k * n >= CROSSOVER_MACS and _S.default > 1:
        now = time.perf_counter()
        if now - _S.sample_at >= SAMPLE_SECONDS:
            _S.allowed = _free_threads(now)
        want = _S.allowed
    if want != _S.current:
        _set(want)


def _free_threads(now):
    """Threads a big GEMM may use: 1 + the other cores that were free since the last sample."""
    _S.sample_at = now
    busy = _machine_busy_jiffies()
    own = time.process_time()
    previous, _S.sample = _S.sample, (busy, own, now)
    if busy is None:  # no /proc/stat: fall back on the load average where there is one
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return 1
        free = (os.cpu_count() or 1) - load
        return max(1, min(_S.default, 1 + int(free / FREE_CORE_FRACTION)))
    if previous is None:
        return 1  # no window yet: one thread until the first sample says the cores are free
    busy0, own0, t0 = previous
    elapsed = now - t0
    if elapsed <= 0:
        return _S.allowed
    others = max(0.0, (busy - busy0) / _ticks() - (own - own0)) / elapsed  # cores others used
    free = (os.cpu_count() or 1) - 1 - others  # cores free beside the one this step runs on
    return max(1, min(_S.default, 1 + int(free / FREE_CORE_FRACTION + 1e-9)))


_TICKS = []


def _ticks():
    if not _TICKS:
        try:
            _TICKS.append(os.sysconf("SC_CLK_TCK"))
        except (AttributeError, ValueError, OSError):
            _TICKS.append(100)
    return _TICKS[0]


def _machine_busy_jiffies():
    try:
        with open("/proc/stat", "rb") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != b"cpu":
        return None
    values = [int(v) for v in fields[1:]]
    # user nice system idle iowait irq softirq steal ...: idle and iowait are not busy
    return sum(values[:8]) - values[3] - (values[4] if len(values) > 4 else 0)
