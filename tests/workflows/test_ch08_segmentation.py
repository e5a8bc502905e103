"""Image segmentation as the course writes it (Oxford-pets style): image and trimap files on
disk read with `load_img`/`img_to_array`, a Conv2D / Conv2DTranspose encoder-decoder with
strides 2 and padding "same", per-pixel sparse categorical cross-entropy, a foreground IoU
metric, a checkpoint of the best model and a prediction turned back into a mask image.

The stand-in data: 32x32 RGB noise with one bright disc or square (the "pet"); the trimap
labels the pixels 1 (pet), 2 (background), 3 (a one-pixel border), as the real trimaps do."""
import os

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.utils import img_to_array, load_img

PIL = pytest.importorskip("PIL.Image")

IMG = 32


def _write_pets(base, n, rng):
    """Write n image/trimap pairs in images/ and annotations/trimaps/ as the dataset lays them out."""
    os.makedirs(base / "images")
    os.makedirs(base / "annotations" / "trimaps")
    yy, xx = np.mgrid[:IMG, :IMG]
    for i in range(n):
        cy, cx = rng.integers(9, IMG - 9, size=2)
        r = rng.integers(5, 9)
        if i % 2:
            inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            grown = (yy - cy) ** 2 + (xx - cx) ** 2 <= (r + 1) ** 2
        else:
            inside = (np.abs(yy - cy) <= r - 1) & (np.abs(xx - cx) <= r - 1)
            grown = (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
        img = rng.integers(0, 110, size=(IMG, IMG, 3))
        img[inside] = rng.integers(150, 256, size=3)  # one colour per pet
        trimap = np.full((IMG, IMG), 2, np.uint8)
        trimap[grown] = 3
        trimap[inside] = 1
        PIL.fromarray(img.astype(np.uint8)).save(base / "images" / f"pet_{i:03d}.jpg", quality=95)
        PIL.fromarray(trimap).save(base / "annotations" / "trimaps" / f"pet_{i:03d}.png")


def get_model(img_size, num_classes):
    inputs = keras.Input(shape=img_size + (3,))
    x = layers.Rescaling(1. / 255)(inputs)

    x = layers.Conv2D(16, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(32, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(32, 3, activation="relu", padding="same")(x)

    x = layers.Conv2DTranspose(32, 3, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", padding="same", strides=2)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu", padding="same", strides=2)(x)

    outputs = layers.Conv2D(num_classes, 3, activation="softmax", padding="same")(x)
    return keras.Model(inputs, outputs)


def test_segmentation_encoder_decoder_reaches_pixel_accuracy_and_iou(tmp_path):
    _write_pets(tmp_path, 200, np.random.default_rng(0))
    input_dir = str(tmp_path / "images") + "/"
    target_dir = str(tmp_path / "annotations" / "trimaps") + "/"
    input_img_paths = sorted(os.path.join(input_dir, f) for f in os.listdir(input_dir)
                             if f.endswith(".jpg"))
    target_paths = sorted(os.path.join(target_dir, f) for f in os.listdir(target_dir)
                          if f.endswith(".png") and not f.startswith("."))
    assert len(input_img_paths) == len(target_paths) == 200

    img_size = (IMG, IMG)
    num_imgs = len(input_img_paths)

    def path_to_input_image(path):
        return img_to_array(load_img(path, target_size=img_size))

    def path_to_target(path):
        img = img_to_array(load_img(path, target_size=img_size, color_mode="grayscale"))
        img = img.astype("uint8") - 1
        return img

    input_imgs = np.zeros((num_imgs,) + img_size + (3,), dtype="float32")
    targets = np.zeros((num_imgs,) + img_size + (1,), dtype="uint8")
    for i in range(num_imgs):
        input_imgs[i] = path_to_input_image(input_img_paths[i])
        targets[i] = path_to_target(target_paths[i])
    assert set(np.unique(targets)) == {0, 1, 2}

    num_val_samples = 40
    train_input_imgs = input_imgs[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_input_imgs = input_imgs[-num_val_samples:]
    val_targets = targets[-num_val_samples:]

    keras.utils.set_random_seed(0)
    model = get_model(img_size=img_size, num_classes=3)
    assert model.output_shape == (None, IMG, IMG, 3)
    foreground_iou = keras.metrics.IoU(num_classes=3, target_class_ids=(0,),
                                       name="foreground_iou", sparse_y_true=True,
                                       sparse_y_pred=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", foreground_iou])
    path = str(tmp_path / "oxford_segmentation.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(path, save_best_only=True)]
    history = model.fit(train_input_imgs, train_targets, epochs=10, callbacks=callbacks,
                        batch_size=16, validation_data=(val_input_imgs, val_targets), verbose=0)
    h = history.history
    assert set(h) == {"loss", "accuracy", "foreground_iou", "val_loss", "val_accuracy",
                      "val_foreground_iou"}
    assert h["loss"][-1] < 0.5 * h["loss"][0], h["loss"]

    model = keras.models.load_model(path, custom_objects={})
    val_loss, val_acc, val_iou = model.evaluate(val_input_imgs, val_targets, verbose=0)
    assert val_loss == pytest.approx(min(h["val_loss"]), rel=1e-4)
    # background alone is ~0.70 of the pixels
    assert val_acc > 0.9, h
    assert val_iou > 0.7, h

    # the metric against an independent NumPy count on the predicted masks
    pred = model.predict(val_input_imgs, verbose=0)
    mask = np.argmax(pred, axis=-1)
    true = val_targets[..., 0]
    inter = np.sum((mask == 0) & (true == 0))
    union = np.sum((mask == 0) | (true == 0))
    assert val_iou == pytest.approx(inter / union, rel=1e-4)
    miou = keras.metrics.MeanIoU(num_classes=3)
    miou.update_state(true, mask)
    per_class = [np.sum((mask == c) & (true == c)) / np.sum((mask == c) | (true == c))
                 for c in range(3)]
    assert float(miou.result()) == pytest.approx(np.mean(per_class), rel=1e-4)

    def display_mask(pred):
        mask = np.argmax(pred, axis=-1)
        mask *= 127
        return keras.utils.array_to_img(mask[..., None])

    image = display_mask(pred[4])
    assert image.size == img_size and image.mode == "L"
    # array_to_img rescales to 0..255: the three classes become 0, 127 and 255
    assert set(np.unique(np.asarray(image))) <= {0, 127, 255}
