"""LAMB: Adam with a layer-wise trust ratio (You et al., 2019, large-batch training)."""

import numpy as np

from lamina.engine.tensor import data_of
from lamina.optimizers.base import Optimizer


class Lamb(Optimizer):
    """Lamb optimizer.

    At step t (= iterations + 1), with gradient g and slots m ("momentum"), v ("velocity"):
        m <- m + (g - m) * (1 - beta_1);   v <- v + (g^2 - v) * (1 - beta_2)
        u = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon)
        r = ||w|| / ||u||  (1 if either norm is 0), norms over the whole variable
        w <- w - r * lr * u
    The trust ratio r needs whole-variable norms, so the rule runs per variable.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None,
                 **kwargs):  # fmt: skip
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _slot_layout(self):
        return [[("momentum", 0.0), ("velocity", 0.0)]]

    def _build_extra(self, variables):
        self._momentums = self._slots["momentum"]
        self._velocities = self._slots["velocity"]

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w = variable.data
        t = w.dtype.type
        g = np.asarray(data_of(gradient), dtype=w.dtype)
        lr = t(float(data_of(learning_rate)))
        step = self._effective_step() + 1
        m, v = self._momentums[i].data, self._velocities[i].data
        m += (g - m) * t(1 - self.beta_1)
        v += (g * g - v) * t(1 - self.beta_2)
        update = (m / t(1 - self.beta_1**step)) / (
            np.sqrt(v / t(1 - self.beta_2**step)) + t(self.epsilon)
        )
        w_norm = np.sqrt(np.sum(w * w))
        u_norm = np.sqrt(np.sum(update * update))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else t(1)
        w -= t(ratio) * lr * update

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
