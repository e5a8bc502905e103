"""`MultiOptimizer` and `OptimizerMap`: different optimizers for different groups of
variables (Keras 3's `keras.optimizers.MultiOptimizer` / `OptimizerMap`).

`OptimizerMap` chooses an optimizer by variable path: an exact key first, else the one key
that `re.fullmatch`es the path (two matches are an error), else the default optimizer.
`MultiOptimizer` builds each sub-optimizer on its own variables and, every step, hands each
one its gradients; its own state is `iteration` and `learning_rate` (unused), and its
`variables` are its own followed by each sub-optimizer's, in the order of `optimizers`
(the map's values, then the default, then any other the selector returned).
"""
import re
from collections.abc import MutableMapping

from lamina import registry
from lamina.optimizers._serialization import serialize_object
from lamina.optimizers.base import Optimizer


def _check_member(optimizer, what):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what} must be a lamina optimizer instance (e.g. keras.optimizers.Adam()). "
                         f"Received: {optimizer!r}")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{what} cannot be a MultiOptimizer: MultiOptimizers do not nest")
    if type(optimizer).__name__ == "LossScaleOptimizer":
        raise ValueError(f"{what} cannot be a LossScaleOptimizer; give the MultiOptimizer a "
                         "loss_scale_factor instead")


def _deserialize_optimizer(config, custom_objects):
    obj = registry.deserialize(config, "optimizer", custom_objects)
    if not isinstance(obj, Optimizer):
        raise ValueError(f"expected an optimizer config, got {str(config)[:200]}")
    return obj


class OptimizerMap(MutableMapping):
    """A mapping from variable paths (or regex patterns of them) to optimizers.

    default_optimizer: the optimizer of every variable no key matches.
    optimizer_map: optional dict {path or pattern: optimizer}.
    `map[path]` is the exact key's optimizer, else the single pattern that fully matches
    `path` (ValueError if several do), else `default_optimizer`; `map(variable)` looks up
    `variable.path`. A pattern for a whole block is written "encoder/.*".
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}: the patterns {matches} "
                             "all match it; make the keys of the OptimizerMap disjoint")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                "Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string (a variable path or regex). Received: {key!r}")
        _check_member(optimizer, f"the optimizer for key {key!r}")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {
            "default_optimizer": serialize_object(self._default_optimizer, "optimizer"),
            "optimizer_map": {k: serialize_object(o, "optimizer") for k, o in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        default = _deserialize_optimizer(config["default_optimizer"], custom_objects)
        mapping = {k: _deserialize_optimizer(c, custom_objects)
                   for k, c in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer `optimizer_map(variable)` returns.

    optimizer_map: an `OptimizerMap`, or a callable variable -> optimizer (not saveable
        unless it is a registered function). loss_scale_factor: set on every sub-optimizer.
    It has no learning rate of its own (reading or setting `learning_rate` raises
    AttributeError): use `optimizers`, the list of sub-optimizers.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        if not (isinstance(optimizer_map, OptimizerMap) or callable(optimizer_map)):
            raise TypeError("MultiOptimizer: optimizer_map must be an OptimizerMap or a callable "
                            f"variable -> optimizer. Received: {optimizer_map!r}")
        self._optimizer_map = optimizer_map
        if isinstance(optimizer_map, OptimizerMap):
            for opt in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._adopt(opt)

    def _adopt(self, opt):
        if not any(opt is o for o in self._inner_optimizers):
            opt.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(opt)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        owner = []
        for var in var_list:
            opt = self._optimizer_map(var)
            _check_member(opt, f"the optimizer chosen for variable {var.path!r}")
            self._adopt(opt)
            owner.append(next(k for k, o in enumerate(self._inner_optimizers) if o is opt))
        groups = [[v for v, k in zip(var_list, owner) if k == j] for j in range(len(self._inner_optimizers))]
        for opt, variables in zip(self._inner_optimizers, groups):
            if variables:
                opt.build(variables)
        self._owner = owner
        self._trainable_variables = var_list
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(var_list)}
        self.built = True

    @property
    def optimizers(self):
        return self._inner_optimizers

    @property
    def variables(self):
        out = self._variables[:]
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the "
                             "learning rate on the individual sub-optimizers (`.optimizers`) instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning "
                             "rate on the individual sub-optimizers (`.optimizers`) instead.")

    @property
    def loss_scale_factor(self):
        return self._loss_scale_factor

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in self._inner_optimizers:
            opt.loss_scale_factor = value

    def apply(self, grads, trainable_variables=None):
        grads, trainable_variables = self._apply_arguments(grads, trainable_variables)
        if not grads:
            return
        parts = [([], []) for _ in self._inner_optimizers]
        for grad, var in zip(grads, trainable_variables):
            i = self._trainable_variables_indices.get(id(var))
            if i is None:
                raise ValueError(f"Unknown variable: {var!r}. This optimizer can only be called for "
                                 "the variables it was originally built with.")
            g, v = parts[self._owner[i]]
            g.append(grad)
            v.append(var)
        for opt, (g, v) in zip(self._inner_optimizers, parts):
            if v and any(x is not None for x in g):
                opt.apply(g, v)
        it = self._iterations.data
        it[()] = it.item() + 1

    def finalize_variable_values(self, var_list):
        for opt, variables in zip(self._inner_optimizers, self._split(var_list)):
            if variables:
                opt.finalize_variable_values(variables)

    def _split(self, var_list):
        groups = [[] for _ in self._inner_optimizers]
        for var in var_list:
            groups[self._owner[self._get_variable_index(var)]].append(var)
        return groups

    def set_weights(self, weights):
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been "
                             "built. Please call `optimizer.build(trainable_variables)` first.")
        variables = self.variables
        if len(weights) != len(variables):
            raise ValueError(f"{self.name}.set_weights: expected {len(variables)} arrays (own then "
                             f"each sub-optimizer's variables), got {len(weights)}")
        for variable, weight in zip(variables, weights):
            variable.assign(weight)

    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy().copy()

    def load_own_variables(self, store):
        variables = self.variables
        if len(store.keys()) != len(variables):
            raise ValueError(f"{self.name}: the store has {len(store.keys())} variables but this "
                             f"MultiOptimizer has {len(variables)} (build it on the same variables first)")
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def get_config(self):
        return {
            "optimizer_map": serialize_object(self._optimizer_map, "optimizer"),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict):
            mapping = registry.deserialize(mapping, "optimizer", custom_objects)
        config["optimizer_map"] = mapping
        return cls(**config)
