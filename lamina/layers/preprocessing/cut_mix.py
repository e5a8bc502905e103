"""`CutMix` (Yun et al. 2019): paste a random box of another image of the batch into each
image, and mix the labels by the pasted area, as Keras 3."""

import numpy as np

from lamina import ops
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_factor


class CutMix(BaseImagePreprocessingLayer):
    """Box side ratio sqrt(1 - w), w ~ Beta(a, a) with a ~ U(factor) (+1e-6) per call; label
    weight = 1 - box area / image area. Call on a batch or on {"images", "labels"}."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, (0, 1), "CutMix")
        self._seed_generator(seed)
        self._draw = None

    def _transformation(self, batch, height, width):
        alpha = self.rng.uniform(self.factor[0], self.factor[1]) + 1e-6
        ratio = np.sqrt(1.0 - self.rng.beta(alpha, alpha, size=batch))
        box_w, box_h = ratio * width, ratio * height
        x0 = self.rng.uniform(size=batch) * (width - box_w)
        y0 = self.rng.uniform(size=batch) * (height - box_h)
        x1, y1 = x0 + box_w, y0 + box_h
        rows, cols = np.arange(height)[None, :, None], np.arange(width)[None, None, :]
        inside = (
            (cols >= x0[:, None, None])
            & (cols < x1[:, None, None])
            & (rows >= y0[:, None, None])
            & (rows < y1[:, None, None])
        )
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        return self.rng.permutation(batch), inside[..., None], weight

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training)
        if "images" not in inputs:
            raise ValueError(
                f"CutMix: a dict input needs an 'images' key, got keys {sorted(inputs)}"
            )
        images = ops.convert_to_tensor(inputs["images"])
        if images.ndim != 4:
            raise ValueError(
                f"CutMix: needs a batch of images (rank 4), got shape {tuple(images.shape)}"
            )
        h, w = (
            (images.shape[1], images.shape[2])
            if self.data_format == "channels_last"
            else images.shape[2:]
        )
        self._draw = self._transformation(images.shape[0], h, w) if training else None
        try:
            out = dict(inputs)
            out["images"] = super().call(images, training)
            if "labels" in inputs and training:
                perm, _, weight = self._draw
                labels = ops.cast(inputs["labels"], self.dtype)
                wt = weight.reshape(-1, 1).astype(self.dtype)
                out["labels"] = ops.add(
                    ops.multiply(labels, wt), ops.multiply(ops.take(labels, perm, axis=0), 1 - wt)
                )
            return out
        finally:
            self._draw = None

    def transform(self, images, training):
        if not training:
            return images
        perm, inside, _ = (
            self._draw if self._draw is not None else self._transformation(*images.shape[:3])
        )
        return ops.where(inside, ops.take(images, perm, axis=0), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
