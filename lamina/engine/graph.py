"""The recorded graph: recording state, nodes, and the reverse-mode walk.

An op that runs while a tape records, and has at least one tracked input, leaves a
`Node` on its output. A node keeps its parents (one per op input, `None` for inputs that
are not tracked), a `backward(g, need)` closure that maps the output gradient to one
gradient per input (computing only those with `need[i]`), and the shape/dtype of the value
it produced. Broadcasting is undone here, once, for every op: a parent's gradient is
summed back to the parent's shape (see `unbroadcast`).
"""
import itertools
from operator import attrgetter

import numpy as np

_creation_order = itertools.count()  # a node is always created after its parents
_by_creation = attrgetter("seq")


class STATE:
    """Global recording state (class attributes: one lookup on the hot path)."""

    recording = False  # True while at least one tape records
    tapes = ()  # the tapes currently recording; nodes keep this tuple
    watched = {}  # id(raw ndarray) -> (array, Leaf) for arrays watched by a tape
    auto_watch = True  # trainable variables are tracked without tape.watch


class Node:
    """One recorded op: `backward(g, need) -> tuple of grads`, one per input.

    `seq` numbers nodes in creation order, which is a topological order (parents first).
    """

    __slots__ = ("parents", "backward", "shape", "dtype", "tapes", "seq", "__weakref__")

    def __init__(self, parents, backward, shape, dtype, tapes):
        self.parents = parents
        self.backward = backward
        self.shape = shape
        self.dtype = dtype
        self.tapes = tapes
        self.seq = next(_creation_order)


class Leaf(Node):
    """A source of gradients: a variable or a watched value. Belongs to every tape."""

    __slots__ = ()

    def __init__(self, shape, dtype):
        Node.__init__(self, (), None, shape, dtype, None)


class VariableLeaf(Leaf):
    """A Variable's leaf; `owner()` gives the Variable back (a weak reference), so that a
    walk of the graph can tell which variables a computation read (custom_gradient)."""

    __slots__ = ("owner",)

    def __init__(self, shape, dtype, owner):
        Leaf.__init__(self, shape, dtype)
        self.owner = owner


def _second_order(g, need):
    raise NotImplementedError(
        "this value is a gradient computed by an inner GradientTape; lamina's backward pass "
        "runs in raw NumPy, so an outer tape cannot differentiate through it (no second "
        "derivatives). Compute higher-order derivatives with finite differences, or "
        "restructure the computation so the outer tape does not need them."
    )


def barrier(depends_on, shape, dtype):
    """A node whose gradient cannot be taken: marks gradients computed while a tape records.

    It keeps the real dependency (`depends_on`: the inner target's node, or a tuple of the
    nodes of several targets) so that an outer tape walking through it raises instead of
    silently returning a zero derivative.
    """
    parents = depends_on if type(depends_on) is tuple else (depends_on,)
    return Node(parents, _second_order, shape, dtype, STATE.tapes)


def unbroadcast(g, shape):
    """Sum `g` over the axes that broadcasting added or stretched, giving `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra < 0:  # a gradient of lower rank than its input (scalar seed): expand
        return np.broadcast_to(g, shape)
    if 1 not in shape:  # only leading axes were added (a bias): one sum, no reshape
        return np.add.reduce(g, axis=tuple(range(extra)))
    gshape = g.shape
    stretched = [i + extra for i, n in enumerate(shape) if n == 1 and gshape[i + extra] != 1]
    g = np.add.reduce(g, axis=tuple(range(extra)) + tuple(stretched), keepdims=True)
    return g.reshape(shape) if extra else g


def _recorded_by(node, tape):
    """Whether the walk for `tape` may go through `node` (leaves have `tapes=None`; nodes
    made before the tape's last `reset()` are forgotten by it)."""
    return node.tapes is not None and (
        tape is None or (tape in node.tapes and node.seq > getattr(tape, "_since", -1))
    )


def _leading_nodes(target, tape, wanted):
    """(recorded nodes on a path from a `wanted` node to `target`, parents first; every node
    on such a path, leaves included). Iterative: no recursion limit on long chains."""
    seen, stack, recorded = {target}, [target], []
    since = getattr(tape, "_since", -1)  # GradientTape.reset() forgets older nodes
    while stack:  # every node `tape` recorded upstream of the target
        node = stack.pop()
        tapes = node.tapes
        if tapes is None or (tape is not None and (tape not in tapes or node.seq < since)):
            continue  # a leaf, or a value this tape did not record (or forgot): a constant here
        recorded.append(node)
        for p in node.parents:
            if p is not None and p not in seen:
                seen.add(p)
                stack.append(p)
    recorded.sort(key=_by_creation)  # creation order: parents before children
    leads = wanted & seen
    order = []
    for node in recorded:  # a node leads to a source if it is one or a parent leads
        if node in leads or not leads.isdisjoint(node.parents):
            leads.add(node)
            order.append(node)
    return order, leads


def backprop(target, seed, sources, tape=None):
    """Propagate `seed` (d target) from node `target` back to each node in `sources`.

    Returns {source node: gradient array}; a source that receives nothing is absent.
    Only nodes on a path to a source run their backward, and each asks only for the
    input gradients that lead to a source (so a first layer computes no input gradient).
    """
    wanted = sources if type(sources) is set else set(sources)
    if not _recorded_by(target, tape):  # a leaf target: d target / d target = seed
        return {target: np.array(seed)} if target in wanted else {}
    order, leads = _leading_nodes(target, tape, wanted)
    if target not in leads:
        return {}
    grads = {target: seed}
    ndarray = np.ndarray
    for node in reversed(order):  # children before parents
        g = grads.get(node) if node in wanted else grads.pop(node, None)
        if g is None:
            continue
        parents = node.parents
        need = tuple(map(leads.__contains__, parents))  # None is never in `leads`
        parent_grads = node.backward(g, need)
        for parent, pg, needed in zip(parents, parent_grads, need):
            if not needed or pg is None:
                continue
            if type(pg) is not ndarray:
                pg = np.asarray(pg)
            if pg.shape != parent.shape:
                pg = unbroadcast(pg, parent.shape)
            if pg.dtype != parent.dtype:
                pg = pg.astype(parent.dtype)
            prev = grads.get(parent)
            grads[parent] = pg if prev is None else prev + pg  # fan-out accumulates
    if target in wanted:  # the target is also a source: hand out a copy of the seed
        grads[target] = np.array(grads[target])
    return {s: grads[s] for s in wanted if s in grads}
