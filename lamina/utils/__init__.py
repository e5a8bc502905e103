"""`lamina.utils`: seeding, gradient checking, progress bars, data and sequence helpers."""
from lamina.random import set_seed as set_random_seed  # noqa: F401
from lamina.utils.gradient_check import check_gradients  # noqa: F401
from lamina.utils.data_utils import get_file  # noqa: F401
from lamina.utils.numerical_utils import normalize, to_categorical  # noqa: F401
from lamina.utils.sequence_utils import multi_hot, pad_sequences  # noqa: F401
from lamina.utils.progbar import Progbar  # noqa: F401
from lamina.utils.py_dataset import PyDataset, Sequence  # noqa: F401
from lamina.backend import clear_session  # noqa: F401


def register_keras_serializable(package="Custom", name=None):
    """Alias of `lamina.saving.register_keras_serializable` (keras.utils spelling)."""
    from lamina.saving import register_keras_serializable as register  # noqa: PLC0415

    return register(package=package, name=name)


def plot_model(model, to_file="model.png", **kwargs):
    """Not available: drawing the graph needs pydot and Graphviz; see `model.summary()`."""
    raise NotImplementedError(
        "lamina.utils.plot_model is not implemented (it needs pydot and Graphviz); "
        "model.summary() prints the layers, their shapes and connections"
    )
