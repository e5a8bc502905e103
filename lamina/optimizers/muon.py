"""Muon: momentum orthogonalized by Newton-Schulz (Jordan et al., 2024; Liu et al., 2025,
"Muon is Scalable for LLM Training"), with an AdamW step for the variables it does not suit."""
import math
import re

import numpy as np

from lamina.engine.tensor import data_of
from lamina.optimizers.base import Optimizer


class Muon(Optimizer):
    """Muon optimizer (Keras 3's `keras.optimizers.Muon`).

    2-D variables (unless excluded) take the Muon step, with gradient g, slot m ("momentum"):
        m <- momentum * m + g
        u = g + momentum * m  (nesterov)   or   u = m
        O = newton_schulz(u, ns_steps)       (~ the orthogonal factor U V^T of u's SVD)
        w <- w - lr * O * sqrt(max(rows, cols)) * rms_rate      (no factor if rms_rate=None)
    Every other variable (not 2-D; a path containing "embedding" when exclude_embeddings; a
    path matching a regex of exclude_layers) takes Adam's step at lr * adam_lr_ratio, with
    slots m ("momentum") and v ("velocity"):
        m <- m + (g - m)(1 - adam_beta_1);  v <- v + (g^2 - v)(1 - adam_beta_2)
        w <- w - lr * adam_lr_ratio * sqrt(1 - adam_beta_2^t) / (1 - adam_beta_1^t) * m / (sqrt(v) + epsilon)
    Decoupled weight decay first: w <- w - w * wd * lr, wd = weight_decay for Muon variables
    and adam_weight_decay for Adam ones.
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        name=None,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            name=name,
            weight_decay=weight_decay,
            **kwargs,
        )
        if not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"Muon: `ns_steps` must be an integer >= 0. Received: ns_steps={ns_steps!r}")
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        """True for the variables that take the Adam step (see the class docstring)."""
        if len(variable.shape) != 2:
            return True
        path = str(variable.path)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def _build_extra(self, variables):
        # Keras's order: per variable, its momentum, then its velocity if it takes Adam's step
        self.momentums, self.adam_velocities = [], []
        for v in variables:
            self.momentums.append(self.add_variable_from_reference(v, "momentum"))
            adam = self._should_use_adamw(v)
            self.adam_velocities.append(self.add_variable_from_reference(v, "velocity") if adam else None)

    def _weight_decay_of(self, variable):
        return self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        lr = float(np.asarray(data_of(learning_rate)))
        g = np.asarray(data_of(gradient), dtype=variable.data.dtype)
        m, v = self.momentums[i].data, self.adam_velocities[i]
        if v is not None:
            self._adam_step(g, variable.data, lr * self.adam_lr_ratio, m, v.data)
        else:
            self._muon_step(g, variable.data, lr, m)

    def _muon_step(self, g, w, lr, m):
        t = w.dtype.type
        m *= t(self.momentum)
        m += g
        u = g + t(self.momentum) * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(u, self.ns_steps)
        scale = lr
        if self.rms_rate is not None:
            scale *= math.sqrt(max(w.shape[0], w.shape[1])) * self.rms_rate
        w -= update.astype(w.dtype, copy=False) * t(scale)

    def _adam_step(self, g, w, lr, m, v):
        t = w.dtype.type
        step = self._effective_step() + 1
        alpha = lr * math.sqrt(1 - self.adam_beta_2**step) / (1 - self.adam_beta_1**step)
        m += (g - m) * t(1 - self.adam_beta_1)
        v += (g * g - v) * t(1 - self.adam_beta_2)
        w -= m * t(alpha) / (np.sqrt(v) + t(self.epsilon))

    def zeropower_via_newtonschulz5(self, x, steps):
        """An approximate orthogonalization of the last two axes of `x` (shape (..., r, c)):
        normalized by its Frobenius norm, then `steps` quintic Newton-Schulz iterations
        x <- a x + (b A + c A A) x with A = x x^T (on the wide orientation, r <= c)."""
        x = np.asarray(data_of(x))
        if x.ndim < 2:
            raise ValueError(
                f"Expected gradient or momentum to have at least 2 dimensions. Received: shape={x.shape}")
        t = x.dtype.type
        a, b, c = t(self.muon_a), t(self.muon_b), t(self.muon_c)
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = np.swapaxes(x, -1, -2)
        x = x / (np.sqrt(np.sum(x * x, axis=(-2, -1), keepdims=True)) + t(1e-7))
        for _ in range(steps):
            gram = x @ np.swapaxes(x, -1, -2)
            x = a * x + (b * gram + c * gram @ gram) @ x
        return np.swapaxes(x, -1, -2) if tall else x

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers,
                "muon_a": self.muon_a,
                "muon_b": self.muon_b,
                "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum,
                "ns_steps": self.ns_steps,
                "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate,
            }
        )
        return config
