"""Operations: `keras.ops` calls recorded as nodes of a functional model (Keras's `Operation`).

    inputs = keras.Input(shape=(32,))
    y = keras.ops.mean(layers.Dense(8)(inputs), axis=-1, keepdims=True)   # shape (None, 1)

Calling a public op (or a Python operator: + - * / ** @, unary -, x[...]) on a KerasTensor
creates an `Operation` object, one class per op named as Keras names it (`Add`, `Mean`,
`GetItem`, ...; instance names `add`, `mean_1`, ... from the same counter as layers),
computes the output KerasTensor(s) (lamina/symbolic/output_spec.py) and records a `CallNode`.
A functional model replays the node by calling the op again on real tensors.

Like Keras, an op's non-tensor keyword arguments (axis=..., keepdims=...) are its config,
the rest are the node's call arguments; this is also how the `.keras` files store them.
Ops that need values to know their shape, and control flow, are refused on symbolic
inputs with a message pointing at a layer.
"""
import numpy as np

from lamina import naming
from lamina.engine import dtypes, tree
from lamina.symbolic.keras_tensor import CallNode, KerasTensor, any_symbolic
from lamina.symbolic import dispatch as _dispatch, output_spec as _output_spec

# Keras's aliases: keras.ops.abs records an Absolute op, x[...] a GetItem op
_CANONICAL = {"abs": "absolute", "getitem": "get_item"}

# ops answered from the KerasTensor itself: shape (None for unknown dims), dtype name, rank
_STATIC_PROPERTIES = {"shape": lambda x: x.shape, "dtype": lambda x: x.dtype, "ndim": lambda x: x.ndim}
_CONTROL_FLOW = ("cond", "switch", "while_loop", "fori_loop", "scan", "map", "vectorized_map")
_DATA_DEPENDENT = ("nonzero", "bincount")


class Operation:
    """One `keras.ops` function with its static arguments, callable on tensors.

    `static_kwargs` are the non-tensor keyword arguments (axis, keepdims, ...), stored in
    the op's config; tensors (and any positional argument) are passed at each call.
    """

    op_name = None  # the lamina.ops name, set on each per-op subclass

    def __init__(self, static_kwargs=None, name=None):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"an operation name must be a string without '/', got {name!r}")
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        self.static_kwargs = dict(static_kwargs or {})
        self._fn = _dispatch.op_function(self.op_name)
        self._call_nodes = []

    def __call__(self, *args, **kwargs):
        if any_symbolic(args, kwargs):
            return self.symbolic_call(args, kwargs)
        return self._fn(*args, **self.static_kwargs, **kwargs)

    def symbolic_call(self, args, kwargs):
        """Output KerasTensor(s) of this op on symbolic `args`, recorded as a node."""
        args, kwargs = list(args), dict(kwargs)
        _check_traceable(self.op_name, args, {**self.static_kwargs, **kwargs})
        if self.op_name == "get_item" and len(args) == 2 and isinstance(args[1], list):
            args[1] = tuple(args[1])  # a saved index (JSON has no tuples)
        outputs = _output_spec.infer(self.op_name, self._fn, args, {**self.static_kwargs, **kwargs})
        node = CallNode(self, tuple(args), kwargs, outputs)
        self._call_nodes.append(node)
        return outputs

    @property
    def input(self):
        return self._first_node().args[0]

    @property
    def output(self):
        return self._first_node().outputs

    def _first_node(self):
        if not self._call_nodes:
            raise AttributeError(f"operation {self.name!r} has never been called")
        return self._call_nodes[0]

    def get_config(self):
        return {"name": self.name, **self.static_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config, name=config.pop("name", None))

    def __repr__(self):
        return f"<{type(self).__name__} operation name={self.name}>"


_CLASSES = {}


_ACRONYM_CLASSES = {"rgb_to_grayscale": "RGBToGrayscale", "rgb_to_hsv": "RGBToHSV",
                    "hsv_to_rgb": "HSVToRGB"}


def class_name_of(op_name):
    """Keras's class name for an op: `get_item` -> `GetItem`, `log1p` -> `Log1p`."""
    if op_name in _ACRONYM_CLASSES:
        return _ACRONYM_CLASSES[op_name]
    return "".join(part[:1].upper() + part[1:] for part in op_name.split("_"))


def operation_class(op_name):
    """The Operation subclass for public op `op_name` (made once, then cached)."""
    cls = _CLASSES.get(op_name)
    if cls is None:
        _dispatch.op_function(op_name)  # an unknown name raises here
        cls = type(class_name_of(op_name), (Operation,), {
            "op_name": op_name, "__module__": __name__,
            "__doc__": f"`keras.ops.{op_name}` as a node of a functional model."})
        _CLASSES[op_name] = cls
    return cls


def _is_static(value):
    leaves = tree.flatten(value)
    return all(v is None or isinstance(v, (bool, int, float, str)) for v in leaves)


def _check_traceable(name, args, kwargs):
    if name in _CONTROL_FLOW:
        raise NotImplementedError(
            f"keras.ops.{name} on symbolic tensors (KerasTensors) is not supported by lamina: "
            "put the control flow in the call() of a custom Layer (or a layers.Lambda) and "
            "call that layer in the functional model")
    if name == "convert_to_numpy":
        raise TypeError("a KerasTensor is a symbolic placeholder with no values: it cannot be "
                        "converted to a NumPy array; build a Model(inputs, outputs) and call it "
                        "on data")
    where_one_arg = name == "where" and len(args) < 2 and kwargs.get("x1") is None
    segments = name.startswith("segment_") and kwargs.get("num_segments", args[2] if len(args) > 2 else None) is None
    mask = name == "get_item" and len(args) == 2 and any(
        str(getattr(k, "dtype", "")) == "bool" for k in tree.flatten(args[1]))
    if name in _DATA_DEPENDENT or where_one_arg or segments or mask:
        raise NotImplementedError(
            f"keras.ops.{name} on symbolic tensors: the shape of its result depends on the "
            "values of its inputs, which a KerasTensor does not have"
            + (" (pass num_segments=...)" if segments else "")
            + "; compute it inside the call() of a custom Layer instead")


def trace(name, fn, values):
    """The symbolic result of public op `name` called with parameter `values` (its locals).

    Required positional parameters become positional node arguments; the others are kept
    by keyword, and only when not left at their default (as the user wrote the call).
    """
    first = next(iter(values.values()), None)
    if name in _STATIC_PROPERTIES and isinstance(first, KerasTensor):
        return _STATIC_PROPERTIES[name](first)  # as Keras: known without a node
    positional, varargs, kwonly, varkw, defaults = _dispatch.parameters(fn)
    star = list(values[varargs]) if varargs else []
    args, kwargs = [], {}
    for p in positional:
        v = values[p]
        if p not in defaults or star:
            args.append(v)
        elif v is not defaults[p]:
            kwargs[p] = v
    args += star
    for p in kwonly:
        if p not in defaults or values[p] is not defaults[p]:
            kwargs[p] = values[p]
    if varkw:
        kwargs.update(values[varkw])
    return symbolic_call(name, args, kwargs)


def symbolic_call(name, args, kwargs=None):
    """Record public op `name` on symbolic arguments: a new Operation and its node."""
    name = _CANONICAL.get(name, name)
    kwargs = dict(kwargs or {})
    if "dtype" in kwargs and kwargs["dtype"] is not None and not isinstance(kwargs["dtype"], str):
        kwargs["dtype"] = dtypes.standardize(kwargs["dtype"])
    if name == "get_item" and len(args) == 2:
        args = [args[0], _index_arrays(args[1])]
    static = {k: v for k, v in kwargs.items() if _is_static(v)}
    dynamic = {k: v for k, v in kwargs.items() if k not in static}
    op = operation_class(name)(static)
    return op.symbolic_call(args, dynamic)


def _index_arrays(key):
    """Lists inside an index (NumPy's fancy indexing) as arrays: a saved index (where JSON
    turns tuples into lists) then reads back unambiguously."""
    if isinstance(key, list):
        return np.asarray(key)
    if isinstance(key, tuple):
        return tuple(np.asarray(k) if isinstance(k, list) else k for k in key)
    return key
