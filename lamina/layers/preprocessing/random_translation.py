"""`RandomTranslation`: shift images by a random fraction of their size during training."""
import numpy as np

from lamina.layers.preprocessing.image_base import AffineAugmentation, check_symmetric_factor


def translation_transforms(dx, dy):
    """Transform rows sampling the input at (x - dx, y - dy): the image moves right by dx
    and down by dy pixels."""
    ones, zeros = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)


class RandomTranslation(AffineAugmentation):
    """Shift each image by (u_h * height, u_w * width) pixels, u drawn uniformly per image.

    height_factor / width_factor: f (-> [-f, f]) or (lower, upper), each in [-1, 1];
    positive values shift down / right. fill_mode: "reflect" (default), "wrap", "constant"
    (with fill_value) or "nearest"; interpolation: "bilinear" or "nearest" (fractional shifts
    interpolate). Output: the input's shape, float32.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = check_symmetric_factor(
            height_factor, "RandomTranslation", "height_factor")
        self.width_factor = width_factor
        self.width_lower, self.width_upper = check_symmetric_factor(
            width_factor, "RandomTranslation", "width_factor")
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def _transforms(self, batch, height, width):
        dy = self.rng.uniform(self.height_lower, self.height_upper, size=batch) * height
        dx = self.rng.uniform(self.width_lower, self.width_upper, size=batch) * width
        return translation_transforms(dx, dy)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}
