"""FTRL-Proximal: "Follow The Regularized Leader" (McMahan et al., 2013), for shallow
models with large sparse feature spaces."""

import numpy as np

from lamina.engine.tensor import data_of
from lamina.optimizers.base import Optimizer


class Ftrl(Optimizer):
    """FTRL optimizer, as Keras 3 implements it (per variable).

    With gradient g, slots n ("accumulator", starting at `initial_accumulator_value`) and
    z ("linear"), p = -learning_rate_power, l1/l2 the regularization strengths and
    l2' = l2 + beta / (2 lr):
        g' = g + 2 * l2_shrinkage * w
        n_new = n + g^2
        z <- z + g' - (n_new^p - n^p) / lr * w
        w <- (clip(z, -l1, l1) - z) / (n_new^p / lr + 2 l2');   n <- n_new
    (so w = 0 where |z| <= l1: the L1 term makes weights exactly sparse.)
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        name="ftrl",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        checks = [
            ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
            ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
             "positive or zero"),
        ]  # fmt: skip
        for arg, value, need in checks:
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be {need}. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_layout(self):
        return [[("accumulator", self.initial_accumulator_value), ("linear", 0.0)]]

    def _build_extra(self, variables):
        self._accumulators = self._slots["accumulator"]
        self._linears = self._slots["linear"]
        for acc in self._accumulators:  # Keras names these plainly (not after the variable)
            acc.name = "accumulator"
            acc.path = f"{self.name}/accumulator"

    def update_step(self, gradient, variable, learning_rate):
        """Update one variable: the rule sets w from z, so it needs w itself (no flat path)."""
        i = self._get_variable_index(variable)
        w = variable.data
        t = w.dtype.type
        g = np.asarray(data_of(gradient), dtype=w.dtype)
        lr = t(float(data_of(learning_rate)))
        n, z = self._accumulators[i].data, self._linears[i].data
        power = t(-self.learning_rate_power)
        l2 = t(self.l2_regularization_strength + self.beta / (2.0 * float(lr)))
        l1 = t(self.l1_regularization_strength)
        shrunk = g + t(2 * self.l2_shrinkage_regularization_strength) * w
        n_new = n + g * g
        n_new_p = np.power(n_new, power)
        z += shrunk - (n_new_p - np.power(n, power)) / lr * w
        quadratic = n_new_p / lr + t(2) * l2
        w[...] = (np.clip(z, -l1, l1) - z) / quadratic
        n[...] = n_new

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta,
            }
        )
        return config
