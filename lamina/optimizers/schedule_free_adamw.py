"""Schedule-Free AdamW (Defazio et al., 2024, "The Road Less Scheduled"): interpolation and
averaging replace the learning-rate schedule."""
import numpy as np

from lamina.engine.tensor import data_of
from lamina.optimizers.base import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Keras 3's `keras.optimizers.ScheduleFreeAdamW`).

    The model variable is y, slot z ("momentum", starts as a copy of y) takes the gradient
    steps, and x, the running average of z, is recovered from y and z. At step t, with
    gradient g (evaluated at y), slot v ("velocity") and lr_t = lr * min(t / warmup_steps, 1):
        v <- v + (g^2 - v)(1 - beta_2)
        z_new = z - lr_t * g / (sqrt(v / (1 - beta_2^t)) + epsilon)
        x = (y - (1 - beta_1) z) / beta_1                       (z before this step)
        x_new = (1 - 1/t) x + (1/t) z_new
        y <- (1 - beta_1) z_new + beta_1 x_new
    Weight decay (when set) is the base class's decoupled decay, applied to y first.
    """

    def __init__(
        self,
        learning_rate=0.0025,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        warmup_steps=0,
        weight_decay=None,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            weight_decay=weight_decay,
            **kwargs,
        )
        if not 0 < beta_1 <= 1:
            raise ValueError(
                f"ScheduleFreeAdamW: `beta_1` must be in (0, 1] (x is recovered by dividing by "
                f"it). Received: beta_1={beta_1!r}")
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def _slot_layout(self):
        return [[("momentum", 0.0), ("velocity", 0.0)]]

    def _build_extra(self, variables):
        self._momentums = self._slots["momentum"]
        self._velocities = self._slots["velocity"]
        for z, v in zip(self._momentums, variables):
            z.data[...] = v.data  # z starts at the initial weights

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        y = variable.data
        t_ = y.dtype.type
        g = np.asarray(data_of(gradient), dtype=y.dtype)
        step = self._effective_step() + 1
        lr = float(np.asarray(data_of(learning_rate)))
        if self.warmup_steps > 0:
            lr *= min(step / self.warmup_steps, 1.0)
        b1 = self.beta_1
        z, v = self._momentums[i].data, self._velocities[i].data
        x = (y - t_(1 - b1) * z) / t_(b1)  # from y and the z before this step
        v += (g * g - v) * t_(1 - self.beta_2)
        z -= t_(lr) * g / (np.sqrt(v / t_(1 - self.beta_2**step)) + t_(self.epsilon))
        weight = 1.0 / step
        x *= t_(1 - weight)
        x += t_(weight) * z
        np.multiply(z, t_(1 - b1), out=y)
        y += t_(b1) * x

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps,
            }
        )
        return config
