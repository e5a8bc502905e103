"""`RandomRotation`: rotate images by a random angle about their centre during training."""
import math

import numpy as np

from lamina.layers.preprocessing.image_base import (
    FILL_MODES,
    INTERPOLATIONS,
    BaseImagePreprocessingLayer,
    check_choice,
    check_factor,
)
from lamina.ops import image


def rotation_transforms(angles, height, width):
    """Transform rows (see `lamina.ops.image.affine_transform`) rotating about the image
    centre by `angles` radians, counter-clockwise as displayed (row 0 at the top): 90
    degrees is `np.rot90`."""
    cos, sin = np.cos(angles), np.sin(angles)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    zeros = np.zeros_like(angles)
    # output (x, y) samples the input at R(angle) (x - c) + c
    return np.stack([cos, -sin, cx - cx * cos + cy * sin,
                     sin, cos, cy - cx * sin - cy * cos, zeros, zeros], axis=1)


class RandomRotation(BaseImagePreprocessingLayer):
    """Rotate each image by an angle drawn uniformly from [factor[0], factor[1]] * 2 pi.

    factor: a fraction of a full turn, f (-> [-f, f]) or (lower, upper), in [-1, 1];
    positive angles rotate counter-clockwise. factor=0.1 rotates by up to +/-36 degrees.
    fill_mode: "reflect" (default), "wrap", "constant" (with fill_value) or "nearest", for
    the corners that come from outside the image; interpolation: "bilinear" or "nearest".
    Input (B, H, W, C) or (H, W, C); output the same shape, float32.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, (-1, 1), "RandomRotation")
        self.fill_mode = check_choice(fill_mode, FILL_MODES, "RandomRotation", "fill_mode")
        self.interpolation = check_choice(interpolation, INTERPOLATIONS,
                                          "RandomRotation", "interpolation")
        self.fill_value = fill_value
        self._seed_generator(seed)

    def transform(self, images, training):
        if not training:
            return images
        b, h, w, _ = images.shape
        lower, upper = self.factor
        angles = self.rng.uniform(lower, upper, size=b) * 2.0 * math.pi
        return image.affine_transform(images, rotation_transforms(angles, h, w),
                                      self.interpolation, self.fill_mode, self.fill_value,
                                      data_format="channels_last")

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation,
                "seed": self.seed}
