"""`lamina.utils`: seeding, gradient checking, progress bars, data and sequence helpers."""
from lamina.random import set_seed as set_random_seed  # noqa: F401
from lamina.utils.gradient_check import check_gradients  # noqa: F401
from lamina.utils.data_utils import get_file  # noqa: F401
from lamina.utils.numerical_utils import normalize, to_categorical  # noqa: F401
from lamina.utils.sequence_utils import multi_hot, pad_sequences  # noqa: F401
from lamina.utils.progbar import Progbar  # noqa: F401
from lamina.utils.py_dataset import PyDataset, Sequence  # noqa: F401
from lamina.backend import clear_session  # noqa: F401
from lamina import lazy as _lazy
from lamina import layers as _layers  # noqa: F401  (fills the layer table before the lazy names below)
from lamina import registry as _registry


def register_keras_serializable(package="Custom", name=None):
    """Alias of `lamina.saving.register_keras_serializable` (keras.utils spelling)."""
    from lamina.saving import register_keras_serializable as register  # noqa: PLC0415  (saving imports utils' siblings; a tool above this facade)

    return register(package=package, name=name)


# dataset, image and plotting utilities, imported on first use (keeps `import lamina` fast)
_LAZY = {name: f"lamina.utils.{module}" for name, module in {
    "plot_model": "model_plot", "model_to_dot": "model_plot",
    "Dataset": "dataset",
    "image_dataset_from_directory": "directory_dataset",
    "text_dataset_from_directory": "directory_dataset",
    "audio_dataset_from_directory": "audio_dataset",
    "FeatureSpace": "feature_space",
    "timeseries_dataset_from_array": "timeseries_dataset",
    "split_dataset": "dataset_split",
    "load_img": "image_utils", "img_to_array": "image_utils",
    "array_to_img": "image_utils", "save_img": "image_utils",
    "pack_x_y_sample_weight": "misc_utils", "unpack_x_y_sample_weight": "misc_utils",
    "get_source_inputs": "misc_utils", "Config": "misc_utils",
    "enable_interactive_logging": "io_utils", "disable_interactive_logging": "io_utils",
    "is_interactive_logging_enabled": "io_utils",
}.items()}
# the serialization registry and helpers live in lamina.saving (keras.utils re-exports them)
_LAZY.update(dict.fromkeys(("CustomObjectScope", "custom_object_scope", "get_custom_objects",
                            "get_registered_name", "get_registered_object", "serialize_keras_object",
                            "deserialize_keras_object"), "lamina.saving"))
_LAZY.update(dict.fromkeys(("standardize_dtype", "is_keras_tensor"), "lamina.backend"))
__getattr__, __dir__ = _lazy.exports(__name__, globals(), _LAZY)


def _feature_space_class(name):
    from lamina.utils import feature_space  # noqa: PLC0415  (imported when a file names it)

    return getattr(feature_space, name)


# FeatureSpace and its parts can be read back from .keras files (loaded on first use)
_registry.register_builtins("layer", {}, lazy={
    name: (lambda name=name: _feature_space_class(name)) for name in ("FeatureSpace", "Feature", "Cross")})
