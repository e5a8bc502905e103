"""The recorded graph: recording state, nodes, and the reverse-mode walk.

An op that runs while a tape records, and has at least one tracked input, leaves a
`Node` on its output. A node keeps its parents (one per op input, `None` for inputs that
are not tracked), a `backward(g, need)` closure that maps the output gradient to one
gradient per input (computing only those with `need[i]`), and the shape/dtype of the value
it produced. Broadcasting is undone here, once, for every op: a parent's gradient is
summed back to the parent's shape (see `unbroadcast`).
"""
import numpy as np


class STATE:
    """Global recording state (class attributes: one lookup on the hot path)."""

    recording = False  # True while at least one tape records
    tapes = ()  # the tapes currently recording; nodes keep this tuple
    watched = {}  # id(raw ndarray) -> (array, Leaf) for arrays watched by a tape
    auto_watch = True  # trainable variables are tracked without tape.watch


class Node:
    """One recorded op: `backward(g, need) -> tuple of grads`, one per input."""

    __slots__ = ("parents", "backward", "shape", "dtype", "tapes", "__weakref__")

    def __init__(self, parents, backward, shape, dtype, tapes):
        self.parents = parents
        self.backward = backward
        self.shape = shape
        self.dtype = dtype
        self.tapes = tapes


class Leaf(Node):
    """A source of gradients: a variable or a watched value. Belongs to every tape."""

    __slots__ = ()

    def __init__(self, shape, dtype):
        Node.__init__(self, (), None, shape, dtype, None)


def _second_order(g, need):
    raise NotImplementedError(
        "this value is a gradient computed by an inner GradientTape; lamina's backward pass "
        "runs in raw NumPy, so an outer tape cannot differentiate through it (no second "
        "derivatives). Compute higher-order derivatives with finite differences, or "
        "restructure the computation so the outer tape does not need them."
    )


def barrier(depends_on, shape, dtype):
    """A node whose gradient cannot be taken: marks gradients computed while a tape records.

    It keeps the real dependency (`depends_on`, the inner target's node) so that an outer
    tape walking through it raises instead of silently returning a zero derivative.
    """
    return Node((depends_on,), _second_order, shape, dtype, STATE.tapes)


def unbroadcast(g, shape):
    """Sum `g` over the axes that broadcasting added or stretched, giving `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra < 0:  # a gradient of lower rank than its input (scalar seed): expand
        return np.broadcast_to(g, shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if extra:
        g = g.reshape(shape)
    return g


def _recorded_by(node, tape):
    """Whether the walk for `tape` may go through `node` (leaves have `tapes=None`)."""
    return node.tapes is not None and (tape is None or tape in node.tapes)


def topological_order(target, tape):
    """Nodes upstream of `target`, parents before children (iterative: no recursion limit).

    Nodes that `tape` did not record are treated as constants (not expanded).
    """
    order, seen, stack = [], set(), [(target, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if _recorded_by(node, tape):
            for parent in node.parents:
                if parent is not None and parent not in seen:
                    stack.append((parent, False))
    return order


def backprop(target, seed, sources, tape=None):
    """Propagate `seed` (d target) from node `target` back to each node in `sources`.

    Returns {source node: gradient array}; a source that receives nothing is absent.
    Only nodes on a path to a source run their backward, and each asks only for the
    input gradients that lead to a source (so a first layer computes no input gradient).
    """
    order = topological_order(target, tape)
    wanted = set(sources)
    leads = set()
    for node in order:  # parents first: a node leads to a source if a parent does
        if node in wanted or (
            _recorded_by(node, tape) and any(p in leads for p in node.parents if p is not None)
        ):
            leads.add(node)
    if target not in leads:
        return {}
    grads = {target: seed}
    for node in reversed(order):
        if node not in leads or not _recorded_by(node, tape):
            continue
        g = grads.get(node) if node in wanted else grads.pop(node, None)
        if g is None:
            continue
        parents = node.parents
        need = tuple(p is not None and p in leads for p in parents)
        parent_grads = node.backward(g, need)
        for parent, pg, needed in zip(parents, parent_grads, need):
            if not needed or pg is None:
                continue
            if type(pg) is not np.ndarray:
                pg = np.asarray(pg)
            if pg.shape != parent.shape:
                pg = unbroadcast(pg, parent.shape)
            if pg.dtype != parent.dtype:
                pg = pg.astype(parent.dtype)
            prev = grads.get(parent)
            grads[parent] = pg if prev is None else prev + pg  # fan-out accumulates
    return {s: grads[s] for s in wanted if s in grads}
