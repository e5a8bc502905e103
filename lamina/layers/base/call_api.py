"""`LayerCallAPI`, the call side of `Layer`: `layer(inputs)` converts and autocasts the
inputs, builds the layer on its first call, checks its `input_spec`, passes the `training`
flag and masks down to nested calls (`CallContext`), runs `call` (rematerialized under a
RematScope) and collects activity losses. On symbolic `KerasTensor` inputs it records a
`CallNode` for the functional API instead, with output specs from `compute_output_shape` or,
failing that, from running the layer on zeros.

Mixed into `Layer`, which supplies `build`/`_build_for`, the dtype side (`LayerDTypeAPI`) and
the losses (`LayerTrackingAPI`).
"""
import inspect
import weakref

import numpy as np

from lamina.engine import scopes, tree
from lamina.engine.graph import STATE
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor
from lamina.layers.base.dtype_api import AutocastVariables, bfloat16_outputs
from lamina.layers.base.input_spec import check_input_spec, shape_of as _shape_of
from lamina.ops.core import cast
from lamina.ops.remat import remat
from lamina.symbolic.keras_tensor import CallNode, KerasTensor, any_symbolic, concrete_stand_in


class CallContext:
    """Per-call state shared by nested layer calls: the `training` flag and call depth."""

    training = None
    depth = 0
    holders = weakref.WeakSet()  # layers holding activity losses from an earlier call


class LayerCallAPI:
    """`__call__`, `call`, `compute_output_shape`, `compute_output_spec`, `compute_mask`."""

    supports_masking = False

    def compute_output_shape(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define compute_output_shape")

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    def __call__(self, *args, **kwargs):
        if not args:
            if "inputs" not in kwargs:
                raise TypeError(f"layer {self.name!r} was called without inputs")
            args = (kwargs.pop("inputs"),)
        inputs = args[0]
        kind = type(inputs)
        if (kind is not Tensor and kind is not np.ndarray or len(args) > 1 or kwargs) and any_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs)
        compute_dtype = self.compute_dtype
        if kind is not Tensor or (self.autocast and inputs.data.dtype.kind in "fV"  # V: bfloat16
                                  and inputs.data.dtype != compute_dtype):
            inputs = self._convert_input(inputs)
            args = (inputs,) + args[1:]
        if not self.built:
            self._build_for(tree.map_structure(_shape_of, inputs))
        if self.input_spec is not None:
            shape = inputs.data.shape if type(inputs) is Tensor else None
            if shape is None or shape != self.__dict__.get("_checked_shape"):
                check_input_spec(self, inputs)
                self.__dict__["_checked_shape"] = shape
        sig = _call_signature(type(self))
        ctx = CallContext
        if ctx.depth == 0 and ctx.holders:
            self._clear_losses()  # a new outermost call: forget this model's previous losses
        saved = ctx.training
        if sig.training:
            training = kwargs.get("training")
            if training is None:
                kwargs["training"] = bool(saved)
            else:
                ctx.training = training
        elif "training" in kwargs:
            ctx.training = kwargs.pop("training")
        mask = inputs._keras_mask if type(inputs) is Tensor else None
        if mask is not None and sig.mask and "mask" not in kwargs:
            kwargs["mask"] = mask
        ctx.depth += 1
        cast_vars = (self._variables_to_autocast(compute_dtype)  # a mixed policy (None: floatx's)
                     if self._dtype_policy is not None and self.autocast
                     and compute_dtype != self.variable_dtype else None)
        try:
            if cast_vars:
                with AutocastVariables(cast_vars, compute_dtype):
                    outputs = self._call_in_scope(args, kwargs)
                if compute_dtype == "bfloat16":
                    outputs = bfloat16_outputs(outputs)
            else:
                outputs = self._call_in_scope(args, kwargs)
        finally:
            ctx.depth -= 1
            ctx.training = saved
        if self.activity_regularizer is not None:  # Keras 3: not divided by the batch size
            for out in tree.flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out))
        if mask is not None or sig.computes_mask:
            out_mask = self.compute_mask(inputs, mask)
            if out_mask is not None and isinstance(outputs, Tensor):
                outputs._keras_mask = out_mask
        return outputs

    def _call_in_scope(self, args, kwargs):
        """`call`, rematerialized when the layer was created under a RematScope."""
        if self._remat_mode is None:
            return self.call(*args, **kwargs)
        return self._rematerialized_call(args, kwargs)

    def _rematerialized_call(self, args, kwargs):
        """`call` under the RematScope the layer was created in (see lamina/engine/scopes.py)."""
        scope = self._remat_mode
        if scope.mode == "activations":
            activation = getattr(self, "activation", None)
            if activation is None:
                return self.call(*args, **kwargs)
            self.activation = remat(activation)
            try:
                return self.call(*args, **kwargs)
            finally:
                self.activation = activation
        if scope.mode == "list_of_layers" and self.name not in scope.layer_names:
            return self.call(*args, **kwargs)
        if scope.mode == "larger_than":
            shapes = self.compute_output_shape(tree.map_structure(_shape_of, args[0]))
            shapes = shapes if isinstance(shapes, list) else [shapes]
            size = sum(int(np.prod([d or 1 for d in s])) for s in shapes)
            if size <= scope.output_size_threshold:
                return self.call(*args, **kwargs)
        return remat(self.call)(*args, **kwargs)

    def _convert_input(self, x):
        """NumPy/list inputs to Tensors; floats autocast to the layer's compute dtype."""
        if isinstance(x, (list, tuple, dict)):
            return tree.map_structure(self._convert_input, x)
        if is_sparse(x):
            return x  # scipy.sparse batches go straight to the first Dense matmul
        compute_dtype = self.compute_dtype
        if isinstance(x, Tensor):
            if self.autocast and x.data.dtype.kind in "fV" and x.data.dtype != compute_dtype:
                return cast(x, compute_dtype)
            return x
        a = np.asarray(x)
        if a.dtype == object:
            raise TypeError(
                f"layer {self.name!r} got an object array (e.g. lists of different lengths, as "
                "raw IMDB reviews): pad them with lamina.utils.pad_sequences or encode them with "
                "lamina.utils.multi_hot first"
            )
        if a.dtype.kind == "f" and self.autocast and a.dtype != compute_dtype:
            a = a.astype(compute_dtype)
        return Tensor(a)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"layer {type(self).__name__} must implement call()")

    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        if not self.built:
            self._build_for(tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else _shape_of(t), inputs))
        with scopes.SymbolicScope():
            outputs = self.compute_output_spec(*args, **kwargs)
        node = CallNode(self, args, kwargs, outputs)
        self._call_nodes.append(node)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """Output KerasTensors: from compute_output_shape, else by running on zeros."""
        inputs = args[0]
        in_shapes = tree.map_structure(lambda t: t.shape, inputs)
        try:
            out_shapes = self.compute_output_shape(in_shapes)
        except NotImplementedError:
            out_shapes = None
        compute_dtype = self.compute_dtype
        dtype = _first_dtype(inputs, compute_dtype)
        if out_shapes is not None:
            if isinstance(out_shapes, (list, tuple)) and out_shapes and isinstance(out_shapes[0], (list, tuple)):
                return [KerasTensor(s, dtype=compute_dtype if np.dtype(dtype).kind == "f" else dtype)
                        for s in out_shapes]
            return KerasTensor(out_shapes, dtype=compute_dtype)
        return _infer_by_running(self, args, kwargs)


def _first_dtype(inputs, default):
    for t in tree.flatten(inputs):
        if isinstance(t, KerasTensor):
            return t.dtype
    return default


class _Signature:
    __slots__ = ("training", "mask", "computes_mask")


_SIGNATURES = {}


def _call_signature(cls):
    sig = _SIGNATURES.get(cls)
    if sig is None:
        params = inspect.signature(cls.call).parameters
        sig = _Signature()
        sig.training = "training" in params
        sig.mask = "mask" in params
        sig.computes_mask = cls.compute_mask is not LayerCallAPI.compute_mask
        _SIGNATURES[cls] = sig
    return sig


def _infer_by_running(layer, args, kwargs):
    """Run the layer on zeros to learn its output shapes (None dims: two runs, compare)."""

    def run(batch, fill, writable=False):
        def stand_in(t):
            return concrete_stand_in(t, batch, fill, writable) if isinstance(t, KerasTensor) else t

        cargs, ckw = tree.map_structure(stand_in, args), tree.map_structure(stand_in, kwargs)
        saved = STATE.recording
        STATE.recording = False
        try:
            out = layer(*cargs, **ckw)
        except ValueError as e:  # a layer writing into its input: writable (bounded) copies
            if writable or "read-only" not in str(e):
                raise
            return run(batch, fill, writable=True)
        finally:
            STATE.recording = saved
        return out

    first, second = run(2, 3), run(5, 7)

    def spec(a, b):
        sa, sb = np.shape(a.data if isinstance(a, Tensor) else a), np.shape(b.data if isinstance(b, Tensor) else b)
        shape = tuple(None if x != y else x for x, y in zip(sa, sb))
        dtype = (a.data if isinstance(a, Tensor) else np.asarray(a)).dtype
        return KerasTensor(shape, dtype=dtype.name)

    flat = [spec(a, b) for a, b in zip(tree.flatten(first), tree.flatten(second))]
    return tree.pack_as(first, flat)
