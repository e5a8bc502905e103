"""`CutMix` (Yun et al. 2019): paste a random box of another image of the batch into each
image, and mix the labels by the pasted area, as Keras 3."""

import numpy as np

from lamina import ops
from lamina.layers.preprocessing.image_base import check_factor
from lamina.layers.preprocessing.mix_up import LabelMixingLayer


class CutMix(LabelMixingLayer):
    """Box side ratio sqrt(1 - w), w ~ Beta(a, a) with a ~ U(factor) (+1e-6) per call; label
    weight = 1 - box area / image area. Call on a batch or on {"images", "labels"}."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, (0, 1), "CutMix")
        self._seed_generator(seed)

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

    def _mix(self, images, draw):
        perm, inside, _ = draw
        return ops.where(inside, ops.take(images, perm, axis=0), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}
