"""`Model`: a Layer that can be trained (compile/fit/evaluate/predict) and summarized.

`Model(inputs, outputs)` builds a functional model; subclassing `Model` and defining
`call` gives a subclassed model; `Sequential` is a stack of layers.
"""
import copy
import inspect
import json
import re
import warnings

import numpy as np

from lamina.codec import serialization
from lamina.layers.base.layer import Layer
from lamina.trainers.legacy_api import LegacyTrainerAPI
from lamina.trainers.trainer import Trainer
from lamina.models.summary import print_summary
from lamina.symbolic.keras_tensor import KerasTensor, concrete_stand_in


def _functional_arguments(args, kwargs):
    """Keras's test for a functional-style call: Model(inputs, outputs) in any spelling."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in x)


def _map_shapes(fn, shapes):
    """`fn` applied to each shape of a shape or a dict/list/tuple of shapes."""
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)) and not _is_shape(shapes):
        return type(shapes)(_map_shapes(fn, s) for s in shapes)
    return fn(shapes)


def _inject_functional(cls, functional):
    """Replace Model by Functional in the bases of `cls` (and of its Model ancestors)."""
    if cls is Model:
        return functional
    if cls is object or not issubclass(cls, Model) or issubclass(cls, functional):
        return cls
    cls.__bases__ = tuple(_inject_functional(base, functional) for base in cls.__bases__)
    return cls


class Model(Trainer, LegacyTrainerAPI, Layer):
    """Groups layers into an object with training and inference features."""
    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from lamina.models.functional import Functional  # noqa: PLC0415  (functional.py subclasses Model)

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if _functional_arguments(args, kwargs):
            # as Keras 3: a subclass given (inputs, outputs) becomes a functional model that keeps
            # the subclass's methods (train_step...), by putting Functional in its bases
            from lamina.models.functional import Functional  # noqa: PLC0415  (functional imports this module)

            _inject_functional(type(self), Functional)
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def input(self):
        """The model's symbolic input (a list when it has several)."""
        inputs = self.__dict__.get("inputs")
        if not inputs:
            raise AttributeError(f"model {self.name!r} has no symbolic input yet: build it or call it on data")
        return inputs[0] if len(inputs) == 1 else list(inputs)

    @property
    def output(self):
        """The model's symbolic output (a list when it has several)."""
        outputs = self.__dict__.get("outputs")
        if not outputs:
            raise AttributeError(f"model {self.name!r} has no symbolic output yet: build it or call it on data")
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def get_layer(self, name=None, index=None):
        """The layer with this `name` (or at this `index` of `model.layers`)."""
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for {len(layers)} layers")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"no layer named {name!r} in model {self.name!r}; its layers are {names}")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print a table of the layers: name (type), output shape, parameter count, totals."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def _runs_nothing(self):
        """True for a model without a `call` of its own: a custom `train_step` drives its
        sub-models (Keras's VAE and GAN examples), which build on first use, as in Keras."""
        return type(self).call is Layer.call

    def _build_from_data(self, x):
        if self._runs_nothing():
            self.built = True
            return
        super()._build_from_data(x)

    def build(self, input_shape=None):
        if self._runs_nothing():
            self.built = True
            return
        if input_shape is None:
            raise ValueError(f"model {self.name!r}: build() needs an input shape")

        # a subclassed model is built by running it once on zeros of that shape (or on a
        # dict/list of them for a model taking several inputs)
        self.built = True
        self._build_shapes = _map_shapes(tuple, input_shape)
        stand_in = _map_shapes(lambda shape: concrete_stand_in(KerasTensor(shape)), input_shape)
        self(stand_in, training=False)

    def to_json(self, **kwargs):
        return json.dumps(serialization.serialize_keras_object(self), **kwargs)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from `get_config()`: functional configs rebuild the layer graph."""
        from lamina.models.functional import Functional  # noqa: PLC0415  (functional.py subclasses Model)
        from lamina.models import functional_config  # noqa: PLC0415  (imports the saving codec)

        keys = ("name", "layers", "input_layers", "output_layers")
        if all(k in config for k in keys) and (cls is Model or issubclass(cls, Functional)):
            return functional_config.functional_from_config(
                Functional if cls is Model else cls, config, custom_objects=custom_objects)
        return cls(**config)

    # --- saving (lamina/saving) ------------------------------------------------------

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model (architecture, weights, compile settings, optimizer state)
        to a `.keras` file, atomically (see `lamina.saving.save_model`)."""
        from lamina.saving import files, legacy_h5, saving_api  # noqa: PLC0415  (facade: saving is a floor up)

        if legacy_h5.is_legacy_path(filepath):  # Keras's legacy HDF5 format, with a warning
            include_optimizer = kwargs.pop("include_optimizer", True)
            if kwargs:
                raise TypeError(f"model.save() got unexpected keyword arguments {sorted(kwargs)}")
            legacy_h5.warn_legacy("model.save")
            return legacy_h5.save_model_to_hdf5(self, filepath, overwrite, include_optimizer)
        path = files.check_extension(filepath, files.ALL_EXTS, "model.save")
        if not path.endswith(files.MODEL_EXT):
            raise ValueError(
                f"model.save({path!r}): weights-only files are written by "
                "model.save_weights(path); model.save needs a '.keras' path")
        saving_api.save_model(self, path, overwrite=overwrite, zipped=zipped is not False, **kwargs)

    def __reduce__(self):
        """Pickling goes through the `.keras` format, as in Keras 3: the architecture,
        weights, compile settings and optimizer state. The classes of the model's layers
        travel by reference, so custom (module-level) layers and models need no registration."""
        from lamina.saving import saving_api  # noqa: PLC0415  (facade: saving is a floor up)

        data = saving_api.model_to_bytes(self, weights_format="npz")
        return (_unpickle_model, (data, _layer_classes(self)))

    def __deepcopy__(self, memo):
        """A copy through `__reduce__` (fresh variables, as Keras); a model the format
        cannot describe (a subclass whose config cannot rebuild it) is copied attribute by
        attribute instead."""
        try:
            function, args = self.__reduce__()
            return function(*args)
        except Exception:  # noqa: BLE001  (any failure of the format: the plain copy)
            new = type(self).__new__(type(self))
            memo[id(self)] = new
            new.__dict__.update(copy.deepcopy(self.__dict__, memo))
            return new

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and optimizer state) to `.weights.h5` or `.weights.npz`."""
        from lamina.saving import saving_api  # noqa: PLC0415  (facade: saving is a floor up)

        saving_api.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from `.weights.h5`, `.weights.npz` or `.keras` into this (built)
        model; a different architecture raises an error naming the first layer that differs."""
        from lamina.saving import saving_api  # noqa: PLC0415  (facade: saving is a floor up)

        saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_compile_config(self):
        """What `compile` was given (optimizer, loss, metrics, ...), serialized; {} if not compiled."""
        if not self.compiled:
            return {}
        closs, cmetrics = self._compile_loss, self._compile_metrics
        config = {
            "optimizer": self.optimizer,
            "loss": closs._spec if closs is not None else None,
            "loss_weights": closs._weights_spec if closs is not None else None,
            "metrics": cmetrics._spec if cmetrics is not None else None,
            "weighted_metrics": cmetrics._weighted_spec if cmetrics is not None else None,
            "run_eagerly": False,
            "steps_per_execution": 1,
            "jit_compile": False,
        }
        return serialization.serialize_dict(config)

    def compile_from_config(self, config):
        """Compile with `get_compile_config()`'s output. The optimizer is built when saved
        state is loaded into it (in Keras's variable order), else by the first `fit`."""
        if type(self).compile is not Trainer.compile:
            warnings.warn(
                f"model {self.name!r} overrides compile(), so it was not compiled on loading; "
                "call model.compile(...) yourself (or override compile_from_config)", stacklevel=2)
            return
        config = serialization.deserialize_keras_object(config)
        accepted = inspect.signature(Trainer.compile).parameters
        self.compile(**{k: v for k, v in config.items() if k in accepted})

    @property
    def _output_activation(self):
        """The activation of the last layer (for loss/activation mismatch warnings)."""
        layers = [layer for layer in self.layers if layer.weights or hasattr(layer, "activation")]
        return getattr(layers[-1], "activation", None) if layers else None

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of every quantizable layer (Dense, EinsumDense, Embedding) in
        place: mode "int8" or "int4", or a `keras.quantizers` config. filters: a regex (or a
        list of them) searched in layer names, or a callable layer -> bool. Layers that cannot
        be quantized are skipped with a warning, as in Keras."""
        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}")
        if filters is not None and not (isinstance(filters, (str, list, tuple)) or callable(filters)):
            raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a "
                             f"callable. Received: {type(filters)}")
        wanted = config.mode if mode is None and config is not None and not isinstance(config, str) else mode
        if wanted in ("gptq", "awq"):
            raise NotImplementedError(f"model.quantize({wanted!r}): {wanted.upper()} (calibrated quantization) "
                                      "is not implemented in lamina; use 'int8', 'int4' or 'float8'")
        for layer in _leaf_layers(self):
            if not _matches(layer, filters):
                continue
            try:
                layer.quantize(mode, type_check=type_check, config=config)
            except NotImplementedError as e:
                warnings.warn(str(e), stacklevel=2)

    def count_params(self):
        return int(sum(np.prod(v.shape) for v in self.weights))


def _leaf_layers(model):
    """The layers below `model` that hold no layers themselves, depth first."""
    out, seen = [], set()

    def visit(layer):
        children = [c for c in layer.layers if c is not layer]
        if not children and layer is not model and id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
        for child in children:
            visit(child)

    visit(model)
    return out


def _matches(layer, filters):
    if filters is None:
        return True
    if isinstance(filters, str):
        return re.search(filters, layer.name) is not None
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    return bool(filters(layer))


def _layer_classes(model):
    """{class name: class} of the model and all its layers (custom objects for unpickling)."""
    classes, stack = {}, [model]
    while stack:
        layer = stack.pop()
        classes.setdefault(type(layer).__name__, type(layer))
        stack.extend(layer._layers)
    return classes


def _unpickle_model(data, classes=None):
    """The model of `Model.__reduce__`'s bytes. Pickle runs code anyway, so safe mode (which
    refuses Lambda layers' code) is off; lamina's global random stream is left where it is."""
    from lamina import random  # noqa: PLC0415  (only when unpickling)
    from lamina.saving import saving_api  # noqa: PLC0415  (facade: saving is a floor up)

    state = random.get_state()
    try:
        return saving_api.model_from_bytes(data, "a pickled model", custom_objects=classes,
                                           safe_mode=False)
    finally:
        random.set_state(None, state)
