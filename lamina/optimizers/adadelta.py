"""Adadelta: a learning-rate-free Adagrad variant with running averages (Zeiler, 2012)."""
import numpy as np

from lamina.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """Adadelta optimizer.

    With gradient g, slots G ("accumulated_grad") and D ("accumulated_delta_var"), and
    rms(x) = sqrt(x + epsilon):
        G <- rho * G + (1 - rho) * g^2
        delta = -rms(D) * g / rms(G)
        D <- rho * D + (1 - rho) * delta^2
        w <- w + lr * delta
    (Keras keeps a learning rate, default 0.001; the paper's form is lr = 1.0.)
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
        epsilon=1e-7,
        name="adadelta",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            **kwargs,
        )
        self.rho = rho
        self.epsilon = epsilon

    def _slot_layout(self):
        return [[("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]]

    def _scratch_count(self):
        return 2

    def _build_extra(self, variables):
        self._accumulated_grads = self._slots["accumulated_grad"]
        self._accumulated_delta_vars = self._slots["accumulated_delta_var"]

    def _step_constants(self, dtype, lr, step):
        t = dtype.type
        return t(self.rho), t(1 - self.rho), t(lr), t(self.epsilon)

    def _update_flat(self, b, c):
        rho, one_minus_rho, lr, eps = c
        g, acc_g, acc_d = b["grad"], b["accumulated_grad"], b["accumulated_delta_var"]
        s, t = b["scratch"], b["scratch2"]
        acc_g *= rho
        np.multiply(g, g, out=t)
        t *= one_minus_rho
        acc_g += t
        np.add(acc_d, eps, out=s)  # s = -delta = rms(D) * g / rms(G)
        np.sqrt(s, out=s)
        s *= g
        np.add(acc_g, eps, out=t)
        np.sqrt(t, out=t)
        s /= t
        acc_d *= rho
        np.multiply(s, s, out=t)
        t *= one_minus_rho
        acc_d += t
        s *= lr
        return "scratch", False

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
