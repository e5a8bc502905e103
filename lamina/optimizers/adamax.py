"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from lamina.optimizers.base import Optimizer


class Adamax(Optimizer):
    """Adamax optimizer (section 7.1 of Kingma & Ba, 2014).

    At step t (= iterations + 1), with gradient g and slots m ("momentum"), u ("norm"):
        m <- m + (g - m) * (1 - beta_1)
        u <- max(beta_2 * u, |g|)
        w <- w - lr * m / ((1 - beta_1^t) * (u + epsilon))
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        name="adamax",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            **kwargs,
        )
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _slot_layout(self):
        return [[("momentum", 0.0), ("norm", 0.0)]]

    def _build_extra(self, variables):
        self._m = self._slots["momentum"]
        self._u = self._slots["norm"]

    def _step_constants(self, dtype, lr, step):
        t = dtype.type
        corrected_lr = lr / (1 - self.beta_1 ** (step + 1))
        return t(1 - self.beta_1), t(self.beta_2), t(corrected_lr), t(self.epsilon)

    def _update_flat(self, b, c):
        one_minus_b1, beta_2, lr_t, eps = c
        g, m, u, s = b["grad"], b["momentum"], b["norm"], b["scratch"]
        np.subtract(g, m, out=s)
        s *= one_minus_b1
        m += s
        u *= beta_2
        np.abs(g, out=s)
        np.maximum(u, s, out=u)
        np.add(u, eps, out=s)
        np.divide(m, s, out=s)
        s *= lr_t
        return "scratch", False

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
