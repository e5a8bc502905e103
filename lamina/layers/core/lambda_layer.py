"""`Lambda`: wraps an arbitrary function of the inputs as a layer."""
import inspect

from lamina import registry
from lamina.codec import serialization
from lamina.layers.base.layer import Layer


class Lambda(Layer):
    """`Lambda(fn)` calls `fn(inputs, **arguments)`.

    A Lambda holds Python code (`holds_code`), so a saved model containing one is refused on
    loading unless `safe_mode=False` (loading must never run code from a file).
    """

    holds_code = True  # read by lamina.registry.check_code_allowed

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable, got {type(function).__name__}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape
        self._mask = mask
        self._fn_training = "training" in inspect.signature(function).parameters
        self.built = True

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError  # inferred by running the function on zeros
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        return (input_shape[0],) + tuple(self._output_shape)

    def compute_mask(self, inputs, mask=None):
        if callable(self._mask):
            return self._mask(inputs, mask)
        return self._mask

    def get_config(self):
        config = {**super().get_config(),
                  "function": serialization.serialize_keras_object(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = serialization.serialize_keras_object(self._output_shape)
        if self._mask is not None:
            config["mask"] = serialization.serialize_keras_object(self._mask)
        config["arguments"] = serialization.serialize_keras_object(self.arguments)
        return config

    def code_objects(self):
        """The config entries that are Python code, as the live objects (not their names):
        `clone_model` copies a Lambda in memory with them, where no file is involved."""
        objects = {"function": self.function, "arguments": dict(self.arguments)}
        if self._output_shape is not None:
            objects["output_shape"] = self._output_shape
        if self._mask is not None:
            objects["mask"] = self._mask
        return objects

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Refused unless `safe_mode=False` (or a load with safe_mode=False): the function
        then comes from `custom_objects` or the registry, never from code in the file."""
        registry.check_code_allowed(cls, config.get("name"), safe_mode)
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            value = config.get(key)
            if isinstance(value, dict) and "function_name" in value:  # lamina's first format
                value = {"module": value.get("module"), "class_name": "function",
                         "config": value["function_name"], "registered_name": value["function_name"]}
            if isinstance(value, (dict, str)):
                value = serialization.deserialize_keras_object(
                    value, custom_objects=custom_objects, safe_mode=False)
                if key == "function" and not callable(value):
                    raise serialization.UnknownObjectError(
                        f"Lambda layer {config.get('name')!r}: cannot find its function {value!r}; "
                        "pass it in custom_objects={name: function}")
            if key == "output_shape" and isinstance(value, list):
                value = tuple(value)
            if key in config:
                config[key] = value
        if "arguments" in config:
            config["arguments"] = serialization.deserialize_keras_object(
                config["arguments"], custom_objects=custom_objects, safe_mode=False)
        return cls(**config)
