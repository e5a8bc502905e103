"""Lion: sign-of-interpolated-momentum updates (Chen et al., 2023, "Symbolic Discovery of
Optimization Algorithms")."""

import numpy as np

from lamina.optimizers.base import Optimizer


class Lion(Optimizer):
    """Lion optimizer.

    With gradient g and slot m ("momentum"):
        w <- w - lr * sign(beta_1 * m + (1 - beta_1) * g)
        m <- beta_2 * m + (1 - beta_2) * g
    Every coordinate moves by exactly lr (or 0), so a good lr is typically 3-10x smaller
    than AdamW's, and the weight decay 3-10x larger.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the (0, 1] range; at 0 Lion degenerates to "
                f"SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _slot_layout(self):
        return [[("momentum", 0.0)]]

    def _scratch_count(self):
        return 2

    def _build_extra(self, variables):
        self._momentums = self._slots["momentum"]

    def _step_constants(self, dtype, lr, step):
        t = dtype.type
        return t(1 - self.beta_1), t(1 - self.beta_2), t(lr)

    def _update_flat(self, b, c):
        one_minus_b1, one_minus_b2, lr = c
        g, m, s, s2 = b["grad"], b["momentum"], b["scratch"], b["scratch2"]
        np.subtract(g, m, out=s2)  # g - m, shared by both interpolations
        np.multiply(s2, one_minus_b1, out=s)
        s += m  # beta_1 m + (1 - beta_1) g
        np.sign(s, out=s)
        s *= lr
        s2 *= one_minus_b2
        m += s2  # beta_2 m + (1 - beta_2) g
        return "scratch", False

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
