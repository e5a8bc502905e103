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

Mid-size products (`SPLIT_MACS` to `CROSSOVER_MACS`) are split by rows over two threads that
each run one-thread BLAS (`rowsplit`; the same bits as one thread, and the caller never waits
for a helper that has no core). Measured side by side on an idle 2-vCPU AVX-512 EPYC
(benchmarks/busy.py, one epoch): MNIST MLP one thread 1.41-1.66 s, split 1.06-1.11 s, OpenBLAS's
own two threads 0.85 s; with one CPU hog per core 2.14-2.63 s, 1.90 s and 5.83 s. Dense IMDB:
0.62 / 0.38-0.39 / 0.40 s idle, 0.67-0.91 / 0.70-0.93 / 0.93 s busy. `LAMINA_BLAS_THREADS=nosplit`
keeps such products on one thread.

Denormals: inside a scope the calling thread (and rowsplit's helper, which follows it) flushes
subnormal floats to zero, as TensorFlow's and XLA's CPU threads do. Arithmetic on them takes
a microcode assist on Intel cores, ~100x slower: a bidirectional GRU's gradients through 200
timesteps decay into that range, and its IMDB epoch took 15 s instead of 2.5 s on a 2-vCPU
AVX-512 Xeon. GradientTape's backward walk flushes them too (`flushing`), in a custom
training loop as well; forward ops outside fit/evaluate/predict keep them.
`LAMINA_FLUSH_DENORMALS=0` keeps them everywhere (slower; results then keep values below
1.2e-38 in float32 / 2.2e-308 in float64 instead of zeros). Without the C extension nothing
is flushed. OpenBLAS's own worker threads (products above CROSSOVER_MACS) keep
their mode.

Independent pieces of one operation -- predict's batches -- go to the same two threads
through `map_pair`, each piece computing exactly what it computes alone (every product inside
on one thread, unsplit), so the bits do not depend on which thread ran it or on the load.
"""
import math
import os

import numpy as np

from lamina._native import spin
from lamina.engine import rowsplit

# Multiply-adds from which the default thread count is used (~4 ms on one AVX-512 core): the
# MLP, recurrent and attention-block products stay on lamina's threads, big convolution
# products are threaded by the library. After a threaded product OpenBLAS's workers spin
# ~0.1 s waiting for the next one, competing with rowsplit's helper for the second core: the
# text Transformer's 105M feed-forward products on OpenBLAS's threads made its step 20% slower
# (20 steps 1.83-2.14 s at 100M vs 1.37-1.86 s at 200M on a 2-vCPU AVX-512 Xeon); the BN
# convnet's 231M-462M products keep OpenBLAS's threads (all split: 7% slower).
CROSSOVER_MACS = 200_000_000
# From here to CROSSOVER_MACS (unless LAMINA_BLAS_THREADS=nosplit) `matmul` splits the rows over two
# threads (2-vCPU AVX-512 EPYC: 32x784 @ 784x512, 13M multiply-adds, gains 0-20% alone and
# loses in predict's loop of them on a shared machine; 51M: 1.03 -> 0.60-0.66 ms).
SPLIT_MACS = 20_000_000
USER_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS")


class _State:
    controllers = None  # the BLAS LibControllers, found on first use
    default = 1  # their thread count before lamina changed anything
    depth = 0  # nesting of scope()
    managing = False  # inside a scope, and the user left the threads to lamina
    split = False  # managing, not LAMINA_BLAS_THREADS=nosplit, and the library has 2+ threads
    current = 1
    peak = 0  # the most multiply-adds of a product since `reset_peak`
    flush = None  # the outer scope's `flushing` (None outside a scope)


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


def flush_wanted():
    """True when scopes flush denormals (the C extension is there, the CPU has a flush-to-zero
    control (x86-64, AArch64), and LAMINA_FLUSH_DENORMALS is not 0/false/no/off)."""
    return spin is not None and getattr(spin, "FLUSH_SUPPORTED", False) and os.environ.get(
        "LAMINA_FLUSH_DENORMALS", "1").strip().lower() not in ("0", "false", "no", "off")


class flushing:
    """`with threads.flushing():` subnormal floats flushed to zero on this thread for the
    block (as inside a `scope`), its previous mode restored after. GradientTape's backward
    walk runs in one, so a custom training loop's gradients get the speed fit's have."""

    __slots__ = ("before",)

    def __enter__(self):
        # inside a scope that flushes (fit's steps) there is nothing to do: no environment read
        inside = _S.flush is not None and _S.flush.before is not None
        self.before = spin.flush_denormals(True) if not inside and flush_wanted() else None
        return self

    def __exit__(self, *exc):
        if self.before is not None:
            spin.flush_denormals(self.before)
        return False


def _set(n):
    for c in _S.controllers:
        c.set_num_threads(n)
    _S.current = n


def _current_count():
    return max((c.get_num_threads() or 1) for c in _S.controllers)


class scope:
    """`with threads.scope():` one BLAS thread for the block, except in `gemm`, and subnormal
    floats flushed to zero on this thread (reentrant; both restored at the outer exit)."""

    __slots__ = ()

    def __enter__(self):
        _S.depth += 1
        if _S.depth == 1:
            libs = _controllers()
            # a count other than the library's own default is a limit the user set
            _S.managing = bool(libs) and not user_chose_threads() and _current_count() == _S.default
            _S.split = (_S.managing and _S.default > 1
                        and os.environ.get("LAMINA_BLAS_THREADS", "").lower() != "nosplit")
            if _S.managing:
                _set(1)
            _S.flush = flushing().__enter__()
        return self

    def __exit__(self, *exc):
        _S.depth -= 1
        if _S.depth == 0:
            _S.flush.__exit__()
            _S.flush = None
            if _S.managing:
                _S.managing = _S.split = False
                _set(_S.default)
        return False


def gemm(m, k, n):
    """Before an (m, k) @ (k, n) product: one thread, or the library's default for a big one."""
    macs = m * k * n
    if macs > _S.peak:
        _S.peak = macs
    if _S.managing:
        want = _S.default if macs >= CROSSOVER_MACS else 1
        if want != _S.current:
            _set(want)


def matmul(a, b):
    """a @ b for 2-D arrays, on the threads `gemm` chooses, or split over two threads by rows
    for a mid-size product inside a scope (the same bits whatever the machine's load)."""
    m, k = a.shape
    macs = m * k * b.shape[1]
    if _S.split and SPLIT_MACS <= macs < CROSSOVER_MACS:
        blocks = rowsplit.spans(m, np.result_type(a.dtype, b.dtype))
        if blocks is not None:
            if _S.current != 1:
                _set(1)
            _S.peak = max(_S.peak, macs)
            return rowsplit.matmul(a, b, blocks=blocks)
    gemm(m, k, b.shape[1])
    return a @ b


def sample_blocks(n, rows_per_sample, macs, dtype, row_bytes):
    """Sample spans [(s0, s1), ...] of an n-sample batch whose rows (rows_per_sample each,
    `row_bytes` the bytes a row of the work touches) a caller may spread over two threads
    with `map_pair`: blocks of ~2 MB (a core's cache), each starting on a multiple of the
    GEMM kernel's row alignment, so one-thread products of the blocks have the bits of the
    whole one-thread product. None (compute it whole) outside a splitting scope, below
    SPLIT_MACS, with no alignment for `dtype`, or when it makes fewer than two blocks."""
    if not _S.split or macs < SPLIT_MACS:
        return None
    align = rowsplit.row_align(dtype)
    if align is None:
        return None
    unit = align // math.gcd(align, rows_per_sample)  # samples per aligned step
    per_block = max(1, (2 << 20) // max(1, rows_per_sample * row_bytes * unit)) * unit
    if per_block >= n:
        return None
    return [(s, min(s + per_block, n)) for s in range(0, n, per_block)]


# Row-independent passes (LayerNormalization, ReLU and its mask) of at least this many values
# go to two threads in 4 blocks of rows (`by_rows`); each row computes as it would alone.
# 2-vCPU AVX-512 Xeon: ReLU of 64x28x28x32 0.66 -> 0.43 ms; BatchNormalization's affine pass
# and a convolution's bias add gained nothing measurable in the BN convnet and stay whole.
PAIR_VALUES = 1 << 18


def by_rows(fn, rows, row_values=1):
    """fn(slice) over `rows` rows of `row_values` values each, computed whole, or in 4
    blocks spread over two threads (`map_pair`) inside a splitting scope for a big one."""
    if not _S.split or rows * row_values < PAIR_VALUES or rows < 8:
        fn(slice(0, rows))
        return
    step = -(-rows // 4)
    map_pair(fn, [slice(i, i + step) for i in range(0, rows, step)])


def reset_peak():
    """Start counting the largest product anew (`peak_macs`)."""
    _S.peak = 0


def peak_macs():
    """The most multiply-adds of one product (announced by `gemm` or run by `matmul`) since
    `reset_peak`: below SPLIT_MACS, a call made only of such products gets the same bits from
    `map_pair` as alone."""
    return _S.peak


def map_pair(fn, args):
    """[fn(arg) for arg in args], spread over the calling thread and rowsplit's helper when
    lamina manages the threads (inside a scope, two or more cores, splitting not turned off),
    else in turn. Every product inside runs on one BLAS thread, unsplit, as `matmul` gives a
    small product: each call computes the bits it would compute alone (predict's batches)."""
    if not _S.split or len(args) < 2:
        return [fn(arg) for arg in args]
    if _S.current != 1:
        _set(1)
    _S.managing = _S.split = False  # `gemm` and `matmul` leave the count alone meanwhile
    try:
        return rowsplit.run(fn, args)
    finally:
        _S.managing = _S.split = True
