"""Running one cross-validation fold, here or in a worker, and getting the data to it.

The data travels once, not once per fold: a local process pool gets it as `.npy` files in
a temporary folder that each worker memory-maps (the pages are shared through the OS
cache); a Dask client scatters it to every worker once; any other executor receives it
with each task (pickled). A task itself carries only indices, seeds and settings.
"""
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import ClassVar

import numpy as np

from lamina.engine import tree
from lamina.engine.sparse import is_sparse
from lamina.validation.threads import limit_blas_threads
from lamina.utils import set_random_seed


class SharedArrays:
    """`(x, y)` spilled to a temporary folder once; `load()` memory-maps it (cached)."""

    _cache: ClassVar[dict] = {}  # per process: folder -> loaded data (only the latest one is kept)

    def __init__(self, payload):
        self.folder = tempfile.mkdtemp(prefix="lamina-cv-")
        leaves = tree.flatten(payload)
        self.skeleton = tree.pack_as(payload, list(range(len(leaves))))
        self.kinds = []
        for i, a in enumerate(leaves):
            base = os.path.join(self.folder, str(i))
            if is_sparse(a):
                for part in ("data", "indices", "indptr"):
                    np.save(f"{base}.{part}.npy", getattr(a, part))
                self.kinds.append(("csr", a.shape))
            elif a.dtype == object:  # ragged sequences cannot be memory-mapped
                with open(base + ".pkl", "wb") as f:
                    pickle.dump(a, f, protocol=pickle.HIGHEST_PROTOCOL)
                self.kinds.append(("pickle", None))
            else:
                np.save(base + ".npy", np.ascontiguousarray(a))
                self.kinds.append(("npy", None))

    def load(self):
        cached = SharedArrays._cache.get(self.folder)
        if cached is not None:
            return cached
        from scipy.sparse import csr_matrix  # noqa: PLC0415  (lazy: scipy is slow to import)

        leaves = []
        for i, (kind, shape) in enumerate(self.kinds):
            base = os.path.join(self.folder, str(i))
            if kind == "csr":
                parts = [np.load(f"{base}.{p}.npy", mmap_mode="r")
                         for p in ("data", "indices", "indptr")]
                leaves.append(csr_matrix(tuple(parts), shape=shape, copy=False))
            elif kind == "pickle":
                with open(base + ".pkl", "rb") as f:
                    leaves.append(pickle.load(f))  # noqa: S301  (our own file, just written)
            else:
                leaves.append(np.load(base + ".npy", mmap_mode="r"))
        data = tree.pack_as(self.skeleton, leaves)
        SharedArrays._cache.clear()
        SharedArrays._cache[self.folder] = data
        return data

    def close(self):
        SharedArrays._cache.pop(self.folder, None)
        shutil.rmtree(self.folder, ignore_errors=True)


def _rows(struct, index):
    """Rows of every array, as ordinary in-memory arrays (not memory-map views)."""
    return tree.map_structure(lambda a: a[index] if is_sparse(a) else np.asarray(a[index]),
                              struct)


def run_fold(task, data):
    """Train a fresh model on one fold and score it on the held-out part.

    `task`: dict with build_model, train/val indices, seed, fit_kwargs, round, fold and the
    caller's process/thread ids. `data`: `(x, y)`, or a `SharedArrays` to load.
    Returns a plain dict (picklable): scores, history, epochs, seconds.
    """
    here = os.getpid() == task["pid"]
    if here and threading.get_ident() != task["thread"]:
        raise RuntimeError(
            "cross_validate: folds are running in threads of the calling process (a thread pool, "
            "or Dask with processes=False). lamina's random generator is process-wide, so "
            "concurrent folds would not be reproducible: use processes (e.g. "
            "lamina.validation.process_pool() or LocalCluster(processes=True))"
        )
    if not here:
        limit_blas_threads(1)
    if isinstance(data, SharedArrays):
        data = data.load()
    x, y = data
    start = time.perf_counter()
    x_train, y_train = _rows(x, task["train"]), _rows(y, task["train"])
    x_val, y_val = _rows(x, task["val"]), _rows(y, task["val"])
    set_random_seed(task["seed"])
    model = task["build_model"]()
    if not (hasattr(model, "fit") and hasattr(model, "evaluate")):
        raise TypeError(
            f"build_model() must return a compiled model, got {type(model).__name__}"
        )
    if not getattr(model, "compiled", True):
        raise ValueError("build_model() returned a model that is not compiled: call "
                         "model.compile(...) inside build_model")
    kwargs = dict(task["fit_kwargs"])
    kwargs.setdefault("verbose", 0)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), **kwargs)
    scores = model.evaluate(x_val, y_val, batch_size=kwargs.get("batch_size"), verbose=0,
                            return_dict=True)
    hist = {k: [float(v) for v in values] for k, values in history.history.items()}
    return {
        "round": task["round"], "fold": task["fold"], "seed": task["seed"],
        "scores": {"val_" + k: float(v) for k, v in scores.items()},
        "history": hist, "epochs": len(history.epoch), "seconds": time.perf_counter() - start,
    }


def process_pool(max_workers=None):
    """A `ProcessPoolExecutor` for `cross_validate`: "forkserver" workers (safe with threads
    in the parent, e.g. a Dask client) limited to one BLAS thread each.

    `max_workers` defaults to the number of CPUs. Use it as a context manager.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=max_workers or os.cpu_count(), mp_context=context,
                               initializer=limit_blas_threads, initargs=(1,))


def _dask_client(executor):
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    return client if client is not None and hasattr(client, "scatter") else None


def check_executor(executor, build_model):
    """Refuse executors that would run folds wrongly, before any training starts."""
    if isinstance(executor, ThreadPoolExecutor):
        raise TypeError(
            "cross_validate: a ThreadPoolExecutor runs folds in threads of this process, but "
            "lamina's random generator is process-wide, so the folds would not be reproducible; "
            "pass a process pool (lamina.validation.process_pool()) or a Dask client's executor"
        )
    if isinstance(executor, ProcessPoolExecutor):
        try:
            pickle.dumps(build_model)
        except Exception as e:  # noqa: BLE001  (any pickling failure means the same thing)
            raise TypeError(
                f"cross_validate: build_model ({build_model!r}) cannot be sent to worker "
                f"processes ({e}). Define it as a module-level function (not a lambda or a "
                "nested function) in an importable module or a script's top level"
            ) from None


def ship(executor, payload):
    """How the data reaches the folds: `(data_argument, cleanup)`."""
    if executor is None:
        return payload, lambda: None
    if isinstance(executor, ProcessPoolExecutor):
        shared = SharedArrays(payload)
        return shared, shared.close
    client = _dask_client(executor)
    if client is not None:
        # hash=False: a unique key per call, so releasing this run's copy cannot remove the
        # data of another run on the same arrays (equal contents would share a hashed key)
        [future] = client.scatter([payload], broadcast=True, hash=False)
        return future, lambda: future.release()
    return payload, lambda: None
