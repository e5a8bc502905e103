"""Shared fixtures: the real-data folder, seeding, and float64 gradient checks."""
import os

# One BLAS thread for the tests (before NumPy loads OpenBLAS): on a busy 2-core machine
# OpenBLAS's spinning threads slow matmuls down by 5-10x; set the variable to override.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
from pathlib import Path

import numpy as np
import pytest

import lamina

if os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1":
    # pytest's own configuration (filterwarnings naming numpy.exceptions) loads NumPy before
    # this file, so OpenBLAS already started with one thread per core: limit it now
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def datasets_dir():
    """The folder named by LAMINA_DATASETS; tests needing it skip only when it is unset."""
    root = os.environ.get("LAMINA_DATASETS")
    if not root:
        pytest.skip("LAMINA_DATASETS is not set (CI sets it to ../shared/datasets)")
    path = Path(root)
    if not path.is_dir():
        pytest.fail(f"LAMINA_DATASETS={root} is not a folder")
    return path


def pytest_configure(config):
    # Here rather than in pyproject.toml: naming a NumPy class there makes pytest import NumPy
    # before this file sets the BLAS thread variables above, and OpenBLAS then starts with a
    # thread per core (whose spin-waits made a convnet test 5x slower on the busy machine).
    config.addinivalue_line("filterwarnings", "error::numpy.exceptions.ComplexWarning")


@pytest.fixture
def data_dir():
    return datasets_dir()


@pytest.fixture(autouse=True)
def _seed():
    lamina.utils.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
