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
dot product, unlike a split along the contracted axis).
"""
import os
import threading

import numpy as np

from lamina._native import spin

ROW_ALIGN = 16  # block boundaries on multiples of the GEMM kernels' row unrolling
# After a product the helper spin-waits this long for the next one before it sleeps (waking a
# sleeping thread costs 0.1-0.3 ms on a VM); an MLP step's products are ~0.5 ms apart.
SPIN_US = 500.0


class _Block:
    __slots__ = ("a", "b", "out", "done", "error")

    def __init__(self, a, b, out):
        self.a, self.b, self.out = a, b, out
        self.done = threading.Lock()
        self.done.acquire()
        self.error = None

    def run(self):
        try:
            np.matmul(self.a, self.b, out=self.out)
        except BaseException as e:  # re-raised in the caller
            self.error = e
        finally:
            self.done.release()


class _Helper:
    """One daemon thread computing the blocks the caller has not reached yet."""

    def __init__(self):
        self.pending = []  # list.pop is atomic under the GIL: a block runs exactly once
        self.wake = threading.Semaphore(0)
        self.sleeping = False  # on the semaphore (not spinning): `notify` must release it
        self.pid = os.getpid()
        threading.Thread(target=self._loop, name="lamina-rowsplit", daemon=True).start()

    def notify(self):
        if spin is not None:
            spin.post()
        if self.sleeping:
            self.sleeping = False
            self.wake.release()

    def _loop(self):
        while True:
            if spin is None or not spin.wait(SPIN_US):
                self.sleeping = True
                self.wake.acquire()
                self.sleeping = False
            while True:
                try:
                    block = self.pending.pop()
                except IndexError:
                    break
                block.run()


_helper = None


def _get_helper():
    global _helper
    if _helper is None or _helper.pid != os.getpid():  # a forked child has no helper thread
        _helper = _Helper()
    return _helper


def matmul(a, b, parts=2):
    """a @ b for 2-D arrays, its rows cut into `parts` blocks computed by two threads. (Rows,
    not columns: OpenBLAS gives a row block the bits of the whole product, while a column
    block may take another kernel path and round differently.)"""
    m = a.shape[0]
    step = -(-m // parts)
    step = -(-step // ROW_ALIGN) * ROW_ALIGN
    if step >= m:
        return a @ b
    starts = list(range(0, m, step))
    if m - starts[-1] < ROW_ALIGN:  # a sliver of rows would take another kernel path
        starts.pop()
    if len(starts) < 2:
        return a @ b
    ends = starts[1:] + [m]
    out = np.empty((m, b.shape[1]), np.result_type(a.dtype, b.dtype))
    blocks = [_Block(a[i:j], b, out[i:j]) for i, j in zip(starts, ends)]
    helper = _get_helper()
    helper.pending[:0] = blocks[1:]  # the helper pops from the end: the last blocks
    helper.notify()
    blocks[0].run()
    pending = helper.pending
    for block in blocks[1:]:  # whatever the helper has not claimed, in order
        try:
            pending.remove(block)
        except ValueError:
            continue  # claimed by the helper: waited for below
        block.run()
    for block in blocks:
        block.done.acquire()
        if block.error is not None:
            raise block.error
    return out
