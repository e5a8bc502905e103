"""Adafactor: Adam-like steps with factored second moments (Shazeer & Stern, 2018)."""

import numpy as np

from lamina.engine.tensor import data_of
from lamina.optimizers.base import Optimizer


class Adafactor(Optimizer):
    """Adafactor optimizer, as Keras 3 implements it.

    At step t (= iterations + 1), with gradient g and G = g^2 + epsilon_1:
        rho = min(lr, 1 / sqrt(t));   alpha = max(epsilon_2, rms(w)) * rho
        beta_2t = 1 - t^beta_2_decay
    For a variable of rank >= 2, the second moment of its last two axes is factored into a
    row statistic r (shape w.shape[:-1]) and a column statistic c (w.shape[:-2] + (n,)):
        r <- beta_2t r + (1 - beta_2t) mean(G, axis=-1)
        c <- beta_2t c + (1 - beta_2t) mean(G, axis=-2)
        v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]
    otherwise  v <- beta_2t v + (1 - beta_2t) G.  Then
        u = g / sqrt(v);   u <- u / max(1, rms(u) / clip_threshold);   w <- w - alpha * u
    (rms(x) = sqrt(mean(x^2)) over the whole variable.) Memory: O(m + n) per m x n matrix
    for r and c, plus Keras's full-size "velocity" slot. `relative_step` is kept for Keras's
    signature and config: in Keras's rule rho is min(lr, 1 / sqrt(t)) either way.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        name="adafactor",
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def _build_extra(self, variables):
        # Keras's order, per variable: r and c (rank >= 2 only, named after the variable),
        # then "<path>_velocity"
        self._r, self._c, self._v = [], [], []
        for var in variables:
            if var.ndim >= 2:
                r_shape = var.shape[:-1]
                c_shape = var.shape[:-2] + (var.shape[-1],)
                self._r.append(self.add_variable(r_shape, dtype=var.dtype, name=var.name))
                self._c.append(self.add_variable(c_shape, dtype=var.dtype, name=var.name))
            else:  # not factored: Keras's untracked placeholders
                self._r.append(None)
                self._c.append(None)
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        w = variable.data
        t = w.dtype.type
        g = np.asarray(data_of(gradient), dtype=w.dtype)
        step = self._effective_step() + 1
        rho = t(min(float(data_of(learning_rate)), 1.0 / np.sqrt(step)))
        alpha = t(max(self.epsilon_2, float(np.sqrt(np.mean(w * w))))) * rho
        grad_sq = g * g + t(self.epsilon_1)
        beta = t(1 - step**self.beta_2_decay)
        v = self._v[i].data
        if w.ndim >= 2:
            r, c = self._r[i].data, self._c[i].data
            r[...] = beta * r + (t(1) - beta) * grad_sq.mean(axis=-1)
            c[...] = beta * c + (t(1) - beta) * grad_sq.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (t(1) - beta) * grad_sq
        u = g / np.sqrt(v)
        u /= t(max(1.0, float(np.sqrt(np.mean(u * u))) / self.clip_threshold))
        w -= alpha * u

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step,
            }
        )
        return config
