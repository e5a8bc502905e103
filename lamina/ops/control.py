"""Control flow with `keras.ops` names: Python loops and branches over lamina ops.

Lamina runs eagerly, so these are ordinary Python control flow; gradients flow through the
ops that the branches and loop bodies call (a loop of n steps records n copies of its body).
"""
import numpy as np

from lamina.engine import tree
from lamina.ops._base import data_of
from lamina.ops.shapes import stack


def cond(pred, true_fn, false_fn):
    """true_fn() if `pred` else false_fn()."""
    return true_fn() if bool(np.asarray(data_of(pred))) else false_fn()


def switch(index, branches, *operands):
    """branches[index](*operands), the index clamped to the valid range (as Keras)."""
    i = int(np.clip(int(np.asarray(data_of(index))), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):  # noqa: A002  (keras.ops name)
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` holds.

    A single (non tuple/list) `loop_vars` is passed and returned as is.
    """
    single = not isinstance(loop_vars, (tuple, list))
    state = (loop_vars,) if single else tuple(loop_vars)
    count = 0
    while (maximum_iterations is None or count < maximum_iterations) and bool(
        np.asarray(data_of(cond(*state)))
    ):
        out = body(*state)
        state = (out,) if single else tuple(out)
        count += 1
    if single:
        return state[0]
    return type(loop_vars)(state) if isinstance(loop_vars, list) else state


def fori_loop(lower, upper, body_fun, init_val):
    """val = body_fun(i, val) for i in range(lower, upper)."""
    val = init_val
    for i in range(int(data_of(lower)), int(data_of(upper))):
        val = body_fun(i, val)
    return val


def _stack_structures(items):
    flat = [tree.flatten(x) for x in items]
    stacked = [stack([f[j] for f in flat], axis=0) for j in range(len(flat[0]))]
    return tree.pack_as(items[0], stacked)


def _leading_slices(xs):
    """The slices of every tensor in structure `xs` along axis 0, one structure per index."""
    flat = tree.flatten(xs)
    n = len(data_of(flat[0]))
    return [tree.pack_as(xs, [x[i] for x in flat]) for i in range(n)]


def map(f, xs):  # noqa: A001  (keras.ops name)
    """f applied to each slice of `xs` along its first axis, the results stacked."""
    slices = _leading_slices(xs)
    if not slices:
        raise ValueError("map: `xs` has an empty leading axis; there is nothing to map over")
    return _stack_structures([f(s) for s in slices])


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along axis 0 (a loop here), stacked."""
    return map(function, elements)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """carry, y = f(carry, x) over the slices of `xs`; returns (carry, stacked ys)."""
    if xs is None:
        if length is None:
            raise ValueError("scan: pass `xs` or `length`")
        slices = [None] * int(length)
    else:
        slices = _leading_slices(xs)
    order = range(len(slices) - 1, -1, -1) if reverse else range(len(slices))
    carry, ys = init, [None] * len(slices)
    for i in order:
        carry, ys[i] = f(carry, slices[i])
    if not ys or ys[0] is None:
        return carry, None
    return carry, _stack_structures(ys)
