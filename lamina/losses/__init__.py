"""`lamina.losses`: Keras 3's losses (classes and functions), plus `TripletLoss`.

Losses are built from differentiable lamina ops, so `GradientTape` differentiates them.
`get(identifier)` resolves the strings Keras accepts ("mse", "binary_crossentropy",
"CategoricalCrossentropy", ...), config dicts, functions and instances.
"""
import difflib
import inspect

from lamina import registry
from lamina.losses.hinge import (  # noqa: F401
    CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, convert_binary_labels_to_hinge, hinge,
    squared_hinge,
)
from lamina.losses.loss import (  # noqa: F401
    Loss, LossFunctionWrapper, reduce_weighted_values, squeeze_or_expand_to_same_rank,
)
from lamina.losses.probabilistic import (  # noqa: F401
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, KLDivergence, Poisson, SparseCategoricalCrossentropy,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, kl_divergence, poisson, sparse_categorical_crossentropy,
)
from lamina.losses.overlap import Dice, Tversky, dice, tversky  # noqa: F401
from lamina.losses.regression import (  # noqa: F401
    CosineSimilarity, Huber, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, cosine_similarity, huber, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error,
)
from lamina.losses.triplet import TripletLoss, triplet_loss  # noqa: F401
from lamina.losses.circle import (  # noqa: F401
    CategoricalGeneralizedCrossEntropy, Circle, categorical_generalized_cross_entropy, circle,
)
from lamina.losses.ctc import CTC, ctc  # noqa: F401

# tf.keras-era short names, kept as module attributes
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy

ALL_OBJECTS = (
    Loss, LossFunctionWrapper,
    KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, SparseCategoricalCrossentropy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    CosineSimilarity, LogCosh, Huber, Hinge, SquaredHinge, CategoricalHinge, TripletLoss,
    Dice, Tversky, dice, tversky, Circle, circle, CTC, ctc, CategoricalGeneralizedCrossEntropy,
    categorical_generalized_cross_entropy,
    kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy,
    categorical_crossentropy, categorical_focal_crossentropy, sparse_categorical_crossentropy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, cosine_similarity, log_cosh, huber, hinge, squared_hinge,
    categorical_hinge, triplet_loss,
)  # fmt: skip
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})  # fmt: skip
registry.register_builtins("loss", ALL_OBJECTS_DICT)


def _lookup(name, custom_objects=None, kind="loss", table=None):
    table = ALL_OBJECTS_DICT if table is None else table
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in table:
        return table[name]
    valid = sorted(set(table) | set(custom_objects or ()))
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"Unknown {kind} {name!r}.{hint} Valid names: {', '.join(valid)}")


def serialize(obj):
    """A config dict (Keras's layout) for a loss instance or a loss function."""
    if obj is None or isinstance(obj, str):
        return obj
    if inspect.isfunction(obj):
        return registry.serialize_function(obj)
    if hasattr(obj, "get_config"):
        return registry.serialize(obj, "loss")
    raise TypeError(f"cannot serialize {obj!r}: expected a Loss instance or a loss function")


def deserialize(config, custom_objects=None, table=None, kind="loss"):
    """The loss (instance or function) described by a name or a `serialize` dict; dicts
    are decoded by `lamina.registry` (`kind` "metric" reads the metrics' table)."""
    if isinstance(config, str):
        obj = _lookup(config, custom_objects, kind, table)
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret {kind} config {config!r}: expected a name or a dict with 'class_name'"
        )
    return registry.deserialize(config, kind, custom_objects)


def get(identifier):
    """A loss function or `Loss` instance from a name, config dict, function, class or instance.

    Strings are Keras's: function names ("mean_squared_error", "huber", ...), class names
    ("MeanSquaredError", ...) and "mse", "mae", "mape", "msle", "kld", "bce" (any case as
    Keras lists them). Function names give functions, class names give new instances.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _lookup(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
