"""Run a stateful method on given variable values, leaving the variables as they were.

This is what Keras 3's `stateless_*` methods (layers, metrics, optimizers) mean on a NumPy
backend: the given values are copied into the variables, the ordinary method runs, the
resulting values are read back, and the variables get their previous values again.
"""
import numpy as np

from lamina.engine.tensor import Tensor


def run_with_values(variables, values, fn, what):
    """(fn(), the variables' values after fn) with `values` in `variables` while fn runs."""
    variables, values = list(variables), list(values)
    if len(values) != len(variables):
        raise ValueError(
            f"{what}: expected {len(variables)} variable values (one per variable, in the order of "
            f"the variables list), got {len(values)}"
        )
    saved = [np.array(v.data) for v in variables]
    try:
        for v, x in zip(variables, values):
            v.assign(x)
        result = fn()
        new = [Tensor(np.array(v.data)) for v in variables]
    finally:
        for v, old in zip(variables, saved):
            np.copyto(v.data, old)
    return result, new


def detached(x):
    """A copy of a Tensor result (so it cannot alias a variable restored afterwards)."""
    return Tensor(np.array(x.data)) if isinstance(x, Tensor) else x
