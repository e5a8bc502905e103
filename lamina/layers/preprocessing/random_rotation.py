"""`RandomRotation`: rotate images by a random angle about their centre during training."""
import math

import numpy as np

from lamina.layers.preprocessing.image_base import AffineAugmentation, check_factor


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


class RandomRotation(AffineAugmentation):
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
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def _transforms(self, batch, height, width):
        lower, upper = self.factor
        angles = self.rng.uniform(lower, upper, size=batch) * 2.0 * math.pi
        return rotation_transforms(angles, height, width)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
