"""`lamina.models`: Model, Sequential, and (de)serialization entry points."""
from lamina import registry as _registry
from lamina.models.functional import Functional  # noqa: F401
from lamina.models.model import Model  # noqa: F401
from lamina.models.sequential import Sequential  # noqa: F401
from lamina.models.cloning import clone_model  # noqa: F401
from lamina.saving.saving_api import load_model, model_from_json, save_model  # noqa: F401,E402

_registry.register_builtins("model", {"Functional": Functional}, _registry.FUNCTIONAL_MODULE)
_registry.register_builtins("model", {"Sequential": Sequential, "Model": Model}, "keras")
