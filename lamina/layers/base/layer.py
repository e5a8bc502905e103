"""`Layer`: the base of every layer and model.

Constructor stores config, `build(input_shape)` makes weights (called lazily on the first
call), `call(inputs, ...)` computes. Weights made with `add_weight` and sublayers assigned
as attributes are tracked. Calling a layer on a symbolic `KerasTensor` records a node for
the functional API instead of computing.
"""
import difflib
import functools
import inspect
import weakref

import numpy as np

from lamina import constraints, dtype_policies, initializers, naming, regularizers
from lamina.engine import dtypes, scopes, tree
from lamina.engine.graph import STATE
from lamina.engine.sparse import is_sparse
from lamina.engine.tensor import Tensor, Variable
from lamina.layers.base.input_spec import InputSpec, check_input_spec, shape_of as _shape_of  # noqa: F401
from lamina.symbolic.keras_tensor import CallNode, KerasTensor, any_symbolic, concrete_stand_in
from lamina.layers.base.dtype_api import AutocastVariables, LayerDTypeAPI, bfloat16_outputs
from lamina.layers.base.stateless import StatelessLayerAPI
from lamina.layers.base.weight_budget import WeightBudget
from lamina.ops.core import cast
from lamina.ops.remat import remat


class _CallContext:
    """Per-call state shared by nested layer calls: the `training` flag and call depth."""

    training = None
    depth = 0
    holders = weakref.WeakSet()  # layers holding activity losses from an earlier call


_LAYER_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights")


class Layer(LayerDTypeAPI, StatelessLayerAPI):
    """Base layer: tracked weights and sublayers, lazy build, config, masks, losses."""

    # attributes holding layers or variables that saving must not visit as children (each
    # class lists its own; `lamina.saving.state` reads them along the MRO)
    _not_saved = ("_layers", "_own_variables", "_call_nodes", "_regularized", "_losses",
                  "_autocast_variables")
    holds_code = False  # True for layers whose config names Python code (Lambda)
    # what **kwargs of a layer's constructor accept here (config readers stop at this class)
    _kwargs_config_keys = _LAYER_KWARGS

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        unknown = [k for k in kwargs if k not in _LAYER_KWARGS]
        if unknown:
            close = difflib.get_close_matches(unknown[0], self._init_arg_names(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"{type(self).__name__}() got an unexpected keyword argument {unknown[0]!r}.{hint}"
            )
        d = self.__dict__
        d["_layers"] = d.get("_layers", [])
        d["_own_variables"] = d.get("_own_variables", [])
        d["_autocast_variables"] = d.get("_autocast_variables", [])
        self.name = name or naming.uniquify(naming.to_snake_case(type(self).__name__))
        if not isinstance(self.name, str) or "/" in self.name:
            raise ValueError(f"layer name must be a string without '/', got {self.name!r}")
        self._trainable = bool(trainable)
        self.built = False
        self.autocast = autocast
        dtype = _policy(dtype)
        self._quantized_policy = dtype if getattr(dtype, "quantization_mode", None) else None  # see quantize()
        # None: follow floatx; else a DTypePolicy (a mixed global policy is kept at creation)
        self._dtype_policy = (dtype_policies.get(dtype) if dtype is not None
                              else dtype_policies.explicit_global_policy())

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._regularized = []  # (variable, regularizer)
        self._losses = []  # activity losses from the last call
        self._call_nodes = []  # symbolic calls (functional API)
        self._remat_mode = scopes.current_remat_mode()  # a RematScope open at creation
        self.input_spec = getattr(self, "input_spec", None)
        self._build_shapes = None
        self._batch_input_shape = _batch_input_shape(kwargs)
        if "weights" in kwargs and kwargs["weights"] is not None:
            self._initial_weights = kwargs["weights"]

    def __init_subclass__(cls, **kwargs):
        # as Keras 3: a layer whose `build` was called directly (layer.build(shape)) is built,
        # and remembers the shape for its saved build config
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def build_and_mark(self, *args, **kw):
                if args and self.__dict__.get("_build_shapes") is None:
                    self._build_shapes = args[0]
                out = build(self, *args, **kw)
                self.built = True
                return out

            build_and_mark._marks_built = True
            cls.build = build_and_mark

    # --- tracking --------------------------------------------------------------------

    def __setattr__(self, name, value):
        if name == "input_spec":
            self.__dict__.pop("_checked_shape", None)  # re-check inputs against the new spec
        layers = self.__dict__.get("_layers")
        if layers is not None and not name.startswith("_"):
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Layer) and item is not self and not any(item is l for l in layers):
                    layers.append(item)
        object.__setattr__(self, name, value)

    def _init_arg_names(self):
        names = []
        for klass in type(self).__mro__:
            if "__init__" in klass.__dict__:
                names += list(inspect.signature(klass.__init__).parameters)
        return [n for n in names if n not in ("self", "args", "kwargs")] + list(_LAYER_KWARGS)

    @property
    def quantization_mode(self):
        """"int8", "int4", ... once the layer is quantized (`quantize`), else None."""
        policy = self.__dict__.get("_quantized_policy")
        return None if policy is None else policy.quantization_mode

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantize the layer's weights in place (Dense, EinsumDense and Embedding can)."""
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `quantize()` method implemented.")

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def variables(self):
        out, seen = [], set()
        for v in self._own_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._layers:
            for v in layer.variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def weights(self):
        own = [v for v in self._own_variables if v.trainable] + [
            v for v in self._own_variables if not v.trainable
        ]
        out, seen = [], set()
        for v in own + [w for layer in self._layers for w in layer.weights]:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        own = [v for v in self._own_variables if v.trainable]
        return _unique(own + [w for layer in self._layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        own = [v for v in self._own_variables if not v.trainable]
        return _unique(own + [w for layer in self._layers for w in layer.non_trainable_weights])

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def layers(self):
        return list(self._layers)

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Create and track a Variable (glorot_uniform for floats by default, as Keras)."""
        shape = () if shape is None else tuple(int(s) for s in shape)
        dtype = dtypes.standardize(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.dtype(dtype).kind == "f" else "zeros"
        init = initializers.get(initializer)
        if WeightBudget.current is not None:  # rebuilding a saved model: check before allocating
            size = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
            WeightBudget.current.take(size, f"layer {self.name!r}: weight {name!r} of shape {shape}")
        var = Variable(init, shape=shape, dtype=dtype, trainable=trainable,
                       name=name or "variable", constraint=constraints.get(constraint))
        var.path = scopes.scoped(f"{self.name}/{var.name}")
        reg = regularizers.get(regularizer)
        if reg is not None:
            var.regularizer = reg
            self._regularized.append((var, reg))
        self._own_variables.append(var)
        if autocast and trainable and dtypes.is_float(dtype):
            self._autocast_variables.append(var)
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable=True, name=None, **kwargs):
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, name=name, **kwargs)

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"layer {self.name!r} is not built yet, so its weights do not exist: call it on "
                "data or build it (e.g. model.build(input_shape)) before count_params()"
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    def get_weights(self):
        return [np.array(v.data) for v in self.weights]

    def set_weights(self, weights):
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"layer {self.name!r} has {len(params)} weights, but set_weights got "
                f"{len(weights)} arrays"
            )
        for v, w in zip(params, weights):
            w = np.asarray(w)
            if w.shape != v.shape:
                raise ValueError(
                    f"layer {self.name!r}: weight {v.name!r} has shape {v.shape}, got an array of "
                    f"shape {w.shape}"
                )
            v.assign(w)

    # --- losses ----------------------------------------------------------------------

    @property
    def losses(self):
        """Weight-regularization penalties (computed now) and activity losses of the last call."""
        out = [reg(v) for v, reg in self._regularized]
        out += self._losses
        for layer in self._layers:
            out += layer.losses
        return out

    def add_loss(self, loss):
        """Add a loss term (e.g. an activity penalty) to this call's losses (inside a
        StatelessScope: to the scope's losses with collect_losses=True, else dropped, as Keras)."""
        scope = scopes.get_stateless_scope()
        if scope is not None:
            if scope.collect_losses:
                scope.add_loss(loss)
            return
        self._losses.append(loss)
        _CallContext.holders.add(self)

    def _clear_losses(self):
        if self._losses:
            self._losses = []
            _CallContext.holders.discard(self)
        for layer in self._layers:
            layer._clear_losses()

    # --- building ----------------------------------------------------------------------

    def build(self, input_shape=None):
        self.built = True

    def _build_for(self, shapes):
        self._build_shapes = shapes
        self.build(shapes)
        self.built = True
        init = self.__dict__.pop("_initial_weights", None)
        if init is not None:
            self.set_weights(init)

    def compute_output_shape(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define compute_output_shape")

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    supports_masking = False

    # --- calling ---------------------------------------------------------------------

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
        ctx = _CallContext
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

    # --- config ----------------------------------------------------------------------

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config()}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(**config)

    def get_build_config(self):
        return None if self._build_shapes is None else {"input_shape": self._build_shapes}

    def build_from_config(self, config):
        if config and "input_shape" in config and not self.built:
            self._build_for(config["input_shape"])

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # --- functional-API properties ------------------------------------------------------

    @property
    def input(self):
        return self._node_attr("args", "input")[0]

    @property
    def output(self):
        return self._node_attr("outputs", "output")

    def _node_attr(self, attr, what):
        if not self._call_nodes:
            raise AttributeError(f"layer {self.name!r} has never been called: it has no {what}")
        return getattr(self._call_nodes[0], attr)


def _unique(vs):
    out, seen = [], set()
    for v in vs:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _policy(dtype):
    """`dtype` with a serialized policy or a quantized policy's name ("int8_from_float32")
    turned into the policy object (dtypes.standardize reads its compute dtype)."""
    if isinstance(dtype, dict) or (isinstance(dtype, str) and "_from_" in dtype):
        return dtype_policies.get(dtype)
    return dtype


def _first_dtype(inputs, default):
    for t in tree.flatten(inputs):
        if isinstance(t, KerasTensor):
            return t.dtype
    return default


def _batch_input_shape(kwargs):
    if kwargs.get("batch_input_shape") is not None:
        return tuple(_shape_tuple(kwargs["batch_input_shape"], "batch_input_shape"))
    if kwargs.get("input_shape") is not None:
        return (kwargs.get("batch_size"),) + _shape_tuple(kwargs["input_shape"], "input_shape")
    if kwargs.get("input_dim") is not None:
        return (kwargs.get("batch_size"), int(kwargs["input_dim"]))
    return None


def _shape_tuple(shape, what):
    """A shape as a tuple; an int is one axis (`input_shape=10000` means (10000,), as `Input(13)`)."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} must be a tuple of axis sizes without the batch axis, e.g. {what}=(784,), "
            f"got {shape!r}"
        ) from None


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
        sig.computes_mask = cls.compute_mask is not Layer.compute_mask
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
