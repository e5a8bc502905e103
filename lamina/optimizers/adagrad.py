"""Adagrad: per-parameter learning rates shrinking with the sum of squared gradients."""
import numpy as np

from lamina.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad optimizer (Duchi et al., 2011).

    With gradient g and slot a ("accumulator", starting at `initial_accumulator_value`):
        a <- a + g^2
        w <- w - lr * g / sqrt(a + epsilon)
    """

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
        epsilon=1e-7,
        name=None,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            **kwargs,
        )
        if initial_accumulator_value < 0:
            raise ValueError(
                "`initial_accumulator_value` must be non-negative. Received: "
                f"initial_accumulator_value={initial_accumulator_value}"
            )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_layout(self):
        return [[("accumulator", self.initial_accumulator_value)]]

    def _build_extra(self, variables):
        self._accumulators = self._slots["accumulator"]

    def _step_constants(self, dtype, lr, step):
        return dtype.type(lr), dtype.type(self.epsilon)

    def _update_flat(self, b, c):
        lr, eps = c
        g, a, s = b["grad"], b["accumulator"], b["scratch"]
        np.multiply(g, g, out=s)
        a += s
        np.add(a, eps, out=s)
        np.sqrt(s, out=s)
        np.divide(g, s, out=s)
        s *= lr
        return "scratch", False

    def get_config(self):
        config = super().get_config()
        config.update(
            {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}
        )
        return config
