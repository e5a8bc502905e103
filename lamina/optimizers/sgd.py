"""SGD: plain gradient descent, with optional momentum or Nesterov momentum."""
import numbers

import numpy as np

from lamina import _native
from lamina.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent (with momentum) optimizer.

    With gradient g, learning rate lr and the slot `momentum` (velocity v, only kept when
    momentum != 0):
        momentum == 0:  w <- w - lr * g
        momentum > 0:   v <- momentum * v - lr * g;   w <- w + v
        nesterov=True:  v <- momentum * v - lr * g;   w <- w + momentum * v - lr * g
    """

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
        name="SGD",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            **kwargs,
        )
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not (
            0 <= momentum <= 1
        ):
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: {momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def _slot_layout(self):
        return [[("momentum", 0.0)]] if self.momentum != 0 else []

    def _scratch_count(self):
        return 2 if self.nesterov and self.momentum != 0 else 1

    def _build_extra(self, variables):
        self.momentums = self._slots.get("momentum", [])

    def _step_constants(self, dtype, lr, step):
        return dtype.type(lr), dtype.type(self.momentum)

    def _native_rule(self):
        kernels = _native.optim
        if kernels is None or type(self)._update_flat is not SGD._update_flat:
            return None
        fused, has_momentum, nesterov = kernels.sgd, self.momentum != 0, bool(self.nesterov)

        def rule(b, c):
            lr, momentum = c
            fused(b["weight"], b["grad"], b["momentum"] if has_momentum else None, lr, momentum, nesterov)
        return rule

    def _update_flat(self, b, c):
        lr, momentum = c
        step = b["scratch"]
        np.multiply(b["grad"], lr, out=step)  # lr * g
        if self.momentum == 0:
            return "scratch", False
        v = b["momentum"]
        v *= momentum
        v -= step
        if not self.nesterov:
            return "momentum", True
        out = b["scratch2"]
        np.multiply(v, momentum, out=out)
        out -= step
        return "scratch2", True

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
