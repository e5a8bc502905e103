"""`keras.ops` operations inside a functional model's config, in Keras 3's layout.

An operation is listed among the model's "layers" like a layer, with its inbound nodes:

    {"module": "keras.src.ops", "class_name": "Mean", "registered_name": "Mean",
     "config": {"name": "mean", "axis": -1, "keepdims": true},
     "inbound_nodes": [{"args": [<__keras_tensor__>], "kwargs": {}}]}

The config holds the op's non-tensor keyword arguments, the node its tensors and positional
arguments. Keras writes each op's own module ("keras.src.ops.numpy", "keras.src.ops.nn",
...); every module under keras.src.ops, keras.ops or lamina.ops reads the same way.
Reading never imports or runs anything named in the file: the class name maps to a public
`lamina.ops` function (`Mean` -> `mean`, `GetItem` -> `get_item`) and only those ops can
be rebuilt.
"""
from lamina import naming
from lamina.codec import serialization
from lamina.codec.errors import SavingError

WRITE_MODULE = "keras.src.ops"  # Keras resolves every op class from this package
_READ_PREFIXES = ("keras.src.ops", "keras.ops", "lamina.ops")


def is_operation(obj):
    from lamina.symbolic.operation import Operation  # noqa: PLC0415  (the symbolic op machinery loads only for models holding op nodes)

    return isinstance(obj, Operation)


def serialize_operation(op):
    cls = type(op).__name__
    return {"module": WRITE_MODULE, "class_name": cls,
            "config": serialization.serialize_dict(op.get_config()), "registered_name": cls}


def is_operation_entry(data):
    """Whether a "layers" entry of a functional config is a keras.ops operation."""
    module = data.get("module") if isinstance(data, dict) else None
    return isinstance(module, str) and any(
        module == p or module.startswith(p + ".") for p in _READ_PREFIXES)


def operation_from_config(data, custom_objects=None):
    """The Operation described by a "layers" entry (see the module docstring)."""
    from lamina.symbolic.operation import operation_class  # noqa: PLC0415  (the symbolic op machinery loads only for models holding op nodes)

    class_name, config = data.get("class_name"), data.get("config") or {}
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise SavingError(f"cannot read the operation entry {str(data)[:200]}")
    op_name = naming.to_snake_case(class_name)
    try:
        cls = operation_class(op_name)
    except ValueError:
        raise serialization.UnknownObjectError(
            f"the model graph uses keras.ops.{op_name} (operation class {class_name!r}), which "
            "lamina does not have; rebuild the model with ops lamina has") from None
    static = {k: serialization.deserialize_keras_object(v, custom_objects=custom_objects)
              for k, v in config.items() if k != "name"}
    name = config.get("name")
    if name is not None and not isinstance(name, str):
        raise SavingError(f"operation {class_name!r}: 'name' must be a string, got {name!r}")
    try:
        return cls(static, name=name)
    except ValueError as e:
        raise SavingError(f"operation {class_name!r}: {e}") from None


def check_node(op, args, kwargs):
    """Refuse, before running it, a recorded op call with no symbolic input (Keras never
    records one: it would run eagerly at load time, e.g. `Ones([[20000, 20000]])`), and
    bound the arrays its shape inference may need (`output_spec.check_size`)."""
    from lamina.symbolic.keras_tensor import any_symbolic  # noqa: PLC0415  (the symbolic op machinery loads only for models holding op nodes)
    from lamina.symbolic import output_spec as _output_spec  # noqa: PLC0415  (the symbolic op machinery loads only for models holding op nodes)

    if not any_symbolic(args, kwargs):
        raise SavingError(
            f"operation {op.name!r} (keras.ops.{op.op_name}) is recorded with no tensor input: "
            "a functional model's op nodes take the model's tensors, so the file is not one "
            "Keras or lamina writes")
    try:
        _output_spec.check_size(op.op_name, args, {**op.static_kwargs, **kwargs})
    except ValueError as e:
        raise SavingError(f"operation {op.name!r}: {e}") from None
