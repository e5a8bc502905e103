"""`Lambda`: wraps an arbitrary function of the inputs as a layer."""
import inspect

from lamina.layers.layer import Layer


class Lambda(Layer):
    """`Lambda(fn)` calls `fn(inputs, **arguments)`.

    A Lambda holds Python code, so a saved model containing one is refused on loading
    unless `safe_mode=False` (loading must never run code from a file).
    """

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
        fn = self.function
        return {**super().get_config(),
                "function": {"module": getattr(fn, "__module__", None),
                             "function_name": getattr(fn, "__qualname__", repr(fn))},
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config, safe_mode=True):
        raise ValueError(
            f"refusing to rebuild Lambda layer {config.get('name')!r}: a Lambda holds Python "
            "code, and lamina never executes code from a file. Re-create the layer in your "
            "code, or load with safe_mode=False and pass the function through custom_objects"
        )
