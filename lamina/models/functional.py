"""Functional models: a graph of layer and `keras.ops` calls from `Input` tensors to outputs,
replayed on data."""
from lamina.engine import tree
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.base.layer import Layer
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.models.model import Model


def check_symbolic(struct, what):
    flat = tree.flatten(struct)
    for t in flat:
        if not isinstance(t, KerasTensor):
            raise TypeError(
                f"Model({what}=...) expects symbolic tensors from keras.Input(...) and layer calls, "
                f"got {type(t).__name__}"
            )
    if not flat:
        raise ValueError(f"Model: `{what}` is empty")
    return flat


def graph_nodes(inputs, outputs):
    """The call nodes needed to compute `outputs` from `inputs`, parents first."""
    input_ids = {id(t) for t in inputs}
    order, seen, stack = [], set(), [(o, False) for o in reversed(outputs)]
    while stack:
        t, expanded = stack.pop()
        if id(t) in input_ids:
            continue
        history = t._keras_history
        if history is None:
            raise ValueError(f"Model: tensor {t} was not produced by a layer or keras.Input")
        node = history[0]
        if expanded:
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
            continue
        if id(node) in seen:
            continue
        if isinstance(node.layer, InputLayer):
            names = [i.name for i in inputs]
            raise ValueError(
                f"Graph disconnected: the output depends on input {t.name!r}, which is not among "
                f"the model's inputs {names}; pass it in Model(inputs=[...])"
            )
        stack.append((t, True))
        for p in reversed(node.parents):
            stack.append((p, False))
    return order


def keras_order(inputs, outputs):
    """The layers (and keras.ops operations) computing `outputs` from `inputs`, ordered as
    Keras's `map_graph` orders them: by depth from the outputs (inputs first), ties broken by
    first visit in a depth-first walk from the outputs. This is `model.layers`' order, which
    Keras's weight files (legacy HDF5, filled layer by layer) and `get_weights` rely on."""
    input_ids = {id(t) for t in inputs}
    finished, in_progress, nodes, first_seen = set(), set(), [], {}

    def helper(t):
        history = t._keras_history
        if history is None:
            return
        node = history[0]
        if id(node) in finished:
            return
        is_input = not node.parents
        if not is_input and id(t) in input_ids:
            finished.add(id(node))
            return
        if id(node) in in_progress:
            raise ValueError(f"the graph has a cycle at layer {node.layer.name!r}")
        first_seen.setdefault(id(node.layer), len(first_seen))
        in_progress.add(id(node))
        if not is_input:
            for p in node.parents:
                helper(p)
        finished.add(id(node))
        in_progress.discard(id(node))
        nodes.append(node)

    for t in outputs:
        helper(t)
    in_graph = {id(n) for n in nodes}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes):
        depth = node_depth.setdefault(id(node), 0)
        depth = max(depth, layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for p in node.parents:
            parent = p._keras_history[0]
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for t in inputs:
        layer = t._keras_history[0].layer
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            first_seen[id(layer)] = -1
            layers[id(layer)] = layer
    by_depth = {}
    for key, depth in layer_depth.items():
        by_depth.setdefault(depth, []).append(key)
    order = []
    for depth in sorted(by_depth, reverse=True):
        order += sorted(by_depth[depth], key=lambda k: first_seen[k])
    return [layers[k] for k in order]


def run_nodes(nodes, inputs, values, outputs):
    """The values of `outputs` when the symbolic `inputs` take `values`: each node's layer
    or operation called in graph order."""
    values = {id(t): v for t, v in zip(inputs, values)}
    for node in nodes:
        args, kwargs = tree.map_structure(
            lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, (node.args, node.kwargs)
        )
        outs = node.layer(*args, **kwargs)
        flat = tree.flatten(outs) if tree.is_nested(node.outputs) else [outs]
        for t, v in zip(node.flat_outputs, flat):
            values[id(t)] = v
    return [values[id(t)] for t in outputs]


def _key_error(model_name, expected, given, where):
    missing = [k for k in expected if k not in given]
    return (f"model {model_name!r} expects a dict with keys {list(expected)} ({where}), got keys "
            f"{list(given)}; missing {missing}: rename the keys of x to match (values are matched "
            "by key, never by position)")


def _pick(struct, given):
    """`struct` with each leaf replaced by the value at the same keys/positions of `given`."""
    if isinstance(struct, dict):
        return {k: _pick(struct[k], given[k]) for k in struct}
    if isinstance(struct, (list, tuple)) and isinstance(given, (list, tuple)) and len(given) == len(struct):
        return [_pick(s, g) for s, g in zip(struct, given)]
    return given


class Functional(Model):
    """`Model(inputs, outputs)`: layers connected by calling them on symbolic tensors."""

    _not_saved = ("_operations",)  # see Layer._not_saved

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = check_symbolic(inputs, "inputs")
        self.outputs = check_symbolic(outputs, "outputs")
        self._nodes = graph_nodes(self.inputs, self.outputs)
        # every layer and keras.ops operation of the graph (the summary's rows); `layers`
        # lists only the Layers, as in Keras
        # every layer and keras.ops operation of the graph (the summary's rows) in Keras's order,
        # which is also the order of `layers`, `weights` and `get_weights` (only the Layers)
        self._operations = keras_order(self.inputs, self.outputs)
        for layer in self._operations:
            if isinstance(layer, Layer) and not any(layer is l for l in self._layers):
                self._layers.append(layer)
        self.output_names = [t._keras_history[0].layer.name for t in self.outputs]
        self.input_names = [t.name for t in self.inputs]
        self._build_shapes = tree.map_structure(lambda t: t.shape, inputs)
        self.built = True

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            return self._inputs_from_dict(inputs)
        flat = tree.flatten(inputs) if isinstance(inputs, (list, tuple, dict)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f"model {self.name!r} expects {len(self.inputs)} input(s) {self.input_names}, "
                f"got {len(flat)}"
            )
        return flat

    def _inputs_from_dict(self, inputs):
        """Values picked by key: by the keys of the dict given to `Model(inputs={...})`, else
        by the Input names (extra keys are ignored, as in Keras); never by sorted order."""
        if isinstance(self._inputs_struct, dict):
            expected, where = list(self._inputs_struct), "the keys of the model's inputs dict"
            if not all(k in inputs for k in expected):
                raise ValueError(_key_error(self.name, expected, inputs, where))
            return tree.flatten(_pick(self._inputs_struct, inputs))
        expected, where = self.input_names, "the names of the model's Input layers"
        if not all(n in inputs for n in expected):
            raise ValueError(_key_error(self.name, expected, inputs, where))
        return [inputs[n] for n in expected]

    def call(self, inputs, training=None, mask=None):
        flat = run_nodes(self._nodes, self.inputs, self._flatten_inputs(inputs), self.outputs)
        return tree.pack_as(self._outputs_struct, flat)

    def compute_output_shape(self, input_shape):
        return self.output_shape

    @property
    def _output_activation(self):
        layer = self.outputs[0]._keras_history[0].layer if len(self.outputs) == 1 else None
        return getattr(layer, "activation", None) if isinstance(layer, Layer) else None

    def get_config(self):
        """Keras 3's functional config: every layer with the calls that connect it."""
        from lamina.models import functional_config  # noqa: PLC0415  (imports the saving codec)

        return functional_config.get_functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.models import functional_config  # noqa: PLC0415  (imports the saving codec)

        return functional_config.functional_from_config(cls, config, custom_objects=custom_objects)
