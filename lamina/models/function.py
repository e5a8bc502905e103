"""`keras.Function`: a graph of layers and `keras.ops` calls between symbolic inputs and
outputs, run as a plain function (no weights tracking, training or saving: that is `Model`).

    x = keras.Input((3,)); y = keras.ops.tanh(keras.layers.Dense(2)(x))
    f = keras.Function(x, y, name="f");  f(np.ones((4, 3)))   # (4, 2)

Inputs are given in the structure of `inputs` (a dict is read by its keys); KerasTensor
arguments give symbolic outputs. The graph walk is Functional's (`run_nodes`).
"""
from lamina.engine import tree
from lamina.models.functional import check_symbolic, graph_nodes, run_nodes
from lamina.naming import uniquify
from lamina.symbolic.keras_tensor import KerasTensor


class Function:
    """See the module docstring."""

    def __init__(self, inputs, outputs, name=None):
        self.name = name or uniquify("function")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self.inputs = check_symbolic(inputs, "inputs")
        self.outputs = check_symbolic(outputs, "outputs")
        self._nodes = graph_nodes(self.inputs, self.outputs)

    @property
    def operations(self):
        """The layers and operations of the graph, in call order."""
        out = []
        for node in self._nodes:
            if not any(node.layer is op for op in out):
                out.append(node.layer)
        return out

    def _flatten(self, inputs):
        if isinstance(self._inputs_struct, dict):
            if not isinstance(inputs, dict) or set(self._inputs_struct) - set(inputs):
                raise ValueError(f"Function {self.name!r} expects a dict with keys "
                                 f"{sorted(self._inputs_struct)}, got {inputs!r:.200}")
            return [inputs[k] for k in self._inputs_struct]
        flat = tree.flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(f"Function {self.name!r} expects {len(self.inputs)} input(s), got "
                             f"{len(flat)}")
        return flat

    def __call__(self, inputs):
        flat = run_nodes(self._nodes, self.inputs, self._flatten(inputs), self.outputs)
        return tree.pack_as(self._outputs_struct, flat)

    call = __call__

    def compute_output_spec(self, inputs):
        """The outputs' KerasTensors for symbolic `inputs`."""
        if not all(isinstance(t, KerasTensor) for t in self._flatten(inputs)):
            raise TypeError("Function.compute_output_spec expects KerasTensor inputs")
        return self(inputs)

    def __repr__(self):
        return f"<Function name={self.name}, {len(self.inputs)} input(s), {len(self.outputs)} output(s)>"
