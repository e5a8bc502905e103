"""`RandAugment` (Cubuk et al. 2019) and `AugMix` (Hendrycks et al. 2019): policies that
compose the other augmentation layers, as Keras 3 (training only).

RandAugment: per call, `num_ops` layers drawn uniformly (with replacement) from the eleven
below, applied in turn to the whole batch. AugMix: `num_chains` chains of up to
`chain_depth` random layers (each step may be skipped), mixed with Dirichlet(alpha) weights,
then blended with the input by w ~ Beta(alpha, alpha): w x + (1 - w) mix, clipped to
`value_range`. Every sub-layer uses `factor` (posterization: max(1, int(8 factor[1])) bits).
"""
from lamina import ops
from lamina.layers.preprocessing.color_transforms import (
    AutoContrast, RandomColorDegeneration, RandomPosterization, Solarization, _value_range,
)
from lamina.layers.preprocessing.histogram_equalization import Equalization
from lamina.layers.preprocessing.hue_sharpness import RandomSharpness
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_factor
from lamina.layers.preprocessing.random_color import RandomBrightness, RandomContrast
from lamina.layers.preprocessing.random_rotation import RandomRotation
from lamina.layers.preprocessing.random_translation import RandomTranslation
from lamina.layers.preprocessing.random_warps import RandomShear

GEOMETRIC_AND_TONE = ("random_shear", "random_translation", "random_rotation",
                      "random_posterization", "solarization", "auto_contrast", "equalization")
COLOR = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")


class _PolicyLayer(BaseImagePreprocessingLayer):
    """Builds the sub-layers (channels_last: the base hands `transform` NHWC batches)."""

    def _make_layers(self, names, interpolation):
        f, vr, seed = self.factor, self.value_range, self.seed
        makers = {
            "random_shear": lambda: RandomShear(f, f, interpolation=interpolation, seed=seed),
            "random_translation": lambda: RandomTranslation(f, f, interpolation=interpolation,
                                                            seed=seed),
            "random_rotation": lambda: RandomRotation(f, interpolation=interpolation, seed=seed),
            "random_posterization": lambda: RandomPosterization(
                max(1, int(8 * f[1])), value_range=vr, seed=seed),
            "solarization": lambda: Solarization(f, f, value_range=vr, seed=seed),
            "auto_contrast": lambda: AutoContrast(value_range=vr),
            "equalization": lambda: Equalization(value_range=vr),
            "random_brightness": lambda: RandomBrightness(f, value_range=vr, seed=seed),
            "random_color_degeneration": lambda: RandomColorDegeneration(f, value_range=vr,
                                                                         seed=seed),
            "random_contrast": lambda: RandomContrast(f, value_range=vr, seed=seed),
            "random_sharpness": lambda: RandomSharpness(f, value_range=vr, seed=seed),
        }
        self._layer_names = tuple(names)
        for name in names:
            layer = makers[name]()
            layer.data_format = "channels_last"  # `transform` gets the NHWC batch
            setattr(self, name, layer)

    def _apply(self, name, images):
        return getattr(self, name).transform(images, True)


class RandAugment(_PolicyLayer):
    """`num_ops` random augmentations per call (see the module docstring); `factor` in
    [0, 1] (a number f gives [0, f]) sets every sub-layer's strength."""

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        _value_range(value_range, "RandAugment")
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"RandAugment: `num_ops` must be a non-negative integer, got {num_ops!r}")
        self.num_ops = num_ops
        self.factor = check_factor(factor, (0, 1), "RandAugment")
        self.interpolation = interpolation
        self._seed_generator(seed)
        self._make_layers(GEOMETRIC_AND_TONE[:3] + COLOR + GEOMETRIC_AND_TONE[3:], interpolation)

    def transform(self, images, training):
        if not training:
            return images
        for i in self.rng.integers(0, len(self._layer_names), size=self.num_ops):
            images = self._apply(self._layer_names[i], images)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed}


class AugMix(_PolicyLayer):
    """Mixed chains of random augmentations (see the module docstring); all_ops=False uses
    only the geometric and tone layers (no brightness, colour, contrast, sharpness)."""

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0,
                 all_ops=True, interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self._range = _value_range(value_range, "AugMix")
        for name, v in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"AugMix: `{name}` must be a positive integer, got {v!r}")
        if alpha <= 0:
            raise ValueError(f"AugMix: `alpha` must be positive, got {alpha!r}")
        self.num_chains, self.chain_depth = num_chains, chain_depth
        self.factor = check_factor(factor, (0, 1), "AugMix")
        self.alpha, self.all_ops, self.interpolation = alpha, bool(all_ops), interpolation
        self._seed_generator(seed)
        self._make_layers(GEOMETRIC_AND_TONE + (COLOR if self.all_ops else ()), interpolation)

    def transform(self, images, training):
        if not training:
            return images
        weights = self.rng.dirichlet([self.alpha] * self.num_chains)
        keep = self.rng.beta(self.alpha, self.alpha)
        mixed = None
        for c in range(self.num_chains):
            chain = images
            for _ in range(self.chain_depth):
                pick = self.rng.integers(0, len(self._layer_names) + 1)  # the last: skip
                if pick < len(self._layer_names):
                    chain = self._apply(self._layer_names[pick], chain)
            term = ops.multiply(chain, float(weights[c]))
            mixed = term if mixed is None else ops.add(mixed, term)
        out = ops.add(ops.multiply(images, float(keep)), ops.multiply(mixed, float(1 - keep)))
        return ops.clip(out, self._range[0], self._range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation, "seed": self.seed}
