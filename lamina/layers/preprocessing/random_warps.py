"""Random geometric augmentations of Keras 3 built on the image warps: RandomShear
(`affine_transform`), RandomPerspective (`perspective_transform`) and RandomElasticTransform
(`elastic_transform`). Identity when not training; Keras's draws per image."""
import numpy as np

from lamina import ops
from lamina.layers.preprocessing.color_transforms import _value_range
from lamina.layers.preprocessing.image_base import (
    FILL_MODES, INTERPOLATIONS, AffineAugmentation, BaseImagePreprocessingLayer, check_choice,
    check_factor,
)
from lamina.ops import image


def _unit_pair(factor, layer, name):
    """A shear factor: f in [0, 1] -> (-f, f); a pair (lower, upper) in [-1, 1] -> sorted
    (the form get_config writes)."""
    msg = (f"{layer}: `{name}` should be a number in [0.0, 1.0] or a list of two numbers in "
           f"[-1.0, 1.0]. Received: {name}={factor!r}")
    pair = isinstance(factor, (tuple, list))
    values = list(factor) if pair else [factor]
    low = -1 if pair else 0
    if (pair and len(factor) != 2) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and low <= v <= 1 for v in values):
        raise ValueError(msg)
    if isinstance(factor, (tuple, list)):
        return tuple(sorted(float(v) for v in factor))
    return -abs(float(factor)), abs(float(factor))


class RandomShear(AffineAugmentation):
    """Shear each image: output (x, y) samples the input at (x + sx y, sy x + y), with
    sx ~ U(x_factor), sy ~ U(y_factor) and one random sign per image (Keras's draw).

    x_factor / y_factor: f in [0, 1] (-> [-f, f]) or (lower, upper); fill_mode "reflect"
    (default), "wrap", "constant" (fill_value) or "nearest"; interpolation "bilinear" or
    "nearest". Output: the input's shape, float32.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = _unit_pair(x_factor, "RandomShear", "x_factor")
        self.y_factor = _unit_pair(y_factor, "RandomShear", "y_factor")
        self._init_sampling(fill_mode, interpolation, fill_value, seed)

    def _transforms(self, batch, height, width):
        sign = np.where(self.rng.uniform(0, 1, size=batch) > 0.5, -1.0, 1.0)
        sy = self.rng.uniform(self.y_factor[0], self.y_factor[1], size=batch) * sign
        sx = self.rng.uniform(self.x_factor[0], self.x_factor[1], size=batch) * sign
        ones, zeros = np.ones(batch), np.zeros(batch)
        return np.stack([ones, sx, zeros, sy, ones, zeros, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}


class RandomPerspective(BaseImagePreprocessingLayer):
    """With a probability drawn from [factor[0], factor[1]] per image, move each corner c of
    the image to c * (1 + u), u ~ U(-scale / 2, scale / 2) per coordinate, and warp
    (`ops.image.perspective_transform`, fill_value outside).

    factor: in [0, 1] (a number f gives [0, f]); scale: in [0, 1]; interpolation "bilinear"
    or "nearest". Output: the input's shape, float32.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, (0, 1), "RandomPerspective")
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ValueError(f"RandomPerspective: `scale` should be a number in the range [0, 1]. "
                             f"Received: scale={scale!r}")
        self.scale = scale
        self.interpolation = check_choice(interpolation, INTERPOLATIONS, "RandomPerspective",
                                          "interpolation")
        self.fill_value = fill_value
        self._seed_generator(seed)

    def transform(self, images, training):
        if not training:
            return images
        b, h, w, _ = images.shape
        probability = self.rng.uniform(self.factor[0], self.factor[1], size=b)
        apply = self.rng.uniform(0, 1, size=b) < probability
        jitter = self.rng.uniform(-0.5 * self.scale, 0.5 * self.scale, size=(b, 4, 2))
        start = np.broadcast_to(np.array([[0.0, 0.0], [w - 1, 0.0], [0.0, h - 1], [w - 1, h - 1]]),
                                (b, 4, 2))
        end = np.where(apply[:, None, None], start + start * jitter, start)
        out = image.perspective_transform(images, start, end, self.interpolation,
                                          self.fill_value, data_format="channels_last")
        return ops.where(apply[:, None, None, None], out, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value,
                "seed": self.seed}


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """With a probability drawn from [factor[0], factor[1]] per image, an elastic distortion
    (`ops.image.elastic_transform`) of strength d ~ U(scale) per call: alpha = 0.1 d
    max(H, W), sigma = 0.05 d min(H, W); the result is clipped to `value_range`.

    factor, scale: in [0, 1] (a number f gives [0, f]); fill_mode as RandomRotation's;
    interpolation "bilinear" or "nearest". Output: the input's shape, float32.
    """

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, (0, 1), "RandomElasticTransform")
        self.scale = check_factor(scale, (0, 1), "RandomElasticTransform", "scale")
        self.interpolation = check_choice(interpolation, INTERPOLATIONS, "RandomElasticTransform",
                                          "interpolation")
        self.fill_mode = check_choice(fill_mode, FILL_MODES, "RandomElasticTransform", "fill_mode")
        self.fill_value = fill_value
        self.value_range = value_range
        self._range = _value_range(value_range, "RandomElasticTransform")
        self._seed_generator(seed)

    def transform(self, images, training):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return images
        b, h, w, _ = images.shape
        probability = self.rng.uniform(self.factor[0], self.factor[1], size=b)
        apply = self.rng.uniform(0, 1, size=b) < probability
        strength = self.rng.uniform(self.scale[0], self.scale[1])
        alpha, sigma = max(h, w) * 0.1 * strength, min(h, w) * 0.05 * strength
        if sigma <= 0:  # a zero-width blur: no displacement field
            return images
        out = image.elastic_transform(images, alpha=alpha, sigma=sigma,
                                      interpolation=self.interpolation, fill_mode=self.fill_mode,
                                      fill_value=self.fill_value, seed=self.generator,
                                      data_format="channels_last")
        out = ops.where(apply[:, None, None, None], out, images)
        return ops.clip(out, self._range[0], self._range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed}
