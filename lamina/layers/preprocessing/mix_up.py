"""`MixUp` (Zhang et al. 2018): blend each image, and its label, with another image of the
batch: w x + (1 - w) x[perm], w ~ Beta(alpha, alpha), as Keras 3."""

import numpy as np

from lamina import ops
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer


class MixUp(BaseImagePreprocessingLayer):
    """Call on an image batch, or on {"images": ..., "labels": ...} (one-hot or soft labels)
    to mix both with the same weights and partners; training only."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if alpha <= 0:
            raise ValueError(f"MixUp: alpha must be positive, got {alpha}")
        self.alpha = alpha
        self._seed_generator(seed)
        self._draw = None

    def _transformation(self, batch):
        return self.rng.permutation(batch), self.rng.beta(self.alpha, self.alpha, size=batch)

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            if "images" not in inputs:
                raise ValueError(
                    f"MixUp: a dict input needs an 'images' key, got keys {sorted(inputs)}"
                )
            images = inputs["images"]
            batch = np.shape(images.data if hasattr(images, "data") else images)[0]
            self._draw = self._transformation(batch) if training else None
            try:
                out = dict(inputs)
                out["images"] = super().call(images, training)
                if "labels" in inputs and training:
                    perm, weight = self._draw
                    labels = ops.cast(inputs["labels"], self.dtype)
                    w = weight.reshape(-1, 1).astype(self.dtype)
                    out["labels"] = ops.add(
                        ops.multiply(labels, w), ops.multiply(ops.take(labels, perm, axis=0), 1 - w)
                    )
                return out
            finally:
                self._draw = None
        return super().call(inputs, training)

    def transform(self, images, training):
        if not training:
            return images
        perm, weight = (
            self._draw if self._draw is not None else self._transformation(images.shape[0])
        )
        w = weight.reshape(-1, 1, 1, 1).astype(self.dtype)
        return ops.add(ops.multiply(images, w), ops.multiply(ops.take(images, perm, axis=0), 1 - w))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
