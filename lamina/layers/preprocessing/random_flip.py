"""`RandomFlip`: flip images left-right and/or top-bottom during training."""
from lamina import ops
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_choice

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """Flip each image of a batch with probability 1/2 (one draw per image and call).

    mode: "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical"
    (default). As in Keras 3, the last mode uses one draw per image for both axes: an image
    is either flipped both ways (a 180-degree rotation) or left as it is.
    Input (B, H, W, C) or (H, W, C); output the same shape, float32.
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = check_choice(mode, (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL),
                                 "RandomFlip", "mode")
        self._seed_generator(seed)

    def transform(self, images, training):
        if not training:
            return images
        flips = (self.rng.random(images.shape[0]) <= 0.5)[:, None, None, None]
        out = images
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = ops.where(flips, ops.flip(out, axis=2), out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = ops.where(flips, ops.flip(out, axis=1), out)
        return out

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}
