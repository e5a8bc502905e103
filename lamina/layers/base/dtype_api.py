"""The dtype side of `Layer`: its DTypePolicy, compute and variable dtypes, and the autocast
of variables under a mixed policy (lamina/dtype_policies.py).

A layer created without `dtype=` follows floatx (or keeps the mixed global policy in force
when it was created). Under "mixed_float16" the layer's weights are float32 while it computes
in float16: `Layer.__call__` casts floating inputs to `compute_dtype` and, for the duration of
`call`, gives its trainable variables float16 values (`AutocastVariables`).
"""
from lamina import dtype_policies
from lamina.engine import dtypes, tree
from lamina.engine.tensor import Tensor
from lamina.ops.core import cast


class LayerDTypeAPI:
    """`dtype_policy`, `compute_dtype`, `variable_dtype`, `dtype` (Keras: the variable dtype)."""

    def _policy(self):
        p = self._dtype_policy
        if type(p) is dtype_policies.DTypePolicyMap:
            return p[self.name]
        return p

    @property
    def dtype_policy(self):
        """The layer's DTypePolicy (the global one when it was created without `dtype=`)."""
        p = self._policy()
        return p if p is not None else dtype_policies.DTypePolicy(dtypes.floatx())

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._dtype_policy = None if value is None else dtype_policies.get(value)

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs (a str, e.g. "float16" under
        mixed_float16): floating inputs are cast to it when `autocast` is on."""
        p = self._policy()
        return dtypes.floatx() if p is None else p.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights (float32 under the mixed policies)."""
        p = self._policy()
        return dtypes.floatx() if p is None else p.variable_dtype

    @property
    def dtype(self):
        """Keras's alias of `variable_dtype` (a str)."""
        return self.variable_dtype

    def _dtype_config(self):
        """The `dtype` entry of the config: a policy name, or a serialized DTypePolicyMap."""
        p = self._dtype_policy
        if type(p) is dtype_policies.DTypePolicyMap:
            return dtype_policies.serialize(p)
        return dtypes.floatx() if p is None else p.name

    def _variables_to_autocast(self, dtype):
        """This layer's autocast variables and those of the sublayers computing in `dtype` too
        (an RNN runs its cell's `call` directly); a sublayer with another compute dtype (a
        float32 softmax) or autocast=False keeps its own."""
        out = list(self._autocast_variables)
        for layer in self._layers:
            if layer.autocast and layer.compute_dtype == dtype:
                out += layer._variables_to_autocast(dtype)
        return out


class AutocastVariables:
    """While a mixed-policy layer computes, its float variables hold their values in the
    compute dtype (as Keras's autocast scope): ops read float16 weights, and the engine casts
    their gradients back to the variable's float32 (the leaf keeps its dtype). Trainable
    variables only, so no update made during the call (moving statistics) can be lost."""

    __slots__ = ("variables", "dtype", "saved")

    def __init__(self, variables, dtype):
        self.variables, self.dtype, self.saved = variables, dtype, None

    def __enter__(self):
        self.saved = [v.data for v in self.variables]
        for v in self.variables:
            if v.data.dtype != self.dtype:  # a variable shared with a layer already casting
                v.data = v.data.astype(self.dtype)

    def __exit__(self, *exc):
        for v, data in zip(self.variables, self.saved):
            v.data = data


def bfloat16_outputs(outputs):
    """float32 outputs of a mixed_bfloat16 layer cast to bfloat16: ml_dtypes computes bfloat16
    products (matmul, convolution) in float32, where JAX would return bfloat16."""
    def down(t):
        if isinstance(t, Tensor) and t.data.dtype == "float32":
            return cast(t, "bfloat16")
        return t

    return tree.map_structure(down, outputs)
