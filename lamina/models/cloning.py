"""`keras.models.clone_model`: a new model with the same architecture and fresh weights.

Sequential and functional models are rebuilt layer by layer: each layer is copied by
`clone_function(layer)` (default: `type(layer).from_config(layer.get_config())`, so the
weights are newly initialized, as in Keras; return the layer itself to share it), and for
functional models each call can be replaced by `call_function(layer, *args, **kwargs)`.
`input_tensors` (symbolic `keras.Input` tensors) become the clone's inputs. Other models
are rebuilt from their config.
"""

from lamina.engine import tree
from lamina.layers.base.layer import Layer
from lamina.layers.core.input_layer import Input, InputLayer
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.models.functional import Functional, graph_nodes
from lamina.models.sequential import Sequential


def _default_clone(layer):
    if getattr(type(layer), "holds_code", False):
        # a copy in memory, not a load: the code is the caller's own object, handed over as
        # it is (by name it might not be found, and safe mode is about files)
        config = {**layer.get_config(), **layer.code_objects()}
        return type(layer).from_config(config, safe_mode=False)
    return type(layer).from_config(layer.get_config())


def clone_model(
    model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs
):
    clone = _clone(model, input_tensors, clone_function, call_function, recursive, kwargs)
    if getattr(model, "compiled", False) and not getattr(clone, "compiled", False):
        # as Keras 3: a compiled model's clone is compiled the same way (a new optimizer
        # from the config, the same losses and metrics)
        clone.compile_from_config(model.get_compile_config())
    return clone


def _clone(model, input_tensors, clone_function, call_function, recursive, kwargs):
    if kwargs:
        raise ValueError(f"clone_model: unexpected arguments {sorted(kwargs)}")
    clone_function = clone_function or _default_clone
    if recursive:  # nested models are cloned the same way as the outer one
        clone_function = _recursive(clone_function, call_function)
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, clone_function)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_function, call_function)
    if input_tensors is not None:
        raise ValueError(
            f"clone_model: input_tensors needs a Sequential or functional model, got a "
            f"subclassed {type(model).__name__}"
        )
    try:
        return type(model).from_config(model.get_config())
    except (NotImplementedError, TypeError) as err:
        raise ValueError(
            f"clone_model: cannot rebuild the subclassed model {type(model).__name__} from its "
            f"config ({err}); implement get_config/from_config, or build the model "
            "functionally"
        ) from err


def _recursive(clone_function, call_function):
    def fn(layer):
        if isinstance(layer, (Sequential, Functional)):
            return clone_model(
                layer, clone_function=clone_function, call_function=call_function, recursive=True
            )
        return clone_function(layer)

    return fn


def _check_clone(layer, clone):
    if not isinstance(clone, Layer):
        raise ValueError(
            f"clone_model: clone_function must return a Layer, got {type(clone).__name__} "
            f"for layer {layer.name!r}"
        )
    return clone


def _as_input_list(input_tensors, expected, kind):
    flat = (
        tree.flatten(input_tensors)
        if isinstance(input_tensors, (list, tuple, dict))
        else [input_tensors]
    )
    if len(flat) != expected:
        raise ValueError(
            f"clone_model: the {kind} model has {expected} input(s), got {len(flat)} input_tensors"
        )
    for t in flat:
        if not isinstance(t, KerasTensor):
            raise ValueError(
                f"clone_model: input_tensors must be symbolic tensors (keras.Input(...)), got "
                f"{type(t).__name__}"
            )
    return flat


def _clone_sequential(model, input_tensors, clone_function):
    layers = [_check_clone(layer, clone_function(layer)) for layer in model.layers]
    first = []
    if input_tensors is not None:
        (tensor,) = _as_input_list(input_tensors, 1, "Sequential")
        if tensor._keras_history is None or not isinstance(
            tensor._keras_history[0].layer, InputLayer
        ):
            raise ValueError(
                "clone_model: a Sequential clone's input_tensors must come straight from "
                "keras.Input(...); for other tensors, call the clone on them"
            )
        first = [tensor]
    elif model._input_layer is not None:
        source = model._input_layer
        first = [Input(batch_shape=source.batch_shape, dtype=source.dtype, sparse=source.sparse)]
    return Sequential(first + layers, trainable=model.trainable, name=model.name)


def _clone_functional(model, input_tensors, clone_function, call_function):
    if input_tensors is None:
        new_inputs = [
            Input(
                batch_shape=t.shape, dtype=t.dtype, sparse=getattr(t, "sparse", False), name=t.name
            )
            for t in model.inputs
        ]
    else:
        new_inputs = _as_input_list(input_tensors, len(model.inputs), "functional")
    values = {id(t): n for t, n in zip(model.inputs, new_inputs)}
    clones = {}
    for node in graph_nodes(model.inputs, model.outputs):
        layer = node.layer
        if id(layer) not in clones:
            clones[id(layer)] = (
                _check_clone(layer, clone_function(layer))
                if isinstance(layer, Layer)
                else type(layer).from_config(layer.get_config())
            )  # a keras.ops node
        new = clones[id(layer)]
        args, kwargs = tree.map_structure(
            lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, (node.args, node.kwargs)
        )
        outs = (
            call_function(new, *args, **kwargs)
            if call_function and isinstance(layer, Layer)
            else new(*args, **kwargs)
        )
        flat = tree.flatten(outs) if tree.is_nested(node.outputs) else [outs]
        for t, v in zip(node.flat_outputs, flat):
            values[id(t)] = v
    outputs = tree.pack_as(model._outputs_struct, [values[id(t)] for t in model.outputs])
    inputs = (
        tree.pack_as(model._inputs_struct, new_inputs) if input_tensors is None else input_tensors
    )
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
