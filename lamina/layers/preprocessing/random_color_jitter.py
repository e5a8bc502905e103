"""`RandomColorJitter`: brightness, contrast, saturation and hue jitter in that order, each
applied when its factor is given (Keras 3's composition of those four layers)."""

from lamina.layers.preprocessing.hue_sharpness import RandomHue
from lamina.layers.preprocessing.color_transforms import RandomSaturation
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer
from lamina.layers.preprocessing.random_color import RandomBrightness, RandomContrast


class RandomColorJitter(BaseImagePreprocessingLayer):
    def __init__(
        self,
        value_range=(0, 255),
        brightness_factor=None,
        contrast_factor=None,
        saturation_factor=None,
        hue_factor=None,
        seed=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        self._seed_generator(seed)
        # the parts draw from this layer's stream (one seed makes the whole jitter repeatable)
        parts = (
            (RandomBrightness, brightness_factor),
            (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor),
            (RandomHue, hue_factor),
        )
        self._parts = []
        for cls, factor in parts:
            if factor is not None:
                part = cls(factor=factor, value_range=value_range, dtype=self._dtype_policy)
                part.generator = self.generator
                self._parts.append(part)

    def transform(self, images, training):
        if not training:
            return images
        for part in self._parts:
            images = part.transform(images, True)
        return images

    def get_config(self):
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "brightness_factor": self.brightness_factor,
            "contrast_factor": self.contrast_factor,
            "saturation_factor": self.saturation_factor,
            "hue_factor": self.hue_factor,
            "seed": self.seed,
        }
