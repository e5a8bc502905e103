"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from lamina import _native
from lamina.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """RMSprop optimizer (Hinton, 2012), optionally centered and with plain momentum.

    With gradient g and slots v ("velocity"), a ("average_gradient", if centered),
    p ("momentum", if momentum > 0):
        v <- rho * v + (1 - rho) * g^2
        centered:  a <- rho * a + (1 - rho) * g;   d = v - a^2 + epsilon
        otherwise: d = v + epsilon
        increment = lr * g / sqrt(d)
        momentum > 0:  p <- momentum * p + increment;   w <- w - p
        otherwise:     w <- w - increment
    (epsilon is inside the square root, as Keras.)
    """

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
        name="rmsprop",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            **kwargs,
        )
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _slot_layout(self):
        layout = [[("velocity", 0.0)]]
        if self.momentum > 0:
            layout.append([("momentum", 0.0)])
        if self.centered:
            layout.append([("average_gradient", 0.0)])
        return layout

    def _build_extra(self, variables):
        self._velocities = self._slots["velocity"]
        self._momentums = self._slots.get("momentum", [])
        self._average_gradients = self._slots.get("average_gradient", [])

    def _step_constants(self, dtype, lr, step):
        t = dtype.type
        return t(self.rho), t(1 - self.rho), t(lr), t(self.momentum), t(self.epsilon)

    def _native_rule(self):
        kernels = _native.optim
        if (kernels is None or self.centered or self.momentum > 0
                or type(self)._update_flat is not RMSprop._update_flat):
            return None
        fused = kernels.rmsprop

        def rule(b, c):
            rho, one_minus_rho, lr, _, eps = c
            fused(b["weight"], b["grad"], b["velocity"], rho, one_minus_rho, lr, eps)
        return rule

    def _update_flat(self, b, c):
        rho, one_minus_rho, lr, momentum, eps = c
        g, v, s = b["grad"], b["velocity"], b["scratch"]
        v *= rho
        np.multiply(g, g, out=s)
        s *= one_minus_rho
        v += s
        if self.centered:
            a = b["average_gradient"]
            a *= rho
            np.multiply(g, one_minus_rho, out=s)
            a += s
            np.multiply(a, a, out=s)
            np.subtract(v, s, out=s)
            s += eps
        else:
            np.add(v, eps, out=s)
        np.sqrt(s, out=s)
        np.divide(g, s, out=s)
        s *= lr
        if self.momentum > 0:
            p = b["momentum"]
            p *= momentum
            p += s
            return "momentum", False
        return "scratch", False

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rho": self.rho,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "centered": self.centered,
            }
        )
        return config
