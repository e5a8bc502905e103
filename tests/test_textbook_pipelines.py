"""Later course chapters, written as the textbook writes them for Keras 3 (image folders with
augmentation, raw text with TextVectorization, timeseries windows with a recurrent model,
the functional API with plot_model and TensorBoard), on small synthetic data made on disk so
the suite stays fast and needs no download."""
import os

import numpy as np
import pytest

import lamina as keras
from lamina import layers

PIL = pytest.importorskip("PIL.Image")


def _make_image_folders(base, n_per_class, rng):
    """'cat' images: a bright disc; 'dog' images: a bright bar (random position, noise)."""
    yy, xx = np.mgrid[:40, :40]
    for split, n in (("train", n_per_class), ("validation", n_per_class // 2),
                     ("test", n_per_class // 2)):
        for label in ("cat", "dog"):
            os.makedirs(base / split / label, exist_ok=True)
            for i in range(n):
                cy, cx = rng.integers(12, 28, size=2)
                if label == "cat":
                    shape = (yy - cy) ** 2 + (xx - cx) ** 2 < 36
                else:
                    shape = (np.abs(yy - cy) < 2) & (np.abs(xx - cx) < 12)
                img = rng.integers(0, 60, size=(40, 40, 3))
                img[shape] = 230
                PIL.fromarray(img.astype(np.uint8)).save(base / split / label / f"{label}.{i}.png")


def test_convnet_from_scratch_with_data_augmentation(tmp_path):
    new_base_dir = tmp_path / "cats_vs_dogs_small"
    _make_image_folders(new_base_dir, 60, np.random.default_rng(0))
    keras.utils.set_random_seed(0)

    from lamina.utils import image_dataset_from_directory

    train_dataset = image_dataset_from_directory(new_base_dir / "train", image_size=(32, 32),
                                                 batch_size=16)
    validation_dataset = image_dataset_from_directory(new_base_dir / "validation",
                                                      image_size=(32, 32), batch_size=16)
    test_dataset = image_dataset_from_directory(new_base_dir / "test", image_size=(32, 32),
                                                batch_size=16)
    for data_batch, labels_batch in train_dataset:
        assert data_batch.shape == (16, 32, 32, 3) and labels_batch.shape == (16,)
        break
    data_augmentation = keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.2),
    ])
    inputs = keras.Input(shape=(32, 32, 3))
    x = data_augmentation(inputs)
    x = layers.Rescaling(1. / 255)(x)
    x = layers.Conv2D(filters=16, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    path = str(tmp_path / "convnet_from_scratch_with_augmentation.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(filepath=path, save_best_only=True,
                                                 monitor="val_loss")]
    history = model.fit(train_dataset, epochs=12, validation_data=validation_dataset,
                        callbacks=callbacks, verbose=0)
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    test_model = keras.models.load_model(path)
    test_loss, test_acc = test_model.evaluate(test_dataset, verbose=0)
    assert test_acc >= 0.9, (test_acc, history.history)


def test_text_classification_from_raw_text_files(tmp_path):
    rng = np.random.default_rng(1)
    good = ["great", "wonderful", "superb", "moving", "brilliant", "loved"]
    bad = ["awful", "boring", "terrible", "dull", "waste", "hated"]
    filler = ["the", "movie", "film", "plot", "actor", "was", "and", "it", "a", "story"]
    for split, n in (("train", 150), ("test", 60)):
        for label, words in (("pos", good), ("neg", bad)):
            os.makedirs(tmp_path / "aclImdb" / split / label)
            for i in range(n):
                text = " ".join(rng.choice(filler, 12).tolist() + rng.choice(words, 2).tolist())
                (tmp_path / "aclImdb" / split / label / f"{i}.txt").write_text(text.capitalize() + ".")
    keras.utils.set_random_seed(0)
    batch_size = 32
    train_ds = keras.utils.text_dataset_from_directory(
        tmp_path / "aclImdb" / "train", batch_size=batch_size, validation_split=0.2,
        subset="training", seed=1337)
    val_ds = keras.utils.text_dataset_from_directory(
        tmp_path / "aclImdb" / "train", batch_size=batch_size, validation_split=0.2,
        subset="validation", seed=1337)
    test_ds = keras.utils.text_dataset_from_directory(tmp_path / "aclImdb" / "test",
                                                      batch_size=batch_size)
    for inputs, targets in train_ds:
        assert inputs.shape == (32,) and targets.shape == (32,)
        assert isinstance(inputs[0], str)
        break
    text_vectorization = layers.TextVectorization(max_tokens=20000, output_mode="multi_hot")
    text_only_train_ds = train_ds.map(lambda x, y: x)
    text_vectorization.adapt(text_only_train_ds)
    # multi_hot: "[UNK]" then the words (no "" padding token, as Keras)
    assert text_vectorization.vocabulary_size() == 1 + len(set(good + bad + filler))
    binary_1gram_train_ds = train_ds.map(lambda x, y: (text_vectorization(x), y))
    binary_1gram_val_ds = val_ds.map(lambda x, y: (text_vectorization(x), y))
    binary_1gram_test_ds = test_ds.map(lambda x, y: (text_vectorization(x), y))

    def get_model(max_tokens=20000, hidden_dim=16):
        inputs = keras.Input(shape=(max_tokens,))
        x = layers.Dense(hidden_dim, activation="relu")(inputs)
        x = layers.Dropout(0.5)(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    model = get_model(max_tokens=text_vectorization.vocabulary_size())
    model.fit(binary_1gram_train_ds, validation_data=binary_1gram_val_ds, epochs=30, verbose=0)
    acc = model.evaluate(binary_1gram_test_ds, verbose=0)[1]
    assert acc >= 0.95, acc


def test_timeseries_forecasting_beats_the_common_sense_baseline():
    rng = np.random.default_rng(2)
    n = 6000
    t = np.arange(n)
    temperature = 10 + 8 * np.sin(2 * np.pi * t / 144) + np.cumsum(rng.normal(0, 0.05, n))
    pressure = 1000 + 0.5 * temperature + rng.normal(0, 0.3, n)
    raw_data = np.stack([pressure, temperature, rng.normal(size=n)], axis=1).astype("float32")
    num_train_samples = int(0.5 * len(raw_data))
    num_val_samples = int(0.25 * len(raw_data))
    mean = raw_data[:num_train_samples].mean(axis=0)
    raw_data -= mean
    std = raw_data[:num_train_samples].std(axis=0)
    raw_data /= std
    sampling_rate, sequence_length, batch_size = 6, 20, 128
    delay = sampling_rate * (sequence_length + 6 - 1)
    train_dataset = keras.utils.timeseries_dataset_from_array(
        raw_data[:-delay], targets=temperature[delay:], sampling_rate=sampling_rate,
        sequence_length=sequence_length, shuffle=True, batch_size=batch_size, start_index=0,
        end_index=num_train_samples)
    val_dataset = keras.utils.timeseries_dataset_from_array(
        raw_data[:-delay], targets=temperature[delay:], sampling_rate=sampling_rate,
        sequence_length=sequence_length, shuffle=True, batch_size=batch_size,
        start_index=num_train_samples, end_index=num_train_samples + num_val_samples)
    for samples, targets in train_dataset:
        assert samples.shape == (batch_size, sequence_length, 3) and targets.shape == (batch_size,)
        break

    def evaluate_naive_method(dataset):
        total_abs_err = 0.
        samples_seen = 0
        for samples, targets in dataset:
            preds = samples[:, -1, 1] * std[1] + mean[1]
            total_abs_err += np.sum(np.abs(preds - targets))
            samples_seen += samples.shape[0]
        return total_abs_err / samples_seen

    baseline = evaluate_naive_method(val_dataset)
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(sequence_length, raw_data.shape[-1]))
    x = layers.GRU(16)(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    history = model.fit(train_dataset, epochs=20, validation_data=val_dataset, verbose=0)
    assert min(history.history["val_mae"]) < 0.6 * baseline, (baseline, history.history["val_mae"])


def test_functional_api_chapter_with_plot_model_and_tensorboard(tmp_path):
    vocabulary_size, num_tags, num_departments = 200, 20, 4
    title = keras.Input(shape=(vocabulary_size,), name="title")
    text_body = keras.Input(shape=(vocabulary_size,), name="text_body")
    tags = keras.Input(shape=(num_tags,), name="tags")
    features = layers.Concatenate()([title, text_body, tags])
    features = layers.Dense(64, activation="relu")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(num_departments, activation="softmax", name="department")(features)
    model = keras.Model(inputs=[title, text_body, tags], outputs=[priority, department])
    rng = np.random.default_rng(3)
    num_samples = 256
    title_data = rng.integers(0, 2, size=(num_samples, vocabulary_size)).astype("float32")
    text_body_data = rng.integers(0, 2, size=(num_samples, vocabulary_size)).astype("float32")
    tags_data = rng.integers(0, 2, size=(num_samples, num_tags)).astype("float32")
    priority_data = rng.random(size=(num_samples, 1)).astype("float32")
    department_data = rng.integers(0, 2, size=(num_samples, num_departments)).astype("float32")
    model.compile(optimizer="rmsprop", loss=["mean_squared_error", "categorical_crossentropy"],
                  metrics=[["mean_absolute_error"], ["accuracy"]])
    tensorboard = keras.callbacks.TensorBoard(log_dir=str(tmp_path / "full_path_to_your_log_dir"))
    model.fit([title_data, text_body_data, tags_data], [priority_data, department_data],
              epochs=2, verbose=0, callbacks=[tensorboard])
    assert os.listdir(tmp_path / "full_path_to_your_log_dir" / "train")
    pytest.importorskip("matplotlib")
    keras.utils.plot_model(model, str(tmp_path / "ticket_classifier.png"))
    keras.utils.plot_model(model, str(tmp_path / "ticket_classifier_with_shape_info.png"),
                           show_shapes=True)
    assert (tmp_path / "ticket_classifier_with_shape_info.png").stat().st_size > 1000
    assert [layer.name for layer in model.layers][:3] == ["title", "text_body", "tags"]
