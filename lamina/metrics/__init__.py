"""`lamina.metrics`: Keras 3's streaming metrics, computed in NumPy (never differentiated).

Metric objects accumulate over batches (`update_state`, `result`, `reset_state`); the
per-sample functions (`binary_accuracy`, `mean_squared_error`, ...) are Keras's too — the
loss-shaped ones are the very functions of `lamina.losses`. `get(identifier)` resolves the
names Keras accepts: class names, their snake_case forms ("mean_absolute_error",
"binary_accuracy", "auc", "accuracy") and "mse", "mae", "mape", "msle", "bce".
"""
import inspect

from lamina import registry
from lamina.losses import deserialize as _deserialize
from lamina.losses.hinge import categorical_hinge, hinge, squared_hinge  # noqa: F401
from lamina.losses.loss import to_snake_case as _to_snake_case
from lamina.losses.probabilistic import (  # noqa: F401
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, kl_divergence, poisson, sparse_categorical_crossentropy,
)
from lamina.losses.regression import (  # noqa: F401
    huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error,
)
from lamina.metrics.accuracy import (  # noqa: F401
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from lamina.metrics.at_value import (  # noqa: F401
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
)
from lamina.metrics.confusion import (  # noqa: F401
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
)
from lamina.metrics.correlation import (  # noqa: F401
    ConcordanceCorrelation, PearsonCorrelation, concordance_correlation, pearson_correlation,
)
from lamina.metrics.f_score import F1Score, FBetaScore  # noqa: F401
from lamina.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU  # noqa: F401
from lamina.metrics.metric import Metric  # noqa: F401
from lamina.metrics.probabilistic import (  # noqa: F401
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge, KLDivergence, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge,
)
from lamina.metrics.reduction import Mean, MeanMetricWrapper, Sum  # noqa: F401
from lamina.metrics.regression import (  # noqa: F401
    CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError,
)

ALL_OBJECTS = (
    Metric, Mean, Sum, MeanMetricWrapper,
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
    Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    F1Score, FBetaScore,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
    PearsonCorrelation, ConcordanceCorrelation,
)  # fmt: skip
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({_to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({
    "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
    # lamina extension: Keras 3 rejects "rmse", but the course (and tf.keras users) write it
    "rmse": RootMeanSquaredError, "RMSE": RootMeanSquaredError,
})  # fmt: skip

# The per-sample metric functions, by name (for MeanMetricWrapper configs).
FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
        top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, binary_crossentropy,
        binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
        sparse_categorical_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
        categorical_hinge, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
        mean_squared_error, mean_squared_logarithmic_error, pearson_correlation,
        concordance_correlation,
    )
}  # fmt: skip
registry.register_builtins("metric", {**ALL_OBJECTS_DICT, **FUNCTIONS})


def get_function(name):
    """The per-sample metric function called `name` (e.g. "binary_accuracy")."""
    from lamina.losses import _lookup  # noqa: PLC0415

    return _lookup(name, kind="metric function", table=FUNCTIONS)


def serialize(metric):
    """A config dict (Keras's layout) for a metric instance or a metric function."""
    if inspect.isfunction(metric):
        return registry.serialize_function(metric)
    return registry.serialize(metric, "metric")


def deserialize(config, custom_objects=None):
    """The metric described by a name or a `serialize` dict (dicts: `lamina.registry`)."""
    return _deserialize(config, custom_objects, table=ALL_OBJECTS_DICT, kind="metric")


def get(identifier):
    """A metric instance (or function) from a name, config dict, function, class or instance.

    Names follow Keras 3's `metrics.get`: class names and their snake_case forms return new
    instances (`get("mae")` -> `MeanAbsoluteError()`, `get("accuracy")` -> `Accuracy()`);
    compile's special handling of "accuracy"/"acc" by loss and output shape happens in
    `Model.compile`, not here. Unknown names raise ValueError suggesting the closest.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        from lamina.losses import _lookup  # noqa: PLC0415

        obj = _lookup(identifier, kind="metric", table=ALL_OBJECTS_DICT)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
