"""Modern convnet architecture patterns as the course writes them: residual blocks in the
functional API (a 1x1 projection when the filter count or the resolution changes),
BatchNormalization before the activation, SeparableConv2D, and data augmentation layers
inside the model (a mini Xception). Parameter counts and layer names are Keras 3.15's
(measured with the same code under `import keras`)."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers


def residual_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    x = layers.add([x, residual])
    return x


def test_residual_blocks_with_projection_match_keras_structure():
    keras.backend.clear_session()  # layer names count from zero again
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Rescaling(1. / 255)(inputs)
    x = residual_block(x, filters=32, pooling=True)
    x = residual_block(x, filters=64, pooling=True)
    x = residual_block(x, filters=128, pooling=False)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    assert model.count_params() == 297697
    assert [layer.name for layer in model.layers] == [
        "input_layer", "rescaling", "conv2d", "conv2d_1", "max_pooling2d", "conv2d_2", "add",
        "conv2d_3", "conv2d_4", "max_pooling2d_1", "conv2d_5", "add_1", "conv2d_6",
        "conv2d_7", "conv2d_8", "add_2", "global_average_pooling2d", "dense"]
    shapes = [tuple(layer.output.shape) for layer in model.layers]
    assert shapes[4:7] == [(None, 16, 16, 32)] * 3
    assert shapes[12:16] == [(None, 8, 8, 128)] * 4
    # the residual path really adds: with the convolutions zeroed, the output is the projection
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    for name in ("conv2d_6", "conv2d_7"):
        kernel, bias = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([np.zeros_like(kernel), np.zeros_like(bias)])
    probe = keras.Model(inputs, model.get_layer("add_2").output)
    proj = keras.Model(inputs, model.get_layer("conv2d_8").output)
    np.testing.assert_allclose(probe.predict(x, verbose=0), proj.predict(x, verbose=0), rtol=1e-6)


def _mini_xception(input_shape, sizes, first_filters, first_kernel, **bn_kwargs):
    data_augmentation = keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.2),
    ])
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = layers.Rescaling(1. / 255)(x)
    x = layers.Conv2D(filters=first_filters, kernel_size=first_kernel, use_bias=False)(x)
    for size in sizes:
        residual = x

        x = layers.BatchNormalization(**bn_kwargs)(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)

        x = layers.BatchNormalization(**bn_kwargs)(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        residual = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False)(residual)
        x = layers.add([x, residual])

    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_book_mini_xception_has_keras_parameter_counts():
    keras.backend.clear_session()
    model = _mini_xception((180, 180, 3), [32, 64, 128, 256, 512], 32, 5)
    assert model.count_params() == 721857
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == 718849
    assert len(model.layers) == 52
    assert [layer.name for layer in model.layers][:12] == [
        "input_layer", "sequential", "rescaling", "conv2d", "batch_normalization", "activation",
        "separable_conv2d", "batch_normalization_1", "activation_1", "separable_conv2d_1",
        "max_pooling2d", "conv2d_1"]


def _shapes_dataset(n, rng, size=24):
    """Class 0: a filled disc; class 1: a ring of the same outer size (flip/rotation/zoom
    leave both classes unchanged, so augmentation keeps the labels right)."""
    yy, xx = np.mgrid[:size, :size]
    images = rng.integers(0, 90, size=(n, size, size, 3)).astype("float32")
    labels = np.arange(n) % 2
    for i in range(n):
        cy, cx = rng.uniform(size / 2 - 3, size / 2 + 3, size=2)
        r = rng.uniform(5, 7.5)
        d2 = (yy - cy) ** 2 + (xx - cx) ** 2
        shape = d2 <= r * r if labels[i] == 0 else (d2 <= r * r) & (d2 >= (r - 2.5) ** 2)
        images[i][shape] = rng.uniform(170, 255)
    return images, labels.astype("float32")


def test_mini_xception_with_augmentation_learns_generated_shapes(tmp_path):
    rng = np.random.default_rng(0)
    x_train, y_train = _shapes_dataset(256, rng)
    x_val, y_val = _shapes_dataset(100, rng)
    keras.utils.set_random_seed(0)
    # momentum 0.9 instead of 0.99: in a 160-step run, 0.99**160 = 0.2 of the initial
    # moving variance (1.0) would remain against true variances near 1e-3, and inference
    # would collapse to one class (Keras 3 does the same with these few steps)
    model = _mini_xception((24, 24, 3), [16, 32, 64], 16, 3, momentum=0.9)
    assert model.count_params() == 13793
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    path = str(tmp_path / "mini_xception.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(filepath=path, save_best_only=True,
                                                 monitor="val_loss")]
    history = model.fit(x_train, y_train, epochs=10, batch_size=16, callbacks=callbacks,
                        validation_data=(x_val, y_val), verbose=0)
    assert history.history["accuracy"][-1] > 0.95, history.history
    test_model = keras.models.load_model(path)
    val_loss, val_acc = test_model.evaluate(x_val, y_val, verbose=0)
    assert val_loss == pytest.approx(min(history.history["val_loss"]), rel=1e-4)
    assert val_acc >= 0.95, history.history
    # augmentation is active only in training: inference is deterministic
    p1 = test_model.predict(x_val[:8], verbose=0)
    np.testing.assert_array_equal(p1, test_model.predict(x_val[:8], verbose=0))
    # called directly, as the book does to display augmented images, it transforms them
    # (Keras's random layers default to training=True); with training=False it does not
    data_augmentation = test_model.layers[1]
    assert isinstance(data_augmentation, keras.Sequential)
    augmented_images = data_augmentation(x_val[:8])
    assert not np.allclose(np.asarray(augmented_images), x_val[:8])
    np.testing.assert_array_equal(np.asarray(data_augmentation(x_val[:8], training=False)),
                                  x_val[:8])
    # BatchNormalization learned the statistics of its inputs during training
    bn = test_model.layers[4]
    assert np.all(bn.moving_variance.numpy() < 0.5)
