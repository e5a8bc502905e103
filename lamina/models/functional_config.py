"""Functional models to and from Keras 3's config: layers (and keras.ops operations, see
lamina/saving/op_config.py) with their inbound call nodes. The graph is the model's business
(here, beside Functional); each layer's dict goes through the saving codec.

    {"name", "trainable",
     "layers": [{...serialized layer..., "name": "dense", "inbound_nodes": [
                    {"args": [<__keras_tensor__ with keras_history [layer, node, tensor]>],
                     "kwargs": {}}]}, ...],
     "input_layers": [["input_a", 0, 0], ...], "output_layers": ["dense_2", 0, 0]}

A node index counts only the calls that belong to this model (a nested functional model
counts its own creation as call 0, as Keras does).
"""
from lamina.engine import tree
from lamina.codec import serialization
from lamina.saving import op_config
from lamina.codec.errors import SavingError
from lamina.saving.state import keras_functional_order
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.layers.base.layer import Layer
from lamina.layers.core.input_layer import InputLayer


def _own_nodes(model):
    own = {id(n) for n in model._nodes}
    for t in model.inputs:
        if t._keras_history is not None:
            own.add(id(t._keras_history[0]))
    return own


def _node_index(node, own):
    from lamina.models.functional import Functional  # noqa: PLC0415  (functional.py imports this module)

    layer = node.layer
    kept = [n for n in layer._call_nodes if id(n) in own]
    index = next(i for i, n in enumerate(kept) if n is node)
    return index + (1 if isinstance(layer, Functional) else 0)


def _history(t, own):
    node, index = t._keras_history
    return [node.layer.name, _node_index(node, own), index]


def get_functional_config(model):
    own = _own_nodes(model)

    def tensor_config(t):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": _history(t, own)}}

    def serialize_args(value):
        if isinstance(value, KerasTensor):
            return tensor_config(value)
        if isinstance(value, (list, tuple)):
            return [serialize_args(v) for v in value]
        if isinstance(value, dict):
            return {k: serialize_args(v) for k, v in value.items()}
        return serialization.serialize_keras_object(value)

    layers = []
    for layer in keras_functional_order(model):
        if op_config.is_operation(layer):  # a keras.ops call on symbolic tensors
            entry = op_config.serialize_operation(layer)
        else:
            entry = serialization.serialize_keras_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": serialize_args(list(n.args)), "kwargs": serialize_args(dict(n.kwargs))}
            for n in layer._call_nodes if id(n) in own and n.parents
        ]
        layers.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": tree.map_structure(lambda t: _history(t, own), model._inputs_struct),
        "output_layers": tree.map_structure(lambda t: _history(t, own), model._outputs_struct),
    }


class _NotYet(Exception):
    """A node's inputs do not exist yet (a layer shared at several depths): retry later."""


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild the graph by calling each deserialized layer on its recorded inputs."""
    from lamina.models.functional import Functional  # noqa: PLC0415  (functional.py imports this module)

    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise SavingError(f"the functional model config has no {key!r}")
    if not isinstance(config["layers"], list):
        raise SavingError("the functional model's 'layers' must be a list")
    created, pending, order = {}, {}, []
    for data in config["layers"]:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SavingError(f"a layer entry of the functional model has no name: {str(data)[:200]}")
        if op_config.is_operation_entry(data):
            layer = op_config.operation_from_config(data, custom_objects=custom_objects)
        else:
            layer = serialization.deserialize_keras_object(data, custom_objects=custom_objects)
        if not isinstance(layer, Layer) and not op_config.is_operation(layer):
            raise SavingError(f"entry {data['name']!r} is a {type(layer).__name__}, not a layer")
        if data["name"] in created:
            raise SavingError(f"two layers are named {data['name']!r}")
        created[data["name"]] = layer
        nodes = data.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise SavingError(f"layer {data['name']!r}: 'inbound_nodes' must be a list")
        pending[data["name"]] = list(nodes)
        order.append(data["name"])
    # outputs of the calls made here, in order (an input layer's own tensor is call 0)
    layer_nodes = {name: [[layer.output_tensor]] if _is_input(layer) else []
                   for name, layer in created.items()}

    def outputs_of(name, node_index, tensor_index):
        if not isinstance(name, str) or name not in created:
            raise SavingError(f"a node refers to unknown layer {name!r}")
        if not isinstance(node_index, int) or not isinstance(tensor_index, int):
            raise SavingError(f"bad tensor reference {[name, node_index, tensor_index]}")
        layer = created[name]
        if isinstance(layer, Functional):
            node_index -= 1
        nodes = layer_nodes[name]
        if node_index < 0:
            raise SavingError(f"bad tensor reference {[name, node_index, tensor_index]}")
        if node_index >= len(nodes):
            raise _NotYet
        flat = nodes[node_index]
        if not 0 <= tensor_index < len(flat):
            raise SavingError(f"layer {name!r} has no output #{tensor_index}")
        return flat[tensor_index]

    while any(pending.values()):
        progress = False
        for name in order:
            queue = pending[name]
            while queue:
                try:
                    args, kwargs = _node_arguments(queue[0], outputs_of, custom_objects)
                except _NotYet:
                    break
                if op_config.is_operation(created[name]):
                    op_config.check_node(created[name], args, kwargs)
                out = created[name](*args, **kwargs)
                layer_nodes[name].append(tree.flatten(out))
                queue.pop(0)
                progress = True
        if not progress:
            stuck = [n for n in order if pending[n]]
            raise SavingError(f"the functional graph cannot be rebuilt: layers {stuck} wait on "
                              "inputs that never appear (a cycle or a missing layer)")

    def tensors(struct):
        if isinstance(struct, list) and len(struct) == 3 and isinstance(struct[0], str):
            try:
                return outputs_of(*struct)
            except _NotYet:
                raise SavingError(f"model input/output {struct} refers to a call that does not exist") from None
        if isinstance(struct, dict):
            return {k: tensors(v) for k, v in struct.items()}
        if isinstance(struct, (list, tuple)):
            return [tensors(v) for v in struct]
        raise SavingError(f"cannot read the model inputs/outputs entry {struct!r}")

    inputs = tensors(config["input_layers"])
    outputs = tensors(config["output_layers"])
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
               trainable=config.get("trainable", True))


def _is_input(layer):
    return isinstance(layer, InputLayer)


def _node_arguments(data, outputs_of, custom_objects):
    """(args, kwargs) for one recorded call: Keras 3's {"args", "kwargs"} or the legacy
    list of [layer, node, tensor(, kwargs)] entries."""
    if isinstance(data, list):
        inputs, kwargs = [], {}
        for item in data:
            if not isinstance(item, list) or len(item) not in (3, 4):
                raise SavingError(f"cannot read the legacy inbound node {str(item)[:200]}")
            inputs.append(outputs_of(*item[:3]))
            if len(item) == 4 and isinstance(item[3], dict):
                kwargs = item[3]
        return [inputs[0] if len(inputs) == 1 else inputs], kwargs
    if not isinstance(data, dict):
        raise SavingError(f"cannot read the inbound node {str(data)[:200]}")

    def revive(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history")
            if not isinstance(history, list) or len(history) != 3:
                raise SavingError(f"a tensor in an inbound node has no keras_history: {value}")
            return outputs_of(*history)
        if isinstance(value, list):
            return [revive(v) for v in value]
        if isinstance(value, dict) and not ("class_name" in value and "config" in value):
            return {k: revive(v) for k, v in value.items()}
        return serialization.deserialize_keras_object(value, custom_objects=custom_objects)

    args = revive(data.get("args", []))
    kwargs = revive(data.get("kwargs", {}))
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise SavingError("an inbound node's args must be a list and its kwargs an object")
    return args, kwargs
