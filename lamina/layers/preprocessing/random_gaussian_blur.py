"""`RandomGaussianBlur`: blur a random subset of the images with a Gaussian kernel, as Keras 3."""

from lamina import ops
from lamina.layers.preprocessing.color_transforms import RandomFactorLayer
from lamina.layers.preprocessing.image_base import check_factor


def _odd_pair(value):
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(int(v) != v or int(v) % 2 == 0 for v in pair):
        raise ValueError(
            f"RandomGaussianBlur: kernel_size must be an odd number (or two). Received: kernel_size={value!r}"
        )
    return int(pair[0]), int(pair[1])


class RandomGaussianBlur(RandomFactorLayer):
    """Each image is blurred with probability p ~ U(factor) (a number f gives [0, f]); one
    pair of sigmas ~ U(sigma) (+1e-6) is drawn per call for the batch, as Keras does."""

    _SORT_RANGE = False

    def __init__(
        self,
        factor=1.0,
        kernel_size=3,
        sigma=1.0,
        value_range=(0, 255),
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(factor, value_range, data_format, seed, **kwargs)
        self.kernel_size = _odd_pair(kernel_size)
        self.sigma = check_factor(sigma, (0, 1), "RandomGaussianBlur", "sigma")

    def transform(self, images, training):
        if not training:
            return images
        batch = images.shape[0]
        probability = self.rng.uniform(self.factor[0], self.factor[1], size=batch)
        apply = (self.rng.uniform(0.0, 1.0, size=batch) < probability)[:, None, None, None]
        sigma = self.rng.uniform(self.sigma[0], self.sigma[1], size=2) + 1e-6
        blurred = ops.image.gaussian_blur(images, kernel_size=self.kernel_size, sigma=tuple(sigma))
        out = ops.where(apply, blurred, images)
        return ops.clip(out, float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "sigma": self.sigma}
