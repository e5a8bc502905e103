"""`lamina.optimizers`: Keras 3's optimizers, learning-rate schedules and `get`.

`get("adam")` (case-insensitive), `get(config_dict)` and `get(instance)` work as in Keras;
`serialize`/`deserialize` use Keras's dict form, so `.keras` configs round-trip.
"""
import difflib

from lamina import registry

from lamina.optimizers import schedules  # noqa: F401
from lamina.optimizers._serialization import deserialize_object, serialize_object
from lamina.optimizers.adadelta import Adadelta
from lamina.optimizers.adafactor import Adafactor
from lamina.optimizers.adagrad import Adagrad
from lamina.optimizers.adam import Adam
from lamina.optimizers.adamax import Adamax
from lamina.optimizers.adamw import AdamW
from lamina.optimizers.base import Optimizer
from lamina.optimizers.ftrl import Ftrl
from lamina.optimizers.lamb import Lamb
from lamina.optimizers.lion import Lion
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer
from lamina.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from lamina.optimizers.muon import Muon
from lamina.optimizers.nadam import Nadam
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from lamina.optimizers.sgd import SGD

ALL_OBJECTS = (Optimizer, SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam,
               Adafactor, Ftrl, Lamb, Lion, Muon, ScheduleFreeAdamW, LossScaleOptimizer)  # fmt: skip
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}
# MultiOptimizer and OptimizerMap are read from files but not made from a bare name
registry.register_builtins("optimizer", {cls.__name__: cls for cls in
                                         (*ALL_OBJECTS, MultiOptimizer, OptimizerMap)})
# Keras 3 optimizers lamina does not provide (yet): named in the error message.
_NOT_IMPLEMENTED = ("schedulefreesgd",)


def serialize(optimizer):
    """The optimizer as Keras's dict: {"module", "class_name", "config", "registered_name"}."""
    return serialize_object(optimizer, "optimizer")


def deserialize(config, custom_objects=None):
    """An optimizer from `serialize`'s dict; class names are case-insensitive."""
    name = config.get("class_name") if isinstance(config, dict) else None
    if isinstance(name, str) and name.lower() in _NOT_IMPLEMENTED and not (
        custom_objects and name in custom_objects
    ):
        raise NotImplementedError(
            f"the Keras optimizer {name!r} is not implemented in lamina; available: "
            f"{', '.join(_names())}"
        )
    return deserialize_object(config, custom_objects, "optimizer", Optimizer)


def get(identifier):
    """An optimizer from a name ("adam"), a config dict, or an instance (returned as is)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _NOT_IMPLEMENTED:
            return deserialize({"class_name": key, "config": {}})
        if key not in ALL_OBJECTS_DICT or key == "optimizer":
            close = difflib.get_close_matches(key, _names(), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}.{hint} Valid names: "
                f"{', '.join(_names())}."
            )
        return ALL_OBJECTS_DICT[key]()
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        if isinstance(obj, Optimizer):
            return obj
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def _names():
    return [name for name in ALL_OBJECTS_DICT if name != "optimizer"]
