"""`LossScaleOptimizer`: dynamic loss scaling around another optimizer (mixed_float16).

float16 gradients underflow to zero below ~6e-8. The training step multiplies the loss by a
large scale (`scale_loss`, 2**15 at first) so the float16 gradients of the backward pass stay
representable; `apply` divides the (float32) gradients by the scale and hands them to the
inner optimizer. As in Keras:
- a step whose gradients hold an inf or NaN is skipped: no update, the scale is halved and
  the count of good steps restarts at 0;
- after `dynamic_growth_steps` consecutive finite steps the scale doubles.
`model.compile` wraps the optimizer in one automatically when the model's policy is
"mixed_float16" (unless `auto_scale_loss=False`).

State, in Keras's order: its own `iteration` and `learning_rate` (unused, as Keras's), then
`step_counter` (int) and `dynamic_scale` (float32), then the inner optimizer's variables.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.optimizers._serialization import deserialize_object, serialize_object
from lamina.optimizers.base import Optimizer

# base-optimizer arguments an older Keras wrote into this optimizer's config: accepted when
# they hold their default (they did nothing), refused otherwise
_INERT_DEFAULTS = {
    "weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
    "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
    "loss_scale_factor": None, "gradient_accumulation_steps": None, "learning_rate": None,
}  # fmt: skip


class LossScaleOptimizer(Optimizer):
    """Keras 3's `LossScaleOptimizer(inner_optimizer, initial_scale=2**15,
    dynamic_growth_steps=2000, name=None)`."""

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer(dynamic=False) is not supported (nor in Keras 3): set "
                             "`loss_scale_factor` on the inner optimizer for a fixed scale")
        for key in [k for k in kwargs if k in _INERT_DEFAULTS]:
            value = kwargs.pop(key)
            if value is not None and value != _INERT_DEFAULTS[key] and key != "learning_rate":
                raise ValueError(f"LossScaleOptimizer does not support `{key}`: set it on the "
                                 "inner_optimizer instead")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments {sorted(kwargs)}")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"LossScaleOptimizer: inner_optimizer must be a lamina optimizer (e.g. "
                            f"keras.optimizers.Adam()), got {inner_optimizer!r}")
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError("LossScaleOptimizer: the inner optimizer is already a LossScaleOptimizer")
        if not initial_scale > 0:
            raise ValueError(f"LossScaleOptimizer: initial_scale must be > 0, got {initial_scale!r}")
        if int(dynamic_growth_steps) < 1:
            raise ValueError(f"LossScaleOptimizer: dynamic_growth_steps must be >= 1, got "
                             f"{dynamic_growth_steps!r}")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self.inner_optimizer.loss_scale_factor = None  # scaling twice would be wrong

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self.step_counter = self._new_variable(0, "step_counter", "int32")
        self.dynamic_scale = self._new_variable(self.initial_scale, "dynamic_scale", "float32")
        self.inner_optimizer.build(var_list)
        self._trainable_variables = var_list
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(var_list)}
        self.built = True

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if "inner_optimizer" not in self.__dict__:  # the base constructor's placeholder
            Optimizer.learning_rate.fset(self, learning_rate)
            return
        self.inner_optimizer.learning_rate = learning_rate

    def scale_loss(self, loss):
        """`loss * scale`: the current dynamic scale (the initial one before `build`)."""
        scale = self.dynamic_scale.data.item() if self.built else self.initial_scale
        return loss * scale

    def check_finite(self, grads):
        """True when every gradient given (None ones skipped) is finite."""
        return all(np.isfinite(g.data if isinstance(g, Tensor) else g).all() for g in grads if g is not None)

    def apply(self, grads, trainable_variables=None):
        if not isinstance(grads, (list, tuple)):
            grads = list(grads)
        if trainable_variables is not None:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
        elif not self.built:
            raise ValueError("LossScaleOptimizer.apply without variables: build the optimizer first "
                             "(optimizer.build(trainable_variables))")
        counter, scale = self.step_counter.data, self.dynamic_scale.data
        if not self.check_finite(grads):
            counter[()] = 0
            scale[()] = scale * np.float32(0.5)
            return
        unscaled = [None if g is None else _divided(g, scale.item()) for g in grads]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        if counter.item() == self.dynamic_growth_steps - 1:
            counter[()] = 0
            scale[()] = scale * np.float32(2.0)
        else:
            counter[()] = counter.item() + 1

    def apply_gradients(self, grads_and_vars):
        super().apply_gradients(grads_and_vars)
        return self.iterations

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        raise NotImplementedError("LossScaleOptimizer.stateless_apply is not implemented in lamina: "
                                  "call apply(), or stateless_apply on the inner optimizer")

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": serialize_object(self.inner_optimizer, "optimizer"),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = deserialize_object(inner, custom_objects, "optimizer", Optimizer)
        return cls(inner, **config)


def _divided(g, scale):
    a = g.data if isinstance(g, Tensor) else np.asarray(g)
    return a / a.dtype.type(scale) if a.dtype.kind == "f" else a / scale
