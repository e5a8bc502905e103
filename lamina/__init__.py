"""lamina: a NumPy deep-learning library with Keras 3's API and its own autodiff engine.

`import lamina as keras` runs textbook Keras code: `keras.Sequential`, `keras.layers`,
`keras.ops`, `keras.datasets`, and `keras.GradientTape` (TensorFlow's name, kept here).
"""
__version__ = "0.1.0"

import importlib as _importlib

from lamina.engine import allocator as _allocator

_allocator.tune()  # large buffers reused from the heap, not page-faulted in every step

from lamina import (  # noqa: E402,F401
    activations, backend, callbacks, constraints, initializers, layers, losses, metrics, models,
    ops, optimizers, random, regularizers, utils,
)
from lamina.engine.tape import GradientTape  # noqa: E402,F401
from lamina.engine.tensor import Tensor, Variable  # noqa: E402,F401
from lamina.layers import Input, InputLayer, InputSpec, Layer  # noqa: E402,F401
from lamina.backend import device  # noqa: E402,F401
from lamina.symbolic.operation import Operation  # noqa: E402,F401
from lamina.models import Model, Sequential  # noqa: E402,F401
from lamina.symbolic.keras_tensor import KerasTensor  # noqa: E402,F401
from lamina.losses import Loss  # noqa: E402,F401
from lamina.metrics import Metric  # noqa: E402,F401
from lamina.optimizers import Optimizer  # noqa: E402,F401
from lamina.initializers import Initializer  # noqa: E402,F401
from lamina.regularizers import Regularizer  # noqa: E402,F401
from lamina.constraints import Constraint  # noqa: E402,F401
from lamina.engine.scopes import RematScope, StatelessScope, SymbolicScope, name_scope  # noqa: E402,F401
from lamina.ops.remat import remat  # noqa: E402,F401
from lamina.models.function import Function  # noqa: E402,F401



def version():
    """lamina's version (keras.version() gives Keras's)."""
    return __version__


# submodules imported on first use (they pull in more of NumPy/SciPy or optional packages)
_LAZY = {"datasets", "preprocessing", "saving", "plot", "validation", "config", "applications", "tree",
         "distribution", "dtype_policies", "mixed_precision",
         "export", "quantizers", "wrappers", "visualization"}


def use_as_keras(enable=True):
    """Make `import keras`, `tensorflow.keras`, `tf_keras` give lamina and `import tensorflow` give
    lamina's TensorFlow subset in this interpreter; `use_as_keras(False)` undoes it."""
    from lamina import compat  # noqa: PLC0415  (importlib machinery only needed on request)

    compat.use_as_keras(enable)


def load_ipython_extension(ipython):
    """`%load_ext lamina`: the keras/tensorflow aliases for this IPython/Jupyter session."""
    use_as_keras()


def unload_ipython_extension(ipython):
    """`%unload_ext lamina`: remove the aliases."""
    use_as_keras(False)


def __getattr__(name):
    if name in ("DTypePolicy", "FloatDTypePolicy"):  # keras.DTypePolicy
        return getattr(_importlib.import_module("lamina.dtype_policies"), name)
    if name == "Quantizer":  # keras.Quantizer
        return _importlib.import_module("lamina.quantizers").Quantizer
    if name in _LAZY:
        try:
            module = _importlib.import_module(f"lamina.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"lamina.{name}":  # a missing dependency inside the module: say so
                raise
            # hasattr()/getattr(default) probes need AttributeError, not ModuleNotFoundError
            raise AttributeError(f"module 'lamina' has no attribute {name!r} (lamina.{name} "
                                 "is not implemented yet)") from None
        globals()[name] = module
        return module
    raise AttributeError(f"module 'lamina' has no attribute {name!r}")
