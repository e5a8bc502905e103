"""One BLAS/OpenMP thread per worker process, so parallel folds do not oversubscribe cores.

Environment variables (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, ...) are read by a BLAS only
when it is loaded, and a worker has usually imported NumPy before any of our code runs (a
spawned worker imports the parent's `__main__` and the task's module first). So the limit
is applied at run time: with `threadpoolctl` when installed, otherwise by calling the
thread-setting function of each BLAS/OpenMP library already loaded in the process (found
in /proc/self/maps on Linux). The variables are also set, for libraries loaded later and
for processes the worker starts. Dask's nanny already starts workers with them set to 1.
"""
import ctypes
import os

THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
)
# (substring of the library file name, functions that set its thread count)
_SETTERS = (
    ("openblas", ("openblas_set_num_threads", "openblas_set_num_threads64_",
                  "scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads")),
    ("mkl_rt", ("MKL_Set_Num_Threads",)),
    ("blis", ("bli_thread_set_num_threads",)),
    ("gomp", ("omp_set_num_threads",)),
    ("libomp", ("omp_set_num_threads",)),
    ("iomp", ("omp_set_num_threads",)),
)


class _State:
    limited = None  # the limit already applied in this process


def _loaded_libraries():
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "/" in line and ".so" in line}
    except OSError:  # not Linux: rely on threadpoolctl or the environment variables
        return []
    return sorted(paths)


def limit_blas_threads(n=1):
    """Limit BLAS/OpenMP libraries in this process to `n` threads; returns the libraries
    changed (file names, or ["threadpoolctl"])."""
    if _State.limited == n:
        return []
    for var in THREAD_VARIABLES:
        os.environ[var] = str(n)
    _State.limited = n
    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415  (optional)
    except ImportError:
        pass
    else:
        threadpool_limits(limits=n)
        return ["threadpoolctl"]
    changed = []
    for path in _loaded_libraries():
        name = os.path.basename(path).lower()
        for key, functions in _SETTERS:
            if key not in name:
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for fn in functions:
                setter = getattr(lib, fn, None)
                if setter is not None:
                    setter(ctypes.c_int(n))
                    changed.append(os.path.basename(path))
                    break
    return changed


def blas_threads():
    """Threads of each loaded OpenBLAS (file name -> count), for tests and diagnostics."""
    out = {}
    for path in _loaded_libraries():
        if "openblas" not in os.path.basename(path).lower():
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for fn in ("openblas_get_num_threads", "openblas_get_num_threads64_",
                   "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads"):
            getter = getattr(lib, fn, None)
            if getter is not None:
                out[os.path.basename(path)] = int(getter())
                break
    return out
