"""Chapter 12 workflow: a denoising diffusion model in the shape of Keras's DDIM example, tiny:
a residual U-Net (sinusoidal embedding of the noise variance in a Lambda, residual blocks,
AveragePooling2D down, UpSampling2D up, skip connections by Concatenate) trained to predict the
noise in 8x8 images, an EMA copy of the network made with `clone_model`, a cosine diffusion
schedule, and DDIM's deterministic reverse steps.

The data are 8x8 images of one Gaussian blob each, made here; "closer to the data" is measured
as the RMS distance from each image to its nearest training image."""
import math

import numpy as np
import pytest

import lamina as keras
import lamina.compat.tensorflow as tf
from lamina import layers, ops

IMAGE_SIZE = 8
WIDTHS = [8, 16]
BLOCK_DEPTH = 1
EMBEDDING_DIMS = 8
EMBEDDING_MAX_FREQUENCY = 100.0
MIN_SIGNAL_RATE = 0.02
MAX_SIGNAL_RATE = 0.95
EMA = 0.9  # the example's 0.999 suits its ~10^5 steps; this run has ~300
BATCH_SIZE = 32


def blob_images(n, seed=0):
    rng = np.random.default_rng(seed)
    grid = np.arange(IMAGE_SIZE, dtype="float32")
    cy, cx = rng.uniform(1.5, IMAGE_SIZE - 2.5, size=(2, n, 1, 1))
    d2 = (grid[None, :, None] - cy) ** 2 + (grid[None, None, :] - cx) ** 2
    return np.exp(-d2 / (2 * 1.3**2)).astype("float32")[..., None]


def sinusoidal_embedding(x):
    embedding_min_frequency = 1.0
    frequencies = ops.exp(ops.linspace(
        math.log(embedding_min_frequency), math.log(EMBEDDING_MAX_FREQUENCY), EMBEDDING_DIMS // 2))
    angular_speeds = ops.cast(2.0 * math.pi * frequencies, "float32")
    return ops.concatenate([ops.sin(angular_speeds * x), ops.cos(angular_speeds * x)], axis=3)


def ResidualBlock(width):
    def apply(x):
        input_width = x.shape[3]
        if input_width == width:
            residual = x
        else:
            residual = layers.Conv2D(width, kernel_size=1)(x)
        x = layers.BatchNormalization(center=False, scale=False)(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same", activation="swish")(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same")(x)
        return layers.Add()([x, residual])

    return apply


def DownBlock(width, block_depth):
    def apply(x):
        x, skips = x
        for _ in range(block_depth):
            x = ResidualBlock(width)(x)
            skips.append(x)
        return layers.AveragePooling2D(pool_size=2)(x)

    return apply


def UpBlock(width, block_depth):
    def apply(x):
        x, skips = x
        x = layers.UpSampling2D(size=2, interpolation="bilinear")(x)
        for _ in range(block_depth):
            x = layers.Concatenate()([x, skips.pop()])
            x = ResidualBlock(width)(x)
        return x

    return apply


def get_network(image_size, widths, block_depth):
    noisy_images = keras.Input(shape=(image_size, image_size, 1))
    noise_variances = keras.Input(shape=(1, 1, 1))
    e = layers.Lambda(sinusoidal_embedding, output_shape=(1, 1, EMBEDDING_DIMS))(noise_variances)
    e = layers.UpSampling2D(size=image_size, interpolation="nearest")(e)
    x = layers.Conv2D(widths[0], kernel_size=1)(noisy_images)
    x = layers.Concatenate()([x, e])
    skips = []
    for width in widths[:-1]:
        x = DownBlock(width, block_depth)([x, skips])
    for _ in range(block_depth):
        x = ResidualBlock(widths[-1])(x)
    for width in reversed(widths[:-1]):
        x = UpBlock(width, block_depth)([x, skips])
    x = layers.Conv2D(1, kernel_size=1, kernel_initializer="zeros")(x)
    return keras.Model([noisy_images, noise_variances], x, name="residual_unet")


class DiffusionModel(keras.Model):
    def __init__(self, image_size, widths, block_depth):
        super().__init__()
        self.normalizer = layers.Normalization()
        self.network = get_network(image_size, widths, block_depth)
        self.ema_network = keras.models.clone_model(self.network)
        self.seed_generator = keras.random.SeedGenerator(7)

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.noise_loss_tracker = keras.metrics.Mean(name="n_loss")
        self.image_loss_tracker = keras.metrics.Mean(name="i_loss")

    @property
    def metrics(self):
        return [self.noise_loss_tracker, self.image_loss_tracker]

    def denormalize(self, images):
        images = self.normalizer.mean + images * self.normalizer.variance**0.5
        return ops.clip(images, 0.0, 1.0)

    def diffusion_schedule(self, diffusion_times):
        start_angle = ops.cast(ops.arccos(MAX_SIGNAL_RATE), "float32")
        end_angle = ops.cast(ops.arccos(MIN_SIGNAL_RATE), "float32")
        diffusion_angles = start_angle + diffusion_times * (end_angle - start_angle)
        return ops.sin(diffusion_angles), ops.cos(diffusion_angles)  # noise, signal rates

    def denoise(self, noisy_images, noise_rates, signal_rates, training):
        network = self.network if training else self.ema_network
        pred_noises = network([noisy_images, noise_rates**2], training=training)
        pred_images = (noisy_images - noise_rates * pred_noises) / signal_rates
        return pred_noises, pred_images

    def reverse_diffusion(self, initial_noise, diffusion_steps):
        num_images = initial_noise.shape[0]
        step_size = 1.0 / diffusion_steps
        next_noisy_images = initial_noise
        for step in range(diffusion_steps):
            noisy_images = next_noisy_images
            diffusion_times = ops.ones((num_images, 1, 1, 1)) - step * step_size
            noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
            pred_noises, pred_images = self.denoise(
                noisy_images, noise_rates, signal_rates, training=False)
            next_diffusion_times = diffusion_times - step_size
            next_noise_rates, next_signal_rates = self.diffusion_schedule(next_diffusion_times)
            next_noisy_images = next_signal_rates * pred_images + next_noise_rates * pred_noises
        return pred_images

    def generate(self, initial_noise, diffusion_steps):
        return self.denormalize(self.reverse_diffusion(initial_noise, diffusion_steps))

    def train_step(self, images):
        images = self.normalizer(images, training=True)
        batch_size = ops.shape(images)[0]
        noises = keras.random.normal(shape=(batch_size, IMAGE_SIZE, IMAGE_SIZE, 1),
                                     seed=self.seed_generator)
        diffusion_times = keras.random.uniform(shape=(batch_size, 1, 1, 1), minval=0.0,
                                               maxval=1.0, seed=self.seed_generator)
        noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
        noisy_images = signal_rates * images + noise_rates * noises

        with tf.GradientTape() as tape:
            pred_noises, pred_images = self.denoise(
                noisy_images, noise_rates, signal_rates, training=True)
            noise_loss = self.loss(noises, pred_noises)  # used for training
            image_loss = self.loss(images, pred_images)  # only a metric
        gradients = tape.gradient(noise_loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights))
        self.noise_loss_tracker.update_state(noise_loss)
        self.image_loss_tracker.update_state(image_loss)

        for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
            ema_weight.assign(EMA * ema_weight + (1 - EMA) * weight)
        return {m.name: m.result() for m in self.metrics}


def nearest_distance(images, reference):
    """Mean over `images` of the RMS pixel distance to the closest `reference` image."""
    a = np.asarray(images).reshape(len(images), -1)
    b = reference.reshape(len(reference), -1)
    d2 = (a**2).sum(1)[:, None] - 2 * a @ b.T + (b**2).sum(1)[None, :]
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0) / a.shape[1]).mean())


@pytest.mark.slow  # ~3 s of CPU alone, but 288 convolutional U-Net steps
def test_tiny_ddim_learns_to_denoise_and_generate():
    keras.utils.set_random_seed(0)
    images = blob_images(1024)
    model = DiffusionModel(IMAGE_SIZE, WIDTHS, BLOCK_DEPTH)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=5e-3, weight_decay=1e-4),
                  loss=keras.losses.mean_absolute_error)
    model.normalizer.adapt(images)
    history = model.fit(images, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0)

    n_loss = history.history["n_loss"]
    # predicting zero noise scores E|N(0,1)| = 0.80; the trained network is far better
    assert n_loss[0] > 0.4 and n_loss[-1] < NOISE_LOSS_BOUND, n_loss
    # the EMA network trails the trained one but is no longer its zero-initialised clone
    assert not np.allclose(model.ema_network.weights[-2].numpy(), 0)

    initial_noise = keras.random.normal(shape=(64, IMAGE_SIZE, IMAGE_SIZE, 1), seed=1)
    generated = model.generate(initial_noise, diffusion_steps=5).numpy()
    noise_images = model.denormalize(initial_noise).numpy()
    held_out = blob_images(64, seed=1)
    d_generated = nearest_distance(generated, images)
    d_noise = nearest_distance(noise_images, images)
    d_real = nearest_distance(held_out, images)
    assert d_generated < 0.5 * d_noise, (d_generated, d_noise, d_real)
    assert d_generated < GENERATED_BOUND, (d_generated, d_real)


# 9 epochs (288 steps): noise loss 0.47 -> 0.16; nearest-image distance of 5-step DDIM samples
# 0.077, of the (clipped) initial noise 0.27, of held-out real blobs 0.01
EPOCHS = 9
NOISE_LOSS_BOUND = 0.2
GENERATED_BOUND = 0.12
