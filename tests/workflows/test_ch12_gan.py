"""Chapter 12 workflow: a GAN written the way Keras's DCGAN example writes it -- a Model
subclass whose `compile(d_optimizer=, g_optimizer=, loss_fn=)` override keeps two optimizers,
and whose `train_step` trains the discriminator, then the generator, on latent vectors drawn
with `keras.random.normal` from a SeedGenerator.

The data are 2-D points from a Gaussian centred at (2, -1), so the generator's progress is a
number: how far its samples' mean and spread are from the data's."""
import numpy as np

import lamina as keras
import lamina.compat.tensorflow as tf
from lamina import layers, ops

LATENT_DIM = 4
DATA_MEAN = np.array([2.0, -1.0])
DATA_STD = np.array([0.5, 0.3])


def real_points(n, seed=0):
    rng = np.random.default_rng(seed)
    return (DATA_MEAN + DATA_STD * rng.normal(size=(n, 2))).astype("float32")


def make_discriminator():
    return keras.Sequential([
        keras.Input(shape=(2,)),
        layers.Dense(32),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(32),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(1, activation="sigmoid"),
    ], name="discriminator")


def make_generator():
    return keras.Sequential([
        keras.Input(shape=(LATENT_DIM,)),
        layers.Dense(32),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(32),
        layers.LeakyReLU(negative_slope=0.2),
        layers.Dense(2),
    ], name="generator")


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = ops.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        generated_images = self.generator(random_latent_vectors)
        combined_images = ops.concatenate([generated_images, real_images], axis=0)
        # 1 = fake, 0 = real, with a little label noise (a trick from the example)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)

        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator)
        misleading_labels = ops.zeros((batch_size, 1))  # "all real"
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


EPOCHS = 10
# GAN training wobbles around the equilibrium: the mean settles within ~0.1-0.3 of the data's
# (seeds 0-3 at 20 epochs: 0.21-0.32), against ~2.2 before training
MEAN_TOLERANCE = 0.4


def sample_stats(generator, n=2000, seed=123):
    z = np.random.default_rng(seed).normal(size=(n, LATENT_DIM)).astype("float32")
    points = generator.predict(z, verbose=0)
    return points.mean(axis=0), points.std(axis=0)


def test_gan_generator_moves_to_the_data():
    keras.utils.set_random_seed(0)
    data = real_points(2048)
    gan = GAN(make_discriminator(), make_generator(), LATENT_DIM)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=2e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(learning_rate=2e-3, beta_1=0.5),
        loss_fn=keras.losses.BinaryCrossentropy(),
    )
    mean0, _ = sample_stats(gan.generator)
    history = gan.fit(data, epochs=EPOCHS, batch_size=64, verbose=0)
    mean1, std1 = sample_stats(gan.generator)

    steps = EPOCHS * len(data) // 64
    assert int(gan.d_optimizer.iterations) == steps
    assert int(gan.g_optimizer.iterations) == steps
    assert set(history.history) == {"d_loss", "g_loss"}
    # an untrained generator's samples sit near the origin, ~2.2 from the data's mean
    assert np.linalg.norm(mean0 - DATA_MEAN) > 1.5
    assert np.linalg.norm(mean1 - DATA_MEAN) < MEAN_TOLERANCE, (mean1, std1)
    assert np.all(std1 > 0.5 * DATA_STD) and np.all(std1 < 2.0 * DATA_STD), std1  # no collapse
    # at the equilibrium the discriminator cannot tell the halves apart: its loss is ~log(2)
    assert abs(history.history["d_loss"][-1] - np.log(2)) < 0.05, history.history
