"""Adam: adaptive moment estimation (Kingma & Ba, 2014), with the AMSGrad variant."""
import math

import numpy as np

from lamina import _native
from lamina.optimizers.base import Optimizer


class Adam(Optimizer):
    """Adam optimizer.

    At step t (= iterations + 1), with gradient g and slots m ("momentum"), v ("velocity"):
        m <- m + (g - m) * (1 - beta_1)
        v <- v + (g^2 - v) * (1 - beta_2)
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w <- w - alpha * m / (sqrt(v) + epsilon)
    With amsgrad, slot v_hat ("velocity_hat") <- max(v_hat, v) replaces v in the last line.
    epsilon is Keras's "epsilon hat": added to sqrt(v), outside the bias correction.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name="adam",
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
        self.amsgrad = amsgrad

    def _slot_layout(self):
        layout = [[("momentum", 0.0), ("velocity", 0.0)]]
        return layout + [[("velocity_hat", 0.0)]] if self.amsgrad else layout

    def _build_extra(self, variables):
        self._momentums = self._slots["momentum"]
        self._velocities = self._slots["velocity"]
        if self.amsgrad:
            self._velocity_hats = self._slots["velocity_hat"]

    def _step_constants(self, dtype, lr, step):
        t = step + 1
        alpha = lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        t_ = dtype.type
        return t_(1 - self.beta_1), t_(1 - self.beta_2), t_(alpha), t_(self.epsilon)

    def _native_rule(self):
        kernels = _native.optim
        if kernels is None or type(self)._update_flat is not Adam._update_flat:
            return None
        fused, amsgrad = kernels.adam, self.amsgrad

        def rule(b, c):
            one_minus_b1, one_minus_b2, alpha, eps = c
            fused(b["weight"], b["grad"], b["momentum"], b["velocity"],
                  b["velocity_hat"] if amsgrad else None, one_minus_b1, one_minus_b2, alpha, eps)
        return rule

    def _update_flat(self, b, c):
        one_minus_b1, one_minus_b2, alpha, eps = c
        g, m, v, s = b["grad"], b["momentum"], b["velocity"], b["scratch"]
        np.subtract(g, m, out=s)
        s *= one_minus_b1
        m += s
        np.multiply(g, g, out=s)
        s -= v
        s *= one_minus_b2
        v += s
        if self.amsgrad:
            v_hat = b["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=s)
        s += eps
        np.divide(m, s, out=s)
        s *= alpha
        return "scratch", False

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "amsgrad": self.amsgrad,
            }
        )
        return config
