"""`FeatureSpace` (keras.utils): one preprocessing layer per named feature of structured
data, feature crosses, and the encoded result as one concatenated float vector or a dict.

    fs = FeatureSpace(features={"age": "float_normalized", "city": "string_categorical",
                                "code": FeatureSpace.integer_hashed(num_bins=16)},
                      crosses=[("city", "code")], output_mode="concat")
    fs.adapt(dataset_of_dicts)          # lookups learn vocabularies, Normalization its moments
    x = fs({"age": [..], "city": [..], "code": [..]})     # (batch, width) float32

Each feature is a `Feature(dtype, preprocessor, output_mode)`: the preprocessor (Normalization,
Rescaling, Discretization, IntegerLookup, StringLookup, Hashing or an identity) reads the
(batch, 1) column; "one_hot" outputs (integers) are encoded by a multi_hot CategoryEncoding of
the preprocessor's cardinality. A cross hashes the preprocessed integers of its features
(HashedCrossing, `crossing_dim` bins), one-hot encoded too. Concatenation order: the features
by sorted name, then the crosses by sorted name (Keras's). The same code runs on arrays and on
the symbolic inputs of `get_inputs()`, so `get_encoded_features()` builds functional models.
"""
import numpy as np

from lamina import layers, ops
from lamina.codec import serialization
from lamina.engine.tensor import Tensor
from lamina.layers.base.layer import Layer
from lamina.naming import uniquify as auto_name
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.utils.dataset import Dataset

FEATURE_MODES = ("int", "one_hot", "float")


class Cross:
    """The cross of `feature_names`, hashed into `crossing_dim` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"Cross: output_mode must be 'int' or 'one_hot', got {output_mode!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """A feature: its input dtype, its preprocessing layer and how its output is encoded."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in FEATURE_MODES:
            raise ValueError(f"Feature: output_mode must be one of {FEATURE_MODES}, got "
                             f"{output_mode!r}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = serialization.deserialize_keras_object(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype,
                "preprocessor": serialization.serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cardinality(name, preprocessor):
    if isinstance(preprocessor, (layers.IntegerLookup, layers.StringLookup)):
        return preprocessor.vocabulary_size()
    if isinstance(preprocessor, layers.CategoryEncoding):
        return preprocessor.num_tokens
    if isinstance(preprocessor, layers.Discretization) and preprocessor.num_bins is None:
        return len(preprocessor.bin_boundaries) + 1
    if isinstance(preprocessor, (layers.Discretization, layers.Hashing, layers.HashedCrossing)):
        return preprocessor.num_bins
    raise ValueError(f"FeatureSpace: feature {name!r} has output_mode='one_hot' but its "
                     f"preprocessor {type(preprocessor).__name__} has no known number of "
                     "categories; use output_mode='int'")


def _column(value):
    """A feature's values as a (batch, 1) array (scalars become (1, 1))."""
    a = value.data if isinstance(value, Tensor) else np.asarray(value)
    if a.dtype.kind in "US":
        a = a.astype(object)
    return a.reshape(1, 1) if a.ndim == 0 else (a[:, None] if a.ndim == 1 else a)


class FeatureSpace(Layer):
    """See the module docstring. features: {name: Feature or one of "float", "float_rescaled",
    "float_normalized", "float_discretized", "integer_categorical", "string_categorical",
    "integer_hashed", "string_hashed"}; crosses: Cross objects or tuples of feature names;
    output_mode: "concat" or "dict"."""

    # --- feature constructors (Keras's class methods) --------------------------------------

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or auto_name("float")
        return Feature("float32", layers.Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or auto_name("float_rescaled")
        return Feature("float32", layers.Rescaling(scale=scale, offset=offset,
                                                   name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or auto_name("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or auto_name("float_discretized")
        # with fixed boundaries the layer takes no num_bins (Keras's Discretization refuses both)
        return Feature("float32", layers.Discretization(
            num_bins=None if bin_boundaries is not None else num_bins,
            bin_boundaries=bin_boundaries, name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        name = name or auto_name("integer_categorical")
        return Feature("int32", layers.IntegerLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices),
            output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        name = name or auto_name("string_categorical")
        return Feature("string", layers.StringLookup(
            name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices),
            output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or auto_name("string_hashed")
        return Feature("string", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or auto_name("integer_hashed")
        return Feature("int32", layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # --- construction -----------------------------------------------------------------------

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not features:
            raise ValueError("FeatureSpace: `features` cannot be None or empty")
        if output_mode not in ("dict", "concat"):
            raise ValueError(f"FeatureSpace: output_mode must be 'dict' or 'concat', got "
                             f"{output_mode!r}")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {n: self._standardize(n, f) for n, f in features.items()}
        self.crosses = []
        for cross in crosses or []:
            if isinstance(cross, dict):
                cross = serialization.deserialize_keras_object(cross)
            if not isinstance(cross, Cross):
                unknown = [k for k in cross if k not in self.features]
                if unknown:
                    raise ValueError(f"FeatureSpace: crosses name unknown features {unknown}; "
                                     f"the features are {sorted(self.features)}")
                if not crossing_dim:
                    raise ValueError("FeatureSpace: `crosses` need a `crossing_dim`")
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.preprocessors = {n: f.preprocessor for n, f in self.features.items()}
        self.crossers = {c.name: layers.HashedCrossing(c.crossing_dim, name=c.name)
                         for c in self.crosses}
        self.one_hot_encoders = {}
        self.inputs = {n: layers.Input(shape=(1,), dtype=f.dtype, name=n)
                       for n, f in self.features.items()}
        self.encoded_features = None
        self._is_adapted = False

    def _standardize(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return serialization.deserialize_keras_object(feature)
        makers = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(self.num_discretization_bins,
                                                                name=name),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if feature not in makers:
            raise ValueError(f"FeatureSpace: invalid feature type {feature!r} for {name!r}; "
                             f"expected a Feature or one of {sorted(makers)}")
        return makers[feature]()

    # --- adapt --------------------------------------------------------------------------------

    def _adaptable(self):
        names = []
        for name, p in self.preprocessors.items():
            if isinstance(p, layers.Normalization) and p.input_mean is not None:
                continue
            if isinstance(p, layers.Discretization) and p.num_bins is None:
                continue  # fixed bin_boundaries
            if hasattr(p, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset, verbose=1):
        """Fit the adaptable preprocessors on `dataset`: a dict of arrays/lists, or a Dataset
        (or any iterable) of dicts (of single values or batches)."""
        if isinstance(dataset, dict):
            columns = {k: [_column(v)] for k, v in dataset.items()}
        elif isinstance(dataset, Dataset) or hasattr(dataset, "__iter__"):
            columns = {}
            for element in dataset:
                element = element[0] if isinstance(element, tuple) else element
                if not isinstance(element, dict):
                    raise ValueError("FeatureSpace.adapt: the dataset's elements must be dicts "
                                     f"of features, got {type(element).__name__}")
                for k, v in element.items():
                    columns.setdefault(k, []).append(_column(v))
        else:
            raise ValueError("FeatureSpace.adapt() takes a Dataset or a dict of arrays/lists, "
                             f"got {type(dataset).__name__}")
        for name in self._adaptable():
            if name not in columns:
                raise ValueError(f"FeatureSpace.adapt: the data has no feature {name!r}; it has "
                                 f"{sorted(columns)}")
            self.preprocessors[name].adapt(np.concatenate(columns[name], axis=0))
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True

    def _check_adapted(self):
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace "
                                 "before you can start using it.")
            self._is_adapted = True

    # --- encoding -----------------------------------------------------------------------------

    def get_inputs(self):
        self._check_adapted()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of the symbolic `get_inputs()` (for functional models)."""
        self._check_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.inputs)
        return self.encoded_features

    def _encode(self, columns):
        pre = {n: self.preprocessors[n](columns[n]) for n in self.features}
        crossed = {c.name: self.crossers[c.name]([pre[f] for f in c.feature_names])
                   for c in self.crosses}
        specs = {**self.features, **{c.name: c for c in self.crosses}}
        values = {**pre, **crossed}
        out = {}
        for name in sorted(pre) + sorted(crossed):
            value = values[name]
            if specs[name].output_mode == "one_hot":
                encoder = self.one_hot_encoders.get(name)
                if encoder is None:
                    dtype = str(value.dtype)
                    if not dtype.startswith("int"):
                        raise ValueError(f"FeatureSpace: feature {name!r} has output_mode="
                                         f"'one_hot', so its preprocessor must return integers, "
                                         f"got {dtype}")
                    source = self.preprocessors[name] if name in self.preprocessors \
                        else self.crossers[name]
                    size = _cardinality(name, source)
                    encoder = layers.CategoryEncoding(num_tokens=size, output_mode="multi_hot")
                    self.one_hot_encoders[name] = encoder
                value = encoder(value)
            elif specs[name].output_mode == "float":
                value = ops.cast(value, "float32")
            out[name] = value
        if self.output_mode == "dict":
            return out
        for name, value in out.items():
            if not str(value.dtype).startswith("float"):
                raise ValueError(f"FeatureSpace: cannot concatenate feature {name!r} of dtype "
                                 f"{value.dtype} (not encoded); use output_mode='dict' or a "
                                 "'one_hot'/'float' feature")
        return ops.concatenate([ops.cast(v, "float32") for v in out.values()], axis=-1)

    def __call__(self, data):
        self._check_adapted()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict, got "
                             f"{type(data).__name__}")
        missing = [n for n in self.features if n not in data]
        if missing:
            raise ValueError(f"FeatureSpace: the data misses features {missing}")
        if any(isinstance(v, KerasTensor) for v in data.values()):
            return self._encode(data)
        columns = {n: _column(data[n]) for n in self.features}
        scalar = all(np.ndim(data[n].data if isinstance(data[n], Tensor) else data[n]) == 0
                     for n in self.features)
        out = self._encode(columns)
        if scalar:  # one sample given as scalars: drop the batch axis again
            return out[0] if self.output_mode == "concat" else {k: v[0] for k, v in out.items()}
        return out

    # --- config and saving --------------------------------------------------------------------

    def get_config(self):
        return {"name": self.name,
                "features": serialization.serialize_keras_object(self.features),
                "output_mode": self.output_mode,
                "crosses": serialization.serialize_keras_object(self.crosses),
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        # Keras's layout: each preprocessor's build config (a file then counts as adapted)
        return {name: f.preprocessor.get_build_config() or {} for name, f in self.features.items()}

    def build_from_config(self, config):
        for name, build in config.items():
            p = self.features[name].preprocessor
            if build and not p.built and hasattr(p, "build_from_config"):
                p.build_from_config(build)
        self._is_adapted = True
        self.built = True

    def save(self, filepath):
        """Write the FeatureSpace (config and the preprocessors' learned state) to a `.keras`
        file; `keras.saving.load_model(filepath)` reads it back."""
        from lamina import saving  # noqa: PLC0415  (saving imports utils' dataset helpers)

        saving.save_model(self, filepath)
