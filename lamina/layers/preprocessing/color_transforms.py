"""Colour augmentations of Keras 3: RandomGrayscale, RandomInvert, Solarization (random, in
training only) and AutoContrast (always). Inputs (B, H, W, C) or (H, W, C) images."""

import numpy as np

from lamina import ops
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_factor


def _value_range(value_range, layer):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            f"{layer}: `value_range` should be a list of two numbers (low, high), e.g. (0, 255) or "
            f"(0, 1). Received: value_range={value_range!r}"
        )
    return sorted(float(v) for v in value_range)


def _to_255(images, value_range):
    low, high = value_range
    return ops.multiply(ops.subtract(images, low), 255.0 / (high - low))


def _from_255(images, value_range):
    low, high = value_range
    return ops.add(ops.multiply(images, (high - low) / 255.0), low)


class RandomFactorLayer(BaseImagePreprocessingLayer):
    """Base of the random image layers set by `factor` (checked against _FACTOR_BOUNDS, as
    Keras's _set_factor), `value_range` (sorted unless _SORT_RANGE is False) and `seed`."""

    _FACTOR_BOUNDS = (0, 1)
    _SORT_RANGE = True

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, self._FACTOR_BOUNDS, type(self).__name__)
        name = type(self).__name__
        self.value_range = _value_range(value_range, name) if self._SORT_RANGE else value_range
        self._seed_generator(seed)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }


class RandomGrayscale(BaseImagePreprocessingLayer):
    """With probability `factor`, an RGB image becomes its grayscale (ITU-R 601 luma) repeated
    on the three channels."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not 0 <= factor <= 1:
            raise ValueError(
                f"RandomGrayscale: `factor` should be between 0 and 1. Received: factor={factor}"
            )
        self.factor = factor
        self._seed_generator(seed)

    def transform(self, images, training):
        if not training:
            return images
        if images.shape[-1] != 3:
            raise ValueError(
                f"RandomGrayscale: needs RGB images (3 channels), got shape {tuple(images.shape)}"
            )
        apply = self.rng.uniform(0, 1, size=(images.shape[0], 1, 1, 1)) < self.factor
        gray = ops.image.rgb_to_grayscale(images)
        return ops.where(apply, ops.broadcast_to(gray, images.shape), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "seed": self.seed}


class RandomInvert(RandomFactorLayer):
    """Each image is inverted (value_range[1] - x, as Keras) with a probability drawn in
    [factor[0], factor[1]] (a number f gives [0, f])."""

    _SORT_RANGE = False

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(factor, value_range, data_format, seed, **kwargs)

    def transform(self, images, training):
        if not training:
            return images
        batch = images.shape[0]
        probability = self.rng.uniform(self.factor[0], self.factor[1], size=batch)
        apply = (self.rng.uniform(0, 1, size=batch) < probability)[:, None, None, None]
        return ops.where(apply, ops.subtract(float(self.value_range[1]), images), images)


def _unit_factor(factor, name):
    msg = f"Solarization: `{name}` should be a number (or a list of two numbers) in [0, 1]. Received: {factor!r}"
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(0 <= f <= 1 for f in factor):
            raise ValueError(msg)
        return tuple(sorted(float(f) for f in factor))
    if not isinstance(factor, (int, float)) or not 0 <= factor <= 1:
        raise ValueError(msg)
    return (0.0, float(factor))


class Solarization(BaseImagePreprocessingLayer):
    """On the 0-255 scale: x + addition, clipped, then inverted (255 - x) where it reaches the
    threshold; addition and threshold are drawn per image from [lower, upper * 255] of
    addition_factor and threshold_factor (Keras's draw)."""

    def __init__(
        self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")
        self.value_range = _value_range(value_range, "Solarization")
        self._seed_generator(seed)

    def transform(self, images, training):
        if not training:
            return images
        shape = (images.shape[0], 1, 1, 1)
        additions = self.rng.uniform(
            self.addition_factor[0], self.addition_factor[1] * 255, size=shape
        )
        thresholds = self.rng.uniform(
            self.threshold_factor[0], self.threshold_factor[1] * 255, size=shape
        )
        x = ops.clip(
            ops.add(_to_255(images, self.value_range), additions.astype(self.compute_dtype)), 0.0, 255.0
        )
        x = ops.where(x.data < thresholds, x, ops.subtract(255.0, x))
        return _from_255(x, self.value_range)

    def get_config(self):
        config = {
            **super().get_config(),
            "addition_factor": self.addition_factor,
            "threshold_factor": self.threshold_factor,
            "value_range": self.value_range,
            "seed": self.seed,
        }
        config.pop("data_format")
        return config


class AutoContrast(BaseImagePreprocessingLayer):
    """Stretch each image and channel to the full value range: (x - min) / (max - min);
    constant channels are left unchanged."""

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range, "AutoContrast")

    def transform(self, images, training):
        x = _to_255(images, self.value_range)
        low = ops.min(x, axis=(1, 2), keepdims=True)
        high = ops.max(x, axis=(1, 2), keepdims=True)
        span = ops.subtract(high, low)
        flat = np.asarray(span.data) == 0
        scale = ops.divide(255.0, ops.where(flat, 1.0, span))
        out = ops.clip(ops.multiply(ops.subtract(x, low), scale), 0.0, 255.0)
        return ops.where(flat, images, _from_255(out, self.value_range))

    def get_config(self):
        config = {**super().get_config(), "value_range": self.value_range}
        config.pop("data_format")
        return config


class RandomSaturation(RandomFactorLayer):
    """Scale each RGB image's HSV saturation by f / (1 - f) with f drawn per image from
    factor (0.5 leaves the image unchanged, 0 gives grayscale, near 1 saturates). Unlike
    Keras 3.15, which clips the scaled saturation to value_range, it is clipped to [0, 1],
    so the result stays a valid colour."""

    _FACTOR_BOUNDS = (-1, 1)

    def transform(self, images, training):
        if not training:
            return images
        f = self.rng.uniform(self.factor[0], self.factor[1], size=(images.shape[0], 1, 1))
        scale = (f / (1 - f + 1e-7)).astype(self.compute_dtype)
        hsv = ops.image.rgb_to_hsv(images)
        saturation = ops.clip(ops.multiply(hsv[..., 1], scale), 0.0, 1.0)
        return ops.image.hsv_to_rgb(ops.stack([hsv[..., 0], saturation, hsv[..., 2]], axis=-1))


class RandomColorDegeneration(RandomFactorLayer):
    """Blend each image towards its grayscale: x + f (gray - x), f drawn per image from
    factor (negative f moves away from gray), clipped to value_range."""

    _FACTOR_BOUNDS = (-1, 1)

    def transform(self, images, training):
        if not training:
            return images
        f = self.rng.uniform(
            self.factor[0], self.factor[1], size=(images.shape[0], 1, 1, 1)
        ).astype(self.compute_dtype)
        gray = ops.image.rgb_to_grayscale(images)
        out = ops.add(images, ops.multiply(f, ops.subtract(gray, images)))
        return ops.clip(out, self.value_range[0], self.value_range[1])


class RandomPosterization(RandomFactorLayer):
    """Keep only the top b bits of each 0-255 value, b drawn per image in
    [factor[0], factor[1]) (a single number f gives [1, f); equal bounds fix b)."""

    _FACTOR_BOUNDS = (1, 8)

    def transform(self, images, training):
        if not training:
            return images
        low, high = int(self.factor[0]), int(self.factor[1])
        batch = images.shape[0]
        bits = self.rng.integers(low, high, size=batch) if low != high else np.full(batch, low)
        shift = (8 - bits).astype(np.uint8).reshape(-1, 1, 1, 1)
        values = np.clip(_to_255(images, self.value_range).data, 0, 255).astype(np.uint8)
        kept = np.left_shift(np.right_shift(values, shift), shift).astype(self.compute_dtype)
        return _from_255(ops.convert_to_tensor(kept), self.value_range)
