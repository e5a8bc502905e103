"""Output shapes and dtypes of an op called on KerasTensors (symbolic shape inference).

Generic rule: run the op itself on stand-in arrays, twice, with every unknown (None)
dimension set to 5 in the first run and to 7 in the second; an output dimension that is
the same in both runs is static, one that differs depends on an unknown input dimension
and stays None. This follows the op's real code, so reductions, concatenation, reshape
with -1, matmul and broadcasting come out right without a rule per op. When the stand-ins
do not fit the op (a window wider than 5, a split into 4 parts), the runs are retried with
12 and 24, and last with unknown dims sized as broadcasting against the other arguments
requires ((None, None, 5) + (4, 1) -> (None, 4, 5)). Indexing (`x[..., :3]`) has its own
rule, because a slice of an unknown dimension is unknown even when both stand-ins happen
to be long enough.

Stand-in values: integers and booleans are zeros (valid indices), floats are ones plus a
boosted diagonal on square trailing matrices (so inv/cholesky/solve succeed). Stand-ins are
zero-strided views (`np.broadcast_to`), so they take no memory whatever shape they claim;
broadcasting element-wise ops get their shape from a rule without running at all; any
other op runs only when its stand-ins, and the shapes its constant arguments ask an
array-creating op for, hold at most `MAX_STAND_IN` elements (a 20 KB file declaring
(None, 20000, 20000) inputs must not take gigabytes while its shapes are inferred).
"""
import numpy as np

from lamina.engine import tree
from lamina.engine.graph import STATE
from lamina.engine.tensor import Tensor
from lamina.layers.symbolic import MAX_STAND_IN, KerasTensor

_FILLS = ((5, 7), (12, 24))
# ops whose constant arguments say how big an array to make (checked before running)
_CREATORS = frozenset({
    "ones", "zeros", "full", "empty", "eye", "identity", "tri", "arange", "linspace", "logspace",
    "tile", "repeat", "broadcast_to", "one_hot", "multi_hot", "pad", "meshgrid", "histogram",
})
# element-wise ops that broadcast their tensor arguments: the output shape needs no run
_BROADCASTING = frozenset({
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power",
    "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "arctan2", "hypot",
})


def stand_in(t, fill, shape=None, writable=False):
    """A concrete array for KerasTensor `t`, unknown dims set to `fill` (or to the known
    sizes in `shape`, where it has them): a read-only zero-strided view unless `writable`."""
    shape = tuple(fill if d is None else d for d in (shape or t.shape))
    dtype = np.dtype(t.dtype)
    if dtype.kind not in "fc":
        base = np.zeros((), dtype)
    elif len(shape) >= 2 and shape[-1] == shape[-2] and shape[-1] > 0:
        n = shape[-1]  # n * n <= the stand-in's size, which is bounded before this runs
        base = np.ones((n, n), dtype) + n * np.eye(n, dtype=dtype)
    else:
        base = np.ones((), dtype)
    view = np.broadcast_to(base, shape)
    return view.copy() if writable else view


def _elements(shape):
    n = 1
    for d in shape:
        n *= max(int(d), 0)
    return n


def _constant_ints(value):
    """Every integer in a constant argument (shapes, repeats, sizes)."""
    return [int(v) for v in tree.flatten(value)
            if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))]


def check_size(name, args, kwargs, fill=_FILLS[0][1]):
    """Refuse to infer (or replay at load time) op `name` when its stand-ins, or the array an
    array-creating op is asked for by its constant arguments, exceed `MAX_STAND_IN`.
    Broadcasting element-wise ops are exempt: their shape comes from a rule (no run)."""
    if name in _BROADCASTING:
        return
    flat = tree.flatten((list(args), kwargs))
    sizes = [_elements(fill if d is None else d for d in t.shape) for t in flat if isinstance(t, KerasTensor)]
    total = sum(sizes)
    if name in _CREATORS:
        created = max(sizes, default=1)
        for v in flat:
            if not isinstance(v, KerasTensor):
                for i in _constant_ints(v):
                    created *= max(abs(i), 1)
        total = max(total, created)
    if total > MAX_STAND_IN:
        raise ValueError(
            f"keras.ops.{name} on arguments of shapes {describe(args, kwargs) or '(constants)'} "
            f"would need arrays of about {total:,} elements to infer its output shape, over the "
            f"{MAX_STAND_IN:,}-element bound; give the inputs smaller shapes, or call the op "
            "inside a layer's call()")


def _broadcast_shape(args, kwargs):
    """Output shape of a broadcasting element-wise op from its arguments' shapes (None for
    an unknown dimension no argument fixes), or None when an argument is not an array."""
    flat = tree.flatten((list(args), kwargs))
    if not all(isinstance(x, (KerasTensor, int, float, bool, np.generic, np.ndarray)) for x in flat):
        return None
    shapes = [tuple(x.shape) for x in flat if hasattr(x, "shape")]
    out = []
    for i in range(1, max(len(s) for s in shapes) + 1):
        dims = {s[-i] for s in shapes if len(s) >= i}
        known = dims - {None, 1}
        if len(known) > 1:
            raise ValueError(f"shapes {', '.join(map(str, shapes))} cannot be broadcast together")
        out.append(known.pop() if known else (None if None in dims else 1))
    return tuple(reversed(out))


def _tiny(x):
    """A one-element stand-in of `x`'s rank and dtype (to learn an op's result dtype)."""
    return KerasTensor((1,) * x.ndim, dtype=x.dtype) if isinstance(x, KerasTensor) else x


def _run(fn, args, kwargs, fill, shapes=None, writable=False):
    def concrete(x):
        if not isinstance(x, KerasTensor):
            return x
        return stand_in(x, fill, shapes.get(id(x)) if shapes else None, writable)

    cargs, ckwargs = tree.map_structure(concrete, (list(args), kwargs))
    saved = STATE.recording
    STATE.recording = False  # nothing of this run reaches a GradientTape
    try:
        with np.errstate(all="ignore"):
            return fn(*cargs, **ckwargs)
    finally:
        STATE.recording = saved


def _array(name, x):
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (np.ndarray, np.generic, bool, int, float, complex)):
        return np.asarray(x)
    raise TypeError(f"keras.ops.{name} returned a {type(x).__name__}, not a tensor, on symbolic "
                    "inputs: it cannot be a node of a functional model; call it inside a layer")


def _merge(name, first, second):
    flat_a, flat_b = tree.flatten(first), tree.flatten(second)
    if len(flat_a) != len(flat_b):
        raise ValueError(f"keras.ops.{name}: the number of results depends on an unknown (None) "
                         "dimension of its inputs (e.g. unstack or split along it); give that "
                         "dimension a size, or pass the count (num=...) explicitly")
    specs = []
    for a, b in zip(flat_a, flat_b):
        a, b = _array(name, a), _array(name, b)
        if a.ndim != b.ndim:
            raise ValueError(f"keras.ops.{name}: the rank of the result depends on the unknown "
                             "(None) dimensions of its inputs, so it has no static shape; give "
                             "those dimensions a size in keras.Input(shape=...)")
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        specs.append(KerasTensor(shape, dtype=a.dtype.name))
    if not tree.is_nested(first):
        return specs[0]
    return tree.pack_as(first, specs)


def describe(args, kwargs):
    """The symbolic arguments' shapes, for error messages."""
    shapes = [str(t.shape) for t in tree.flatten((list(args), kwargs)) if isinstance(t, KerasTensor)]
    return ", ".join(shapes)


def _error(name, args, kwargs, e, stood_in):
    note = (" (unknown dimensions were stood in by 5 and 7 to infer the output shape)"
            if stood_in else "")
    msg = (f"keras.ops.{name} cannot be applied to symbolic inputs of shapes "
           f"{describe(args, kwargs)}: {e}{note}")
    kind = type(e) if isinstance(e, (ValueError, TypeError, IndexError, NotImplementedError)) else ValueError
    try:
        return kind(msg)
    except Exception:  # noqa: BLE001  (an exception class with another constructor)
        return ValueError(msg)


def infer(name, fn, args, kwargs):
    """The KerasTensor(s) `fn(*args, **kwargs)` would produce, with None for unknown dims."""
    if name == "get_item" and len(args) == 2 and not kwargs:
        spec = getitem_spec(args[0], args[1])
        if spec is not None:
            return spec
    if name in _BROADCASTING:
        try:
            shape = _broadcast_shape(args, kwargs)
        except ValueError as e:
            raise _error(name, args, kwargs, e, False) from None
        if shape is not None:  # dtype from a one-element run, shape from the rule
            tiny_args, tiny_kwargs = tree.map_structure(_tiny, (list(args), kwargs))
            try:
                tiny = _array(name, _run(fn, tiny_args, tiny_kwargs, 1))
            except Exception as e:  # noqa: BLE001  (the op rejected its arguments)
                raise _error(name, args, kwargs, e, False) from e
            return KerasTensor(shape, dtype=tiny.dtype.name)
    check_size(name, args, kwargs, _FILLS[0][1])
    symbolic = [t for t in tree.flatten((list(args), kwargs)) if isinstance(t, KerasTensor)]
    unknown = any(d is None for t in symbolic for d in t.shape)
    first_error = None
    attempts = [(a, b, None) for a, b in _FILLS] + [_FILLS[0] + (_broadcast_sizes(args, kwargs),)]
    for fill_a, fill_b, shapes in (attempts if unknown else attempts[:1]):
        try:
            check_size(name, args, kwargs, fill_b)  # the larger stand-ins of a retry, too
            try:
                out_a = _run(fn, args, kwargs, fill_a, shapes)
                out_b = _run(fn, args, kwargs, fill_b, shapes) if unknown else out_a
            except ValueError as e:  # an op writing into its input: writable (bounded) copies
                if "read-only" not in str(e):
                    raise
                out_a = _run(fn, args, kwargs, fill_a, shapes, writable=True)
                out_b = _run(fn, args, kwargs, fill_b, shapes, writable=True) if unknown else out_a
        except Exception as e:  # noqa: BLE001  (the op rejected the stand-ins, or the shapes)
            first_error = first_error or e
            continue
        return _merge(name, out_a, out_b)
    raise _error(name, args, kwargs, first_error, unknown) from first_error


def _broadcast_sizes(args, kwargs):
    """Last resort when no stand-in size fits: give each unknown dim the one size > 1 that
    the other arguments have at the same trailing position, as broadcasting would
    ((None, None, 5) + (4, 1) -> (None, 4, 5)). Tried only after the plain runs failed,
    so it never overrides a result they could compute."""
    flat = [x for x in tree.flatten((list(args), kwargs)) if hasattr(x, "shape")]
    shapes = [tuple(x.shape) for x in flat]
    known = {}
    for i in range(1, max((len(s) for s in shapes), default=0) + 1):
        sizes = {s[-i] for s in shapes if len(s) >= i and s[-i] not in (None, 1)}
        if len(sizes) == 1:
            known[i] = sizes.pop()
    return {id(x): tuple(known.get(len(x.shape) - j) if d is None else d for j, d in enumerate(x.shape))
            for x in flat if isinstance(x, KerasTensor)}


# --- indexing --------------------------------------------------------------------------

def _is_int(k):
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def _is_basic(k):
    if k is None or k is Ellipsis or _is_int(k):
        return True
    return isinstance(k, slice) and all(v is None or _is_int(v) for v in (k.start, k.stop, k.step))


def getitem_spec(x, key):
    """Shape of `x[key]` for basic indexing (ints, slices, None, Ellipsis); None otherwise."""
    if not isinstance(x, KerasTensor):
        return None
    key = key if isinstance(key, tuple) else (key,)
    if not all(_is_basic(k) for k in key):
        return None  # advanced indexing: the generic rule runs the op
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError(f"an index can only have a single ellipsis ('...'), got {key}")
    consumed = sum(1 for k in key if k is not None and k is not Ellipsis)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for a KerasTensor of shape {x.shape}: {consumed} "
                         f"indices for {x.ndim} dimensions")
    fill = (slice(None),) * (x.ndim - consumed)
    if Ellipsis in key:
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:at] + fill + key[at + 1:]
    else:
        key = key + fill
    dims, out = iter(x.shape), []
    for k in key:
        if k is None:
            out.append(1)
            continue
        d = next(dims)
        if isinstance(k, slice):
            if k.step == 0:
                raise ValueError("slice step cannot be zero")
            out.append(None if d is None else len(range(*k.indices(d))))
        elif d is not None and not -d <= k < d:
            raise IndexError(f"index {k} is out of bounds for a dimension of size {d} "
                             f"(KerasTensor shape {x.shape})")
    return KerasTensor(tuple(out), dtype=x.dtype)
