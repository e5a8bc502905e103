"""`RandomHue` and `RandomSharpness` augmentations of Keras 3 (training only)."""

import numpy as np

from lamina import ops
from lamina.layers.preprocessing.color_transforms import RandomFactorLayer, _value_range


class RandomHue(RandomFactorLayer):
    """Rotate each RGB image's hue by +-f / 2 of the colour circle, f drawn per image from
    factor (in [0, 1]; a number gives [0, f]) and the sign at random."""

    _SORT_RANGE = False

    def transform(self, images, training):
        if not training:
            return images
        batch = images.shape[0]
        sign = np.where(self.rng.uniform(size=batch) > 0.5, -1.0, 1.0)
        shift = (sign * self.rng.uniform(self.factor[0], self.factor[1], size=batch) * 0.5).reshape(
            -1, 1, 1
        )
        low, high = _value_range(self.value_range, "RandomHue")
        hsv = ops.image.rgb_to_hsv(ops.divide(ops.subtract(images, low), high - low))
        hue = ops.add(hsv[..., 0], shift.astype(self.compute_dtype))
        hue = ops.where(hue.data > 1.0, ops.subtract(hue, 1.0), hue)
        hue = ops.where(hue.data < 0.0, ops.add(hue, 1.0), hue)
        rgb = ops.clip(
            ops.image.hsv_to_rgb(ops.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1)), 0.0, 1.0
        )
        return ops.add(ops.multiply(rgb, high - low), low)


class RandomSharpness(RandomFactorLayer):
    """Blend each image with its 3x3-smoothed version: x + (1 - 2 f) (smooth - x), f drawn per
    image from factor (0.5 leaves it unchanged, 0 blurs, 1 sharpens), clipped to value_range."""

    def transform(self, images, training):
        if not training:
            return images
        strength = (
            self.rng.uniform(self.factor[0], self.factor[1], size=images.shape[0]) * 2
        ).reshape(-1, 1, 1, 1)
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = np.array([[a, a, a], [a, b, a], [a, a, a]])[:, :, None, None]
        kernel = np.tile(kernel, (1, 1, images.shape[-1], 1)).astype(self.compute_dtype)
        smooth = ops.depthwise_conv(images, kernel, 1, "same", "channels_last")
        out = ops.add(
            images, ops.multiply((1.0 - strength).astype(self.compute_dtype), ops.subtract(smooth, images))
        )
        return ops.clip(out, self.value_range[0], self.value_range[1])
