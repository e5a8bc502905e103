"""Run course code unchanged: `keras`, `tensorflow.keras`, `tf_keras` and `tensorflow` as lamina.

Nothing here is active on `import lamina`. The aliases are installed only by
`python -m lamina run ...` (for the script or notebook it runs), by `lamina.use_as_keras()`
in an interactive session, or by `%load_ext lamina` in IPython/Jupyter. Once installed,
`import keras` gives the module `lamina` itself (`keras.layers.Dense is lamina.layers.Dense`)
and `import tensorflow as tf` gives `lamina.compat.tensorflow`, the TensorFlow subset courses
use. `lamina.use_as_keras(False)` removes the aliases again.
"""
import importlib
import importlib.abc
import importlib.util
import sys

# alias prefix -> lamina module it stands for
_KERAS_NAMES = ("keras", "tf_keras", "tensorflow.keras")
_TF = "tensorflow"
_TF_TARGET = "lamina.compat.tensorflow"
_TUNER = "keras_tuner"  # KerasTuner's package -> lamina.keras_tuner


def target_of(fullname):
    """The lamina module that the aliased import `fullname` stands for, or None if not aliased."""
    for alias in _KERAS_NAMES:
        if fullname == alias or fullname.startswith(alias + "."):
            return "lamina" + fullname[len(alias):]
    if fullname == _TF or fullname.startswith(_TF + "."):
        return _TF_TARGET + fullname[len(_TF):]
    if fullname == _TUNER or fullname.startswith(_TUNER + "."):
        return "lamina.keras_tuner" + fullname[len(_TUNER):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system lamina's already-imported module instead of a new one."""

    def __init__(self, target):
        self.target = target
        self.original_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.original_spec = module.__spec__
        return module

    def exec_module(self, module):
        # the import system stamps the alias spec on the module: give it back its own
        module.__spec__ = self.original_spec


class AliasFinder(importlib.abc.MetaPathFinder):
    """A `sys.meta_path` finder resolving the keras/tensorflow names to lamina's modules."""

    def find_spec(self, fullname, path=None, target=None):
        lamina_name = target_of(fullname)
        if lamina_name is None:
            return None
        if importlib.util.find_spec(lamina_name) is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: lamina stands in for Keras and for the TensorFlow "
                "subset that courses use (tensorflow.nn, .math, .random, .data, .config, .keras); "
                f"{fullname!r} is not part of it (see docs/compat.md for the list)",
                name=fullname,
            )
        return importlib.util.spec_from_loader(fullname, _AliasLoader(lamina_name))


_FINDER = AliasFinder()


def _foreign(name):
    """The real, non-lamina module already imported under `name`, if any."""
    module = sys.modules.get(name)
    if module is None:
        return None
    real = getattr(module, "__name__", "")
    return None if real == "lamina" or real.startswith("lamina.") else module


def use_as_keras(enable=True):
    """Make `import keras` / `import tensorflow` give lamina in this interpreter (or undo it).

    Raises RuntimeError if the real Keras or TensorFlow was imported first: the modules
    already loaded would mix with lamina's. Start a fresh interpreter and call this first.
    """
    if not enable:
        if _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
        for name in list(sys.modules):
            if target_of(name) is not None and _foreign(name) is None:
                del sys.modules[name]
        return
    for name in ("keras", "tensorflow", "tf_keras", _TUNER):
        module = _foreign(name)
        if module is not None:
            raise RuntimeError(
                f"the real {name!r} ({getattr(module, '__file__', '?')}) is already imported in "
                "this interpreter, so lamina cannot stand in for it; call "
                "lamina.use_as_keras() (or %load_ext lamina) before any `import "
                f"{name}`, in a fresh interpreter/kernel"
            )
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def is_active():
    """True if the keras/tensorflow aliases are installed."""
    return _FINDER in sys.meta_path
