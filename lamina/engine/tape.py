"""`GradientTape`: record ops on tracked values, then differentiate (reverse mode)."""
import contextlib

import numpy as np

from lamina.engine import threads, tree
from lamina.engine.graph import STATE, Leaf, _creation_order, backprop, barrier
from lamina.engine.tensor import Tensor, Variable, as_array


def _refresh_state():
    tapes = STATE.tapes
    STATE.recording = bool(tapes)
    if not tapes:
        STATE.auto_watch = False  # nothing records: a value read now is a constant
        STATE.watched = {}
        return
    if len(tapes) == 1:  # the common case, kept cheap (tapes are entered once per step)
        tape = tapes[0]
        STATE.auto_watch = tape._watch_accessed_variables
        STATE.watched = dict(tape._watched) if tape._watched else {}
        return
    STATE.auto_watch = any(t._watch_accessed_variables for t in tapes)
    watched = {}
    for t in tapes:
        watched.update(t._watched)
    STATE.watched = watched


class _WatchedLeaf(Leaf):
    """The leaf `watch` gives an untracked Tensor: a source for the tapes that watched it only."""

    __slots__ = ()


class GradientTape:
    """Records operations on tracked values so that `gradient` can differentiate them.

    Inside `with GradientTape() as tape:`, every op whose input is a trainable Variable,
    a watched value (`tape.watch(x)`), or the output of such an op, is recorded.
    `tape.gradient(target, sources)` returns d(sum of target)/d(source) for each source,
    in the structure of `sources` (a tensor, list, dict or nested structure).

    persistent: allow several `gradient` calls (otherwise the second one raises).
    watch_accessed_variables: track trainable Variables without `watch` (default True).
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._watched = {}  # id -> (value, Leaf) for watched arrays, tensors and variables
        self._lent = []  # (tensor, Leaf) given to untracked tensors by `watch`, taken back on exit
        self._used = False
        self._active = False
        self._since = -1  # nodes numbered at or below this were recorded before a reset()

    def __enter__(self):
        if self._active:
            raise RuntimeError("this GradientTape is already recording (nested `with` on one tape)")
        self._active = True
        STATE.tapes = STATE.tapes + (self,)
        _refresh_state()
        return self

    def __exit__(self, *exc):
        self._active = False
        STATE.tapes = tuple(t for t in STATE.tapes if t is not self)
        _refresh_state()
        for x, leaf in self._lent:  # a watched tensor is not tracked by later tapes
            if x._node is leaf:
                x._node = None
        self._lent = []
        return False

    @contextlib.contextmanager
    def stop_recording(self):
        """Temporarily stop recording on this tape (ops inside are constants to it)."""
        if not self._active:
            raise ValueError("stop_recording() is only valid while the tape is recording")
        STATE.tapes = tuple(t for t in STATE.tapes if t is not self)
        _refresh_state()
        try:
            yield
        finally:
            STATE.tapes = STATE.tapes + (self,)
            _refresh_state()

    def reset(self):
        """Forget everything recorded so far: watches and operations (the tape keeps recording
        if active). Values computed before the reset are constants to this tape afterwards."""
        self._watched = {}
        self._used = False
        self._since = next(_creation_order)
        if self._active:
            _refresh_state()

    def watch(self, value):
        """Track `value` (a tensor, array, variable, or a structure of them) on this tape."""
        for x in tree.flatten(value):
            if isinstance(x, Variable):
                self._watched[id(x)] = (x, x._leaf)
            elif isinstance(x, Tensor):
                if x._node is None:
                    x._node = _WatchedLeaf(x.data.shape, x.data.dtype)
                    self._lent.append((x, x._node))
                if type(x._node) is _WatchedLeaf:
                    self._watched[id(x)] = (x, x._node)
            elif isinstance(x, np.ndarray):
                self._watched[id(x)] = (x, Leaf(x.shape, x.dtype))
            else:
                raise TypeError(
                    f"GradientTape.watch expects tensors, arrays or variables, got "
                    f"{type(x).__name__}; convert it first with lamina.ops.convert_to_tensor "
                    "and compute with that same tensor"
                )
        if self._active:
            _refresh_state()

    def watched_variables(self):
        """The variables explicitly watched with `watch`."""
        return tuple(v for v, _ in self._watched.values() if isinstance(v, Variable))

    def _source_node(self, x):
        entry = self._watched.get(id(x))
        if entry is not None and entry[0] is x:
            return entry[1]
        if isinstance(x, Variable):  # unless watched, only trainable ones on an auto-watching tape
            return x._leaf if x.trainable and self._watch_accessed_variables else None
        if isinstance(x, Tensor):  # another tape's watched tensor is a constant here
            return None if type(x._node) is _WatchedLeaf else x._node
        return None

    def _check_usable(self):
        if self._used and not self.persistent:
            raise RuntimeError(
                "a non-persistent GradientTape can compute gradients only once; create it with "
                "GradientTape(persistent=True) to call gradient() several times"
            )
        self._used = True

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(target)/d(sources), shaped like `sources`; a non-scalar target is summed.

        A source the target does not depend on gets None, or zeros with
        `unconnected_gradients="zero"`.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}"
            )
        self._check_usable()
        flat = type(sources) is list and not any(map(tree.is_nested, sources))
        flat_sources = sources if flat else tree.flatten(sources)
        nodes = [self._source_node(s) for s in flat_sources]
        targets = _target_nodes(target, self)
        grads = self._backprop_all(targets, [n for n in nodes if n is not None], output_gradients)
        barrier_parents = tuple(n for n, _ in targets if n is not None) if STATE.recording else ()
        out = []
        for s, n in zip(flat_sources, nodes):
            g = grads.get(n) if n is not None else None
            if g is None:
                if unconnected_gradients == "zero":
                    out.append(Tensor(np.zeros(np.shape(s), dtype=_float_dtype(s))))
                else:
                    out.append(None)
                continue
            if g.base is not None:
                g = np.array(g)  # never hand out a view of the graph's (read-only) buffers
            node = barrier(barrier_parents, g.shape, g.dtype) if barrier_parents else None
            out.append(Tensor(g, node))
        if not self.persistent:
            self._watched = {}
        return out if flat else tree.pack_as(sources, out)

    def gradient_arrays(self, target, variables):
        """The fast path for an optimizer step: d(target)/d(variable) for each Variable of the
        list `variables`, as NumPy arrays (None where the target does not depend on it).

        The same numbers as `gradient(target, variables)`, without what a training step does
        not need: no Tensor wrapping, no copies (an array may be a read-only view of the graph's
        buffers: read it, do not modify it) and no recording of the gradients themselves (so no
        higher-order derivatives through them). Counts as this tape's one `gradient` call.
        """
        self._check_usable()
        nodes = [self._source_node(v) for v in variables]
        grads = self._backprop_all(_target_nodes(target, self), [n for n in nodes if n is not None], None)
        if not self.persistent:
            self._watched = {}
        return [grads.get(n) if n is not None else None for n in nodes]

    def _backprop_all(self, targets, source_nodes, output_gradients):
        total = {}
        seeds = tree.flatten(output_gradients) if output_gradients is not None else None
        wanted = set(source_nodes)
        for i, (node, value) in enumerate(targets):
            if node is None:
                continue
            if seeds is not None:
                seed = np.asarray(as_array(seeds[i]), dtype=value.dtype)
                seed = np.broadcast_to(seed, value.shape)
            elif value.ndim == 0:
                seed = _scalar_one(value.dtype)
            else:
                seed = np.ones(value.shape, dtype=value.dtype)
            with threads.flushing():  # subnormal gradients would be ~100x slower (threads.py)
                grads = backprop(node, seed, wanted, tape=self)
            for src, g in grads.items():
                total[src] = g if src not in total else total[src] + g
        return total

    def jacobian(self, target, sources, unconnected_gradients="none"):
        """d(target[i...])/d(source[j...]): shape target.shape + source.shape per source."""
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"unconnected_gradients must be 'none' or 'zero', got {unconnected_gradients!r}"
            )
        self._check_usable()
        (node, value), = _target_nodes(target, self)
        flat_sources = tree.flatten(sources)
        nodes = [self._source_node(s) for s in flat_sources]
        live = [n for n in nodes if n is not None]
        rows = {n: [] for n in live}
        connected = set()
        for i in range(value.size):
            seed = np.zeros(value.size, value.dtype)
            seed[i] = 1
            grads = backprop(node, seed.reshape(value.shape), live, tape=self) if node else {}
            for n in live:
                g = grads.get(n)
                if g is not None:
                    connected.add(n)
                rows[n].append(np.zeros(n.shape, n.dtype) if g is None else g)
        out = []
        for s, n in zip(flat_sources, nodes):
            if n is None or (n not in connected and unconnected_gradients == "none"):
                out.append(
                    None if unconnected_gradients == "none"
                    else Tensor(np.zeros(value.shape + np.shape(s), _float_dtype(s)))
                )
                continue
            out.append(Tensor(np.stack(rows[n]).reshape(value.shape + n.shape)))
        return tree.pack_as(sources, out)


def _target_nodes(target, tape):
    """[(node or None, value array)] for each tensor in `target`; checks dtypes."""
    if type(target) is Tensor and target.data.dtype.kind in "fc":  # the common case
        return [(target._node, target.data)]
    out = []
    for t in tree.flatten(target):
        if isinstance(t, Variable):
            node, value = t._leaf, t.data
        elif isinstance(t, Tensor):
            node, value = t._node, t.data
        elif isinstance(t, np.ndarray):
            entry = tape._watched.get(id(t))
            node, value = (entry[1] if entry else None), t
        elif t is None:
            raise TypeError("GradientTape.gradient: the target is None (did the function return?)")
        else:
            node, value = None, np.asarray(t)
        if value.dtype.kind not in "fc":
            raise TypeError(
                f"cannot differentiate a target of dtype {value.dtype}: gradients are defined for "
                "float values only. The target was probably computed with integer or boolean ops "
                "(argmax, comparisons, casts); cast to float before, or differentiate a float loss."
            )
        out.append((node, value))
    return out


_ONES = {}


def _scalar_one(dtype):
    """A shared read-only 0-d 1 (the seed of a scalar loss; backward never writes to g)."""
    one = _ONES.get(dtype)
    if one is None:
        one = np.ones((), dtype)
        one.flags.writeable = False
        _ONES[dtype] = one
    return one


def _float_dtype(x):
    dt = getattr(x, "dtype", None)
    return dt if dt is not None and np.dtype(dt).kind == "f" else np.float32
