"""Nadam: Adam with Nesterov momentum and Dozat's momentum-cache schedule."""
import numpy as np

from lamina.engine import dtypes
from lamina.optimizers.base import Optimizer


class Nadam(Optimizer):
    """Nadam optimizer (Dozat, 2015), as Keras 3 implements it.

    At step t (= iterations + 1), with gradient g and slots m ("momentum"), v ("velocity"),
    the momentum schedule mu_t = beta_1 * (1 - 0.5 * 0.96^t) and the running product
    P_t = mu_1 * ... * mu_t (the optimizer variable `u_product`, updated once per step):
        m <- m + (g - m) * (1 - beta_1)
        v <- v + (g^2 - v) * (1 - beta_2)
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2^t)
        w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        name="nadam",
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
        return [[("momentum", 0.0), ("velocity", 0.0)]]

    def _build_extra(self, variables):
        self._momentums = self._slots["momentum"]
        self._velocities = self._slots["velocity"]
        dtype = variables[0].dtype if variables else dtypes.floatx()
        # Keras leaves this variable unnamed; it is the last entry of `variables`.
        self._u_product = self._new_variable(1.0, "u_product", dtype)

    def _mu(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96**t)

    def _advance(self, step):
        u = self._u_product.data
        u[...] = u.item() * self._mu(step + 1)

    def _step_constants(self, dtype, lr, step):
        t = step + 1
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        product = self._u_product.data.item()
        typ = dtype.type
        return (
            typ(1 - self.beta_1),
            typ(1 - self.beta_2),
            typ(mu_next / (1 - product * mu_next)),
            typ((1 - mu_t) / (1 - product)),
            typ(1 - self.beta_2**t),
            typ(lr),
            typ(self.epsilon),
        )

    def _update_flat(self, b, c):
        one_minus_b1, one_minus_b2, m_coef, g_coef, v_corr, lr, eps = c
        g, m, v = b["grad"], b["momentum"], b["velocity"]
        s, t = b["scratch"], b["scratch2"]
        np.subtract(g, m, out=s)
        s *= one_minus_b1
        m += s
        np.multiply(g, g, out=s)
        s -= v
        s *= one_minus_b2
        v += s
        np.multiply(m, m_coef, out=s)  # m_hat
        np.multiply(g, g_coef, out=t)
        s += t
        np.divide(v, v_corr, out=t)  # v_hat
        np.sqrt(t, out=t)
        t += eps
        s /= t
        s *= lr
        return "scratch", False

    def _scratch_count(self):
        return 2

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
