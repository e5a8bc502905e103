"""`Layer`: the base of every layer and model.

Constructor stores config, `build(input_shape)` makes weights (called lazily on the first
call), `call(inputs, ...)` computes. Weights made with `add_weight` and sublayers assigned
as attributes are tracked. Calling a layer on a symbolic `KerasTensor` records a node for
the functional API instead of computing.
"""
import difflib
import functools
import inspect

import numpy as np

from lamina import dtype_policies, naming, regularizers
from lamina.engine import scopes
from lamina.layers.base.call_api import LayerCallAPI
from lamina.layers.base.dtype_api import LayerDTypeAPI
from lamina.layers.base.input_spec import InputSpec  # noqa: F401  (re-exported: layers import it from here)
from lamina.layers.base.stateless import StatelessLayerAPI
from lamina.layers.base.tracking import LayerTrackingAPI
from lamina.layers.base.weight_budget import WeightBudget  # noqa: F401  (re-exported: saving imports it from here)


_LAYER_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "weights")


class Layer(LayerCallAPI, LayerTrackingAPI, LayerDTypeAPI, StatelessLayerAPI):
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

    # --- sublayers (tracked when assigned), constructor arguments, quantization --------

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


def _policy(dtype):
    """`dtype` with a serialized policy or a quantized policy's name ("int8_from_float32")
    turned into the policy object (dtypes.standardize reads its compute dtype)."""
    if isinstance(dtype, dict) or (isinstance(dtype, str) and "_from_" in dtype):
        return dtype_policies.get(dtype)
    return dtype


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
