"""A mid-size product's rows split over the calling thread and one helper thread.

Why: an MLP step's GEMMs (128x784 @ 784x512 and its gradient) take ~1 ms on one core and
~0.55 ms on OpenBLAS's two threads, but those threads spin-wait for each other inside the
product: when another process holds a core, every product waits for a time slice (MNIST
MLP: 1 s/epoch idle, 7-23 s busy). Here the product is cut into row blocks, each computed
by an ordinary one-thread BLAS call (NumPy releases the GIL). The caller and the helper
take blocks from one queue: the caller from the front, the helper from the back, and the
caller computes whatever the helper has not claimed yet. On a busy machine, where the
helper may not get a core, the caller simply does all blocks itself (no spinning, no
waiting for a thread that is not running); on an idle one the two cores share the work.

Results are bitwise deterministic: the blocks depend on the shapes only, and each block is
the same one-thread BLAS call whichever thread runs it (a split along rows never splits a
dot product, unlike a split along the contracted axis). They are also the bits of the unsplit
product when the blocks start on multiples of the GEMM kernel's row unrolling, which depends
on the library and the CPU (OpenBLAS: 16 rows on AVX-512 kernels, 24 on its Haswell kernels,
which AVX2 AMD EPYCs use): `row_align` finds it once per dtype by comparing a split product
with the whole, and products of a dtype with no such alignment are not split.
"""
import collections
import os
import threading
import time

import numpy as np

from lamina._native import spin

_flushed = getattr(spin, "denormals_flushed", None)  # None: no C extension (or an older build)

# candidate row alignments, smallest first (GEMM kernels unroll rows by 4 to 48)
_ALIGN_CANDIDATES = (8, 16, 24, 32, 48, 64, 96)
_aligns = {}  # dtype -> the row alignment found by `row_align` (None: no split)
# After a product the helper spin-waits this long for the next one before it sleeps (waking a
# sleeping thread costs 0.1-0.3 ms on a VM); an MLP step's products are ~0.5 ms apart.
SPIN_US = 500.0
MIN_SPIN_US = 25.0  # the spin after a gap longer than SPIN_US
# ... unless waking it is cheap: below this many microseconds (the median of the helper's
# last 31 wake-ups) it does not spin at all. 2-vCPU AVX-512 Xeon VM: 45-65 us wake-ups, and
# spinning slowed the text Transformer (20 steps 1.38-1.98 s spinning, 1.27-1.62 s not) with
# the MLP unchanged; the AVX2 EPYC VMs took 100-300 us to wake a thread.
CHEAP_WAKE_US = 80.0


class _Task:
    """One call of the caller's work list; `done` is released when it has run."""

    __slots__ = ("fn", "arg", "result", "done", "error")

    def __init__(self, fn, arg):
        self.fn, self.arg, self.result, self.error = fn, arg, None, None
        self.done = threading.Lock()
        self.done.acquire()

    def run(self):
        try:
            self.result = self.fn(self.arg)
        except BaseException as e:  # re-raised in the caller
            self.error = e
        finally:
            self.done.release()


class _Helper:
    """One daemon thread computing the blocks the caller has not reached yet."""

    def __init__(self):
        # the caller takes tasks from the left, the helper from the right; deque's pops are
        # atomic under the GIL: a task runs exactly once
        self.pending = collections.deque()
        self.wake = threading.Semaphore(0)
        self.sleeping = False  # on the semaphore (not spinning): `notify` must release it
        self.posted_at = 0.0  # when `notify` released the semaphore
        self.wakes = collections.deque(maxlen=31)  # the last times (us) from that release to running
        self.cheap_wakes = False  # their median is below CHEAP_WAKE_US
        # the caller's denormal flushing (a per-thread mode, see threads.scope), which the
        # helper takes on before each task so a block computes as it would on the caller
        self.flush = self._flushing = False
        self.pid = os.getpid()
        threading.Thread(target=self._loop, name="lamina-rowsplit", daemon=True).start()

    def notify(self):
        if spin is not None:
            spin.post()
        if self.sleeping:
            self.sleeping = False
            self.posted_at = time.perf_counter()
            self.wake.release()

    def _loop(self):
        spin_us = SPIN_US
        while True:
            start = time.perf_counter()
            if spin is None or not spin.wait(spin_us):
                self.sleeping = True
                self.wake.acquire()
                self.sleeping = False
                self.wakes.append((time.perf_counter() - self.posted_at) * 1e6)
                self.cheap_wakes = sorted(self.wakes)[len(self.wakes) // 2] < CHEAP_WAKE_US
            # Spin the whole SPIN_US only while work comes back within it (an MLP step's
            # products); after a longer gap (a Transformer's step between its projections)
            # spin briefly: a spinning core slows the caller's own work (text Transformer
            # epoch: 4.5-4.7 s spinning 0 us after each product, 5.0-5.9 s spinning 500 us).
            gap_us = (time.perf_counter() - start) * 1e6
            if self.cheap_wakes:
                spin_us = 0.0
            else:
                spin_us = SPIN_US if gap_us <= SPIN_US else MIN_SPIN_US
            while True:
                try:
                    task = self.pending.pop()
                except IndexError:
                    break
                if self.flush != self._flushing:
                    spin.flush_denormals(self.flush)
                    self._flushing = self.flush
                task.run()


_helper = None


def _get_helper():
    global _helper
    if _helper is None or _helper.pid != os.getpid():  # a forked child has no helper thread
        _helper = _Helper()
    return _helper


def row_align(dtype):
    """The smallest row count whose multiples, as block starts, give a split product the bits
    of the whole one (one-thread BLAS), found once per dtype on a product of 15.7M
    multiply-adds (above OpenBLAS's small-matrix paths); None when no candidate does."""
    dtype = np.dtype(dtype)
    if dtype not in _aligns:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415 (once, at the first split)

        rng = np.random.default_rng(0)
        a = rng.standard_normal((480, 256)).astype(dtype)
        b = rng.standard_normal((256, 128)).astype(dtype)
        with threadpool_limits(1, user_api="blas"):  # the blocks' one-thread BLAS calls
            whole = a @ b
            _aligns[dtype] = next(
                (n for n in _ALIGN_CANDIDATES
                 if np.array_equal(whole, np.concatenate([a[i:i + n] @ b for i in range(0, 480, n)]))),
                None)
    return _aligns[dtype]


def spans(m, dtype, parts=2):
    """(start, end) row blocks of an m-row product of `dtype` cut into `parts` blocks on the
    kernel's row alignment, or None when it cannot be split so (too few rows)."""
    align = row_align(dtype)
    if align is None:
        return None
    step = -(-m // parts)
    step = -(-step // align) * align
    if step >= m:
        return None
    starts = list(range(0, m, step))
    if m - starts[-1] < align:  # a sliver of rows would take another kernel path
        starts.pop()
    if len(starts) < 2:
        return None
    return list(zip(starts, starts[1:] + [m]))


def matmul(a, b, parts=2, blocks=None):
    """a @ b for 2-D arrays, its rows cut into `parts` blocks (or the given `blocks`, from
    `spans`) computed by two threads. (Rows, not columns: a row block aligned on the kernel's
    unrolling has the bits of the whole product; a column block may take another kernel path.)"""
    dtype = np.result_type(a.dtype, b.dtype)
    blocks = blocks or spans(a.shape[0], dtype, parts)
    if blocks is None:
        return a @ b
    out = np.empty((a.shape[0], b.shape[1]), dtype)
    run(lambda ij: np.matmul(a[ij[0]:ij[1]], b, out=out[ij[0]:ij[1]]), blocks)
    return out


def run(fn, args):
    """[fn(arg) for arg in args], computed by the calling thread (from the front of the list)
    and the helper thread (from the back) when it has a core; in turn otherwise. `fn` should
    spend its time in code that releases the GIL (BLAS, NumPy's loops)."""
    tasks = [_Task(fn, arg) for arg in args]
    if len(tasks) < 2:
        for task in tasks:
            task.run()
    else:
        helper = _get_helper()
        if _flushed is not None:
            helper.flush = _flushed()
        pending = helper.pending
        pending.extend(tasks[1:])
        helper.notify()
        tasks[0].run()
        while True:  # whatever the helper has not claimed, in order
            try:
                task = pending.popleft()
            except IndexError:
                break
            task.run()
        for task in tasks:
            task.done.acquire()
    for task in tasks:
        if task.error is not None:
            raise task.error
    return [task.result for task in tasks]
