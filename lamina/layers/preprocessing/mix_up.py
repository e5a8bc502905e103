"""`MixUp` (Zhang et al. 2018): blend each image, and its label, with another image of the
batch: w x + (1 - w) x[perm], w ~ Beta(alpha, alpha), as Keras 3; and the base shared with
CutMix for mixing {"images", "labels"} dicts."""

import numpy as np

from lamina import ops
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer


class LabelMixingLayer(BaseImagePreprocessingLayer):
    """Call on an image batch, or on {"images": ..., "labels": ...} (one-hot or soft labels):
    one draw per call (`_transformation(batch, height, width)` -> (permutation, ..., label
    weight)) mixes the images (`_mix`) and the labels alike; training only."""

    _draw = None

    def _hw(self, shape):
        return (shape[1], shape[2]) if self.data_format == "channels_last" else (shape[2], shape[3])

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training)
        name = type(self).__name__
        if "images" not in inputs:
            raise ValueError(
                f"{name}: a dict input needs an 'images' key, got keys {sorted(inputs)}"
            )
        shape = np.shape(
            inputs["images"].data if hasattr(inputs["images"], "data") else inputs["images"]
        )
        if len(shape) != 4:
            raise ValueError(f"{name}: needs a batch of images (rank 4), got shape {shape}")
        self._draw = self._transformation(shape[0], *self._hw(shape)) if training else None
        try:
            out = dict(inputs)
            out["images"] = super().call(inputs["images"], training)
            if "labels" in inputs and training:
                perm, weight = self._draw[0], self._draw[-1]
                labels = ops.cast(inputs["labels"], self.compute_dtype)
                w = weight.reshape(-1, 1).astype(self.compute_dtype)
                mixed = ops.multiply(ops.take(labels, perm, axis=0), 1 - w)
                out["labels"] = ops.add(ops.multiply(labels, w), mixed)
            return out
        finally:
            self._draw = None

    def transform(self, images, training):
        if not training:
            return images
        draw = self._draw if self._draw is not None else self._transformation(*images.shape[:3])
        return self._mix(images, draw)


class MixUp(LabelMixingLayer):
    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if alpha <= 0:
            raise ValueError(f"MixUp: alpha must be positive, got {alpha}")
        self.alpha = alpha
        self._seed_generator(seed)

    def _transformation(self, batch, height, width):
        return self.rng.permutation(batch), self.rng.beta(self.alpha, self.alpha, size=batch)

    def _mix(self, images, draw):
        perm, weight = draw
        w = weight.reshape(-1, 1, 1, 1).astype(self.compute_dtype)
        return ops.add(ops.multiply(images, w), ops.multiply(ops.take(images, perm, axis=0), 1 - w))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "seed": self.seed}
