"""`RandomZoom`: zoom images in or out about their centre during training."""
import numpy as np

from lamina.layers.preprocessing.image_base import AffineAugmentation, check_symmetric_factor


def zoom_transforms(width_zoom, height_zoom, height, width):
    """Transform rows sampling the input at zoom * (x - c) + c: zoom > 1 shows a larger
    region (zooms out), zoom < 1 a smaller one (zooms in)."""
    zeros = np.zeros_like(width_zoom)
    return np.stack([width_zoom, zeros, (width - 1) / 2.0 * (1.0 - width_zoom),
                     zeros, height_zoom, (height - 1) / 2.0 * (1.0 - height_zoom),
                     zeros, zeros], axis=1)


class RandomZoom(AffineAugmentation):
    """Zoom each image by 1 + u, u drawn uniformly from the factor's range, per axis.

    height_factor: f (-> [-f, f]) or (lower, upper), each in [-1, 1]; as in Keras, a
    positive value zooms out (the image shrinks, borders filled by fill_mode) and a negative
    value zooms in: (-0.3, -0.2) zooms in by 20-30%. width_factor: the same for the width;
    None (default) uses the height's draw for both axes (keeps the aspect ratio).
    fill_mode: "reflect" (default), "wrap", "constant" (with fill_value) or "nearest";
    interpolation: "bilinear" or "nearest". Output: the input's shape, float32.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = check_symmetric_factor(
            height_factor, "RandomZoom", "height_factor")
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = check_symmetric_factor(
                width_factor, "RandomZoom", "width_factor")
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def _transforms(self, batch, height, width):
        height_zoom = 1.0 + self.rng.uniform(self.height_lower, self.height_upper, size=batch)
        if self.width_factor is not None:
            width_zoom = 1.0 + self.rng.uniform(self.width_lower, self.width_upper, size=batch)
        else:
            width_zoom = height_zoom
        return zoom_transforms(width_zoom, height_zoom, height, width)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}
