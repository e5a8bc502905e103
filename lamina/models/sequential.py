"""`Sequential`: a linear stack of layers."""
from lamina.codec import serialization
from lamina.engine import tree
from lamina.layers.core.input_layer import Input, InputLayer
from lamina.layers.base.layer import Layer
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.models.model import Model


class Sequential(Model):
    """`Sequential([layers.Dense(64, activation="relu"), layers.Dense(1)])`.

    The input shape comes from a leading `keras.Input(shape=...)`, an `input_shape=` on the
    first layer, `build(input_shape)`, or else the first batch of data.
    """

    _not_saved = ("_stack", "_input_layer", "_layer_outputs")  # see Layer._not_saved

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._input_layer = None
        self._stack = []
        self._stack_names = set()  # for the unique-name check: each add costs O(1), not O(n)
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build()

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer, rebuild=True):
        """Append a layer (or a `keras.Input(...)` tensor, which must come first)."""
        if isinstance(layer, KerasTensor) and layer._keras_history is not None:
            layer = layer._keras_history[0].layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an Input can only be the first element")
            self._input_layer = layer
        elif not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a layer, got {type(layer).__name__} ({layer!r}); e.g. "
                "model.add(layers.Dense(64, activation='relu'))"
            )
        else:
            if layer.name in self._stack_names:
                raise ValueError(
                    f"Sequential: all layers need unique names; {layer.name!r} is already in the model"
                )
            if rebuild and self.built and self._stack:
                self._stack.append(layer)
                self._stack_names.add(layer.name)
                self._layers.append(layer)
                self._extend_build(layer)
                return
            self._stack.append(layer)
            self._stack_names.add(layer.name)
            self._layers.append(layer)
        self.built = False
        if rebuild:
            self._maybe_build()

    def _extend_build(self, layer):
        """Call only the new last layer on the built graph's output (a full rebuild per `add`
        made building a model layer by layer quadratic)."""
        self.built = False
        try:
            x = layer(self.outputs[0])
        except (ValueError, TypeError) as e:
            raise type(e)(f"Sequential model {self.name!r}, layer {layer.name!r}: {e}") from None
        self._layer_outputs.append(x)
        self.outputs = [x]
        self.built = True

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError("Sequential.pop: the model has no layers")
        layer = self._stack.pop()
        self._stack_names.discard(layer.name)
        self._layers.remove(layer)
        self.built = False
        if rebuild:
            self._maybe_build()
        return layer

    def _known_input_shape(self):
        if self._input_layer is not None:
            return self._input_layer.batch_shape
        if self._stack and self._stack[0]._batch_input_shape is not None:
            return self._stack[0]._batch_input_shape
        return None

    def _maybe_build(self):
        shape = self._known_input_shape()
        if shape is not None and self._stack:
            self.build(shape)

    def _build_from_data(self, x):
        """Build symbolically from the shapes of the sample inputs `x` (the trainer's hook)."""
        self.build(tree.map_structure(lambda a: (None,) + tuple(a.shape[1:]), x))

    def build(self, input_shape=None):
        if input_shape is None:
            input_shape = self._known_input_shape()
        if input_shape is None:
            raise ValueError(
                f"Sequential model {self.name!r} has no input shape yet: start it with "
                "keras.Input(shape=...), pass input_shape= to the first layer, or call "
                "build((None, n_features))"
            )
        input_shape = tuple(input_shape)
        self._forget_previous_build()
        if self._input_layer is not None and tuple(self._input_layer.batch_shape[1:]) == input_shape[1:]:
            x = self._input_layer.output_tensor
        else:
            x = Input(batch_shape=(None,) + input_shape[1:])
        self.inputs = [x]
        self._layer_outputs = []
        for layer in self._stack:
            try:
                x = layer(x)
            except (ValueError, TypeError) as e:
                raise type(e)(f"Sequential model {self.name!r}, layer {layer.name!r}: {e}") from None
            self._layer_outputs.append(x)
        self.outputs = [x]
        self._build_shapes = input_shape
        self.built = True

    def _forget_previous_build(self):
        """Drop the layer calls recorded by this model's previous build, so `layer.output`
        refers to the current graph (each `add` to a model with an input shape rebuilds it)."""
        for t in getattr(self, "_layer_outputs", []):
            node = t._keras_history[0]
            node.layer._call_nodes = [n for n in node.layer._call_nodes if n is not node]

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x = layer(x)
        return x

    def _replay_plan(self):
        """The layers' `predict_array` methods, when each layer has one (written beside its
        own `call`) and this model's `call` is Sequential's: `predict` then runs them on
        NumPy batches. Cached per list of layers."""
        key = tuple(map(id, self._stack))
        cached = self.__dict__.get("_replay")
        if cached is None or cached[0] != key:
            cached = (key, _replay_plan(self))
            self.__dict__["_replay"] = cached
        return cached[1]

    @property
    def input_shape(self):
        if not self.built:
            raise AttributeError(f"Sequential model {self.name!r} is not built: it has no input_shape yet")
        return self.inputs[0].shape

    @property
    def output_shape(self):
        if not self.built:
            raise AttributeError(f"Sequential model {self.name!r} is not built: it has no output_shape yet")
        return self.outputs[0].shape

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def _output_activation(self):
        for layer in reversed(self._stack):
            if hasattr(layer, "activation"):
                return layer.activation
            if layer.weights:
                return None
        return None

    def get_config(self):
        layers = []
        if self._input_layer is not None or self.built:
            shape = self._known_input_shape() or self._build_shapes
            layers.append({"module": "keras.layers", "class_name": "InputLayer",
                           "config": {"batch_shape": list(shape), "dtype": self.dtype,
                                      "sparse": False, "name": "input_layer"}})
        layers += [serialization.serialize_keras_object(layer) for layer in self._stack]
        return {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config(), "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"))
        for entry in config["layers"]:
            layer = serialization.deserialize_keras_object(entry, custom_objects=custom_objects)
            model.add(layer, rebuild=False)
        model._maybe_build()
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model


def _defining_class(cls, name):
    return next((k for k in cls.__mro__ if name in k.__dict__), None)


def _replay_plan(model):
    if _defining_class(type(model), "call") is not Sequential or not model._stack:
        return None
    plan = []
    for layer in model._stack:
        cls = type(layer)
        owner = _defining_class(cls, "predict_array")
        if (owner is None or _defining_class(cls, "call") is not owner
                or cls.__call__ is not Layer.__call__ or not layer.built
                or layer.activity_regularizer is not None or layer.dtype != model.dtype
                or layer.compute_dtype != layer.variable_dtype):
            return None
        plan.append(layer.predict_array)
    return plan
