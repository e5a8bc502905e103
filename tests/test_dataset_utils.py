"""keras.utils dataset utilities: the Dataset object, image/text folders, timeseries windows,
split_dataset and the image file helpers. Expected values are computed by hand in comments."""
import random as pyrandom
import sys
import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.utils import image_resize
from lamina.utils.dataset import INFINITE, UNKNOWN, Dataset

PIL = pytest.importorskip("PIL.Image")  # Pillow comes with the test extra (via matplotlib)


def write_image(path, array, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    array = np.asarray(array, np.uint8)
    mode = {2: "L"}.get(array.ndim) or {3: "RGB", 4: "RGBA"}[array.shape[2]]
    PIL.fromarray(array, mode).save(path, format=fmt)


def constant_image(value, marker, h=5, w=7):
    """RGB image: channel 0 = value, channel 1 = marker, channel 2 = 0."""
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0], img[..., 1] = value, marker
    return img


@pytest.fixture
def three_classes(tmp_path):
    """b_dogs: 3 images, a_cats: 2, c_birds: 1; plus a hidden folder and a non-image file."""
    root = tmp_path / "images"
    counts = {"a_cats": 2, "b_dogs": 3, "c_birds": 1}
    for k, (name, n) in enumerate(sorted(counts.items())):
        for i in range(n):
            write_image(root / name / f"img{i}.png", constant_image(10 * (k + 1), 50 + i))
    write_image(root / ".hidden" / "x.png", constant_image(255, 255))
    (root / "a_cats" / "notes.txt").write_text("not an image")
    return root


# --- the Dataset object ---------------------------------------------------------------


def test_dataset_take_skip_batch_unbatch_lengths():
    ds = Dataset.from_tensor_slices((np.arange(10), np.arange(10) * 2.0))
    assert len(ds) == 10 and ds.cardinality() == 10
    batched = ds.batch(4)
    assert len(batched) == 3  # ceil(10 / 4)
    assert len(ds.batch(4, drop_remainder=True)) == 2
    sizes = [x.shape[0] for x, _ in batched]
    assert sizes == [4, 4, 2]
    x, y = next(iter(batched.skip(1).take(1)))
    np.testing.assert_array_equal(x, [4, 5, 6, 7])
    np.testing.assert_array_equal(y, [8.0, 10.0, 12.0, 14.0])
    rows = list(batched.unbatch())
    assert [int(r[0]) for r in rows] == list(range(10))
    assert batched.unbatch().cardinality() == UNKNOWN
    with pytest.raises(TypeError, match="unknown"):
        len(batched.unbatch())
    assert len(ds.take(3)) == 3 and len(ds.skip(7)) == 3 and len(ds.take(-1)) == 10
    assert len(ds.skip(20)) == 0 and list(ds.skip(20)) == []


def test_dataset_is_reiterable_and_map_converts_tensors():
    ds = Dataset.from_tensor_slices(np.arange(6, dtype=np.float32)).batch(3)
    doubled = ds.map(lambda x: keras.ops.multiply(x, 2.0))  # returns a lamina Tensor
    first = [b for b in doubled]
    second = [b for b in doubled]
    assert all(type(b) is np.ndarray for b in first)
    np.testing.assert_array_equal(np.concatenate(first), [0, 2, 4, 6, 8, 10])
    np.testing.assert_array_equal(np.concatenate(second), np.concatenate(first))
    pairs = Dataset.from_tensor_slices((np.arange(4), np.arange(4) + 10)).batch(2)
    swapped = pairs.map(lambda x, y: (y, x))  # tuple elements are unpacked into arguments
    y, x = next(iter(swapped))
    np.testing.assert_array_equal(y, [10, 11])
    np.testing.assert_array_equal(x, [0, 1])
    only_x = pairs.map(lambda x, y: x)
    np.testing.assert_array_equal(next(iter(only_x)), [0, 1])


def test_dataset_shuffle_seeded_reshuffles_each_pass_and_keeps_all_elements():
    ds = Dataset.from_tensor_slices(np.arange(50)).shuffle(100, seed=3)
    a, b = list(ds), list(ds)
    assert sorted(a) == list(range(50)) and sorted(b) == list(range(50))
    assert a != b and a != list(range(50))  # a new order each pass
    again = Dataset.from_tensor_slices(np.arange(50)).shuffle(100, seed=3)
    assert list(again) == a and list(again) == b  # the same sequence of orders
    fixed = Dataset.from_tensor_slices(np.arange(50)).shuffle(100, seed=3, reshuffle_each_iteration=False)
    assert list(fixed) == list(fixed)
    # a buffer of 1 cannot reorder anything
    assert list(Dataset.from_tensor_slices(np.arange(10)).shuffle(1, seed=0)) == list(range(10))
    # a buffer of 2: element i can only come out at position <= i + ... and never before i - 1
    out = list(Dataset.from_tensor_slices(np.arange(30)).shuffle(2, seed=1))
    assert all(out.index(i) >= i - 1 for i in range(30))


def test_dataset_shuffle_without_seed_follows_set_random_seed():
    keras.utils.set_random_seed(5)
    a = list(Dataset.from_tensor_slices(np.arange(20)).shuffle(20))
    keras.utils.set_random_seed(5)
    b = list(Dataset.from_tensor_slices(np.arange(20)).shuffle(20))
    assert a == b and a != list(range(20))


def test_dataset_cache_repeat_filter_prefetch_concatenate():
    calls = []

    def count(x):
        calls.append(int(x))
        return x * 10

    ds = Dataset.from_tensor_slices(np.arange(4)).map(count).cache()
    assert [int(v) for v in ds.take(2)] == [0, 10]  # a partial pass does not fill the cache
    assert [int(v) for v in ds] == [0, 10, 20, 30]
    n_calls = len(calls)
    assert [int(v) for v in ds] == [0, 10, 20, 30] and len(calls) == n_calls  # replayed
    rep = Dataset.from_tensor_slices(np.arange(3)).repeat(2)
    assert len(rep) == 6 and [int(v) for v in rep] == [0, 1, 2, 0, 1, 2]
    forever = Dataset.from_tensor_slices(np.arange(3)).repeat()
    assert forever.cardinality() == INFINITE
    assert [int(v) for v in forever.take(7)] == [0, 1, 2, 0, 1, 2, 0]
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    evens = Dataset.from_tensor_slices(np.arange(7)).filter(lambda x: x % 2 == 0)
    assert [int(v) for v in evens] == [0, 2, 4, 6]
    both = Dataset.from_tensor_slices(np.arange(2)).concatenate(Dataset.from_tensor_slices(np.arange(5, 7)))
    assert len(both) == 4 and [int(v) for v in both.prefetch(2)] == [0, 1, 5, 6]
    with pytest.raises(NotImplementedError, match="file"):
        ds.cache("somewhere.cache")
    with pytest.raises(ValueError, match="batch_size"):
        ds.batch(0)


# --- image_dataset_from_directory -------------------------------------------------------


def test_image_dataset_shapes_labels_and_class_order(three_classes, capsys):
    ds = keras.utils.image_dataset_from_directory(
        three_classes, image_size=(8, 6), batch_size=4, shuffle=False)
    assert "Found 6 files belonging to 3 classes." in capsys.readouterr().out
    assert ds.class_names == ["a_cats", "b_dogs", "c_birds"]
    assert len(ds) == 2  # ceil(6 / 4)
    assert [p.split("images")[1][1:] for p in ds.file_paths] == [
        "a_cats/img0.png", "a_cats/img1.png", "b_dogs/img0.png", "b_dogs/img1.png",
        "b_dogs/img2.png", "c_birds/img0.png"]
    batches = list(ds)
    x, y = batches[0]
    assert x.shape == (4, 8, 6, 3) and x.dtype == np.float32
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [0, 0, 1, 1])
    np.testing.assert_array_equal(batches[1][1], [1, 2])
    # a constant image stays constant through the resize: channel 0 = 10 * (class + 1)
    np.testing.assert_allclose(x[..., 0], np.array([10, 10, 20, 20], np.float32)[:, None, None] + 0 * x[..., 0])
    for images, labels in ds.take(1):
        assert images.shape == (4, 8, 6, 3)


def test_image_dataset_label_modes_and_color_modes(three_classes, tmp_path):
    cat = keras.utils.image_dataset_from_directory(
        three_classes, image_size=(4, 4), label_mode="categorical", shuffle=False, verbose=False)
    x, y = next(iter(cat))
    assert y.dtype == np.float32 and y.shape == (6, 3)
    np.testing.assert_array_equal(y.argmax(1), [0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(y.sum(1), np.ones(6))
    with pytest.raises(ValueError, match="exactly 2"):
        keras.utils.image_dataset_from_directory(three_classes, label_mode="binary", verbose=False)
    two = keras.utils.image_dataset_from_directory(
        three_classes, image_size=(4, 4), label_mode="binary", class_names=["b_dogs", "a_cats"],
        shuffle=False, verbose=False)
    x, y = next(iter(two))
    assert two.class_names == ["b_dogs", "a_cats"]  # the given order, not alphabetical
    assert y.shape == (5, 1) and y.dtype == np.float32
    np.testing.assert_array_equal(y[:, 0], [0, 0, 0, 1, 1])
    gray = keras.utils.image_dataset_from_directory(
        three_classes, image_size=(4, 4), color_mode="grayscale", label_mode=None, shuffle=False,
        verbose=False)
    images = next(iter(gray))
    # with no labels the whole tree is indexed, as Keras does: the hidden folder's image too
    assert isinstance(images, np.ndarray) and images.shape == (7, 4, 4, 1)
    assert len(gray.file_paths) == 7 and gray.class_names is None
    rgba = keras.utils.image_dataset_from_directory(
        three_classes, image_size=(3, 2), color_mode="rgba", shuffle=False, verbose=False)
    x, _ = next(iter(rgba))
    assert x.shape == (6, 3, 2, 4)
    np.testing.assert_array_equal(x[..., 3], np.full((6, 3, 2), 255.0))  # opaque alpha
    with pytest.raises(ValueError, match="class_names"):
        keras.utils.image_dataset_from_directory(three_classes, class_names=["a_cats", "zebras"])
    with pytest.raises(ValueError, match="interpolation.*'bilinear'"):
        keras.utils.image_dataset_from_directory(three_classes, interpolation="bilinar")


def test_image_dataset_explicit_labels_and_jpeg(tmp_path):
    root = tmp_path / "flat"
    for i in range(3):
        write_image(root / f"f{i}.jpg", constant_image(40 * (i + 1), 0), fmt="JPEG")
    ds = keras.utils.image_dataset_from_directory(
        root, labels=[2, 0, 2], image_size=(5, 7), shuffle=False, verbose=False)
    assert ds.class_names == ["0", "2"]
    x, y = next(iter(ds))
    np.testing.assert_array_equal(y, [2, 0, 2])
    # JPEG is lossy: the constant red channel comes back within a few levels
    np.testing.assert_allclose(x[:, 2, 3, 0], [40, 80, 120], atol=6)
    with pytest.raises(ValueError, match="3 files"):
        keras.utils.image_dataset_from_directory(root, labels=[0, 1], verbose=False)


def test_follow_links_visits_linked_folders_only_when_asked(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    for i in range(2):
        write_image(elsewhere / f"e{i}.png", constant_image(1, i))
    root = tmp_path / "linked"
    write_image(root / "cats" / "own.png", constant_image(1, 9))
    (root / "cats" / "more").symlink_to(elsewhere, target_is_directory=True)
    plain = keras.utils.image_dataset_from_directory(root, image_size=(2, 2), shuffle=False,
                                                     verbose=False)
    assert len(plain.file_paths) == 1
    followed = keras.utils.image_dataset_from_directory(
        root, image_size=(2, 2), shuffle=False, follow_links=True, verbose=False)
    assert [p.split("linked")[1][1:] for p in followed.file_paths] == [
        "cats/own.png", "cats/more/e0.png", "cats/more/e1.png"]


def test_resize_values_of_a_known_image(tmp_path):
    # [[0, 100], [200, 40]] -> 4x4, bilinear with half-pixel centres: along each axis
    # [a, b] -> [a, .75a + .25b, .25a + .75b, b], so the rows become
    # [0, 25, 75, 100] and [200, 160, 80, 40], and then the columns likewise.
    write_image(tmp_path / "k" / "one" / "img.png", np.array([[0, 100], [200, 40]]))
    ds = keras.utils.image_dataset_from_directory(
        tmp_path / "k", image_size=(4, 4), color_mode="grayscale", shuffle=False, verbose=False)
    x, _ = next(iter(ds))
    expected = [[0, 25, 75, 100], [50, 58.75, 76.25, 85], [150, 126.25, 78.75, 55],
                [200, 160, 80, 40]]
    np.testing.assert_allclose(x[0, :, :, 0], expected, atol=1e-4)
    nearest = keras.utils.image_dataset_from_directory(
        tmp_path / "k", image_size=(4, 4), color_mode="grayscale", interpolation="nearest",
        shuffle=False, verbose=False)
    x, _ = next(iter(nearest))  # source pixel floor((i + .5) / 2) = 0, 0, 1, 1
    np.testing.assert_array_equal(x[0, :, :, 0], [[0, 0, 100, 100]] * 2 + [[200, 200, 40, 40]] * 2)


def test_resize_methods_by_hand():
    row = np.arange(4, dtype=np.float32).reshape(1, 4, 1) * 10  # [0, 10, 20, 30]
    # bilinear 4 -> 2 samples at .5 and 2.5: the means of pairs
    np.testing.assert_allclose(image_resize.resize(row, (1, 2))[0, :, 0], [5, 25])
    # area 3 -> 2 (scale 1.5): out0 = (p0 + .5 p1) / 1.5, out1 = (.5 p1 + p2) / 1.5
    three = np.array([0.0, 30.0, 60.0]).reshape(1, 3, 1)
    np.testing.assert_allclose(image_resize.resize(three, (1, 2), "area")[0, :, 0], [10, 50], rtol=1e-6)
    # Keys bicubic reproduces a linear ramp where its 4 taps are inside the image:
    # 8 -> 16, output i samples s = (i + .5) / 2 - .5, value 10 s
    ramp = (np.arange(8) * 10.0).reshape(1, 8, 1)
    out = image_resize.resize(ramp, (1, 16), "bicubic")[0, :, 0]
    s = (np.arange(16) + 0.5) / 2 - 0.5
    inside = (s >= 1) & (s <= 6)
    np.testing.assert_allclose(out[inside], 10 * s[inside], atol=1e-4)
    for method in ("bicubic", "lanczos3", "lanczos5", "gaussian", "mitchellcubic", "area"):
        const = np.full((5, 3, 2), 7.0)
        np.testing.assert_allclose(image_resize.resize(const, (7, 4), method), 7.0, rtol=1e-5)
    # crop_to_aspect_ratio: 4x8 image, target 2x2 -> centred 4x4 window (columns 2..5),
    # column values 10 * j -> [20, 30, 40, 50] -> bilinear 4 -> 2 -> [25, 45]
    wide = np.tile(np.arange(8) * 10.0, (4, 1))[:, :, None]
    cropped = image_resize.resize_image(wide, (2, 2), crop_to_aspect_ratio=True)
    np.testing.assert_allclose(cropped[..., 0], [[25, 45], [25, 45]])
    # pad_to_aspect_ratio: 2x4 image into 4x4 -> unchanged rows 1..2, zero rows 0 and 3
    padded = image_resize.resize_image(np.ones((2, 4, 1)), (4, 4), pad_to_aspect_ratio=True)
    np.testing.assert_array_equal(padded[..., 0], [[0] * 4, [1] * 4, [1] * 4, [0] * 4])


def test_validation_split_disjoint_complete_deterministic(tmp_path, capsys):
    root = tmp_path / "split"
    for k, name in enumerate(["dark", "light"]):
        for i in range(10):
            write_image(root / name / f"{i:02d}.png", constant_image(k, i, 3, 3))
    kw = dict(image_size=(3, 3), batch_size=4, validation_split=0.25, seed=7, verbose=False)
    train = keras.utils.image_dataset_from_directory(root, subset="training", **kw)
    val = keras.utils.image_dataset_from_directory(root, subset="validation", **kw)
    out = capsys.readouterr().out
    assert "Using 15 files for training." in out and "Using 5 files for validation." in out
    assert len(train.file_paths) == 15 and len(val.file_paths) == 5  # int(0.25 * 20) = 5
    assert not set(train.file_paths) & set(val.file_paths)
    all_paths = sorted(str(p) for p in root.rglob("*.png"))
    assert sorted(train.file_paths + val.file_paths) == all_paths
    # Keras's file order: the sorted list shuffled by numpy RandomState(seed)
    keras_order = list(all_paths)
    np.random.RandomState(7).shuffle(keras_order)
    assert train.file_paths == keras_order[:15] and val.file_paths == keras_order[15:]
    both_train, both_val = keras.utils.image_dataset_from_directory(root, subset="both", **kw)
    assert both_train.file_paths == train.file_paths and both_val.file_paths == val.file_paths
    # labels stay with their images (channel 0 = class), every pass, in a new order each pass
    passes = []
    for _ in range(2):
        seen = []
        for x, y in train:
            np.testing.assert_array_equal(x[:, 0, 0, 0], y)
            seen += list(zip(y.tolist(), x[:, 0, 0, 1].tolist()))
        assert len(seen) == 15 and len(set(seen)) == 15
        passes.append(seen)
    assert passes[0] != passes[1]
    again = keras.utils.image_dataset_from_directory(root, subset="training", **kw)
    assert [list(zip(y.tolist(), x[:, 0, 0, 1].tolist())) for x, y in again] == [
        passes[0][i:i + 4] for i in range(0, 15, 4)]
    with pytest.raises(ValueError, match="seed"):
        keras.utils.image_dataset_from_directory(root, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="subset"):
        keras.utils.image_dataset_from_directory(root, validation_split=0.2, seed=1)


def test_fit_on_directory_dataset_bright_vs_dark(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "bright_dark"
    for name, (lo, hi) in {"bright": (170, 256), "dark": (0, 86)}.items():
        for i in range(24):
            write_image(root / name / f"{i}.png", rng.integers(lo, hi, (6, 6, 3)))
    kw = dict(image_size=(6, 6), batch_size=8, label_mode="binary", validation_split=0.25,
              seed=1, verbose=False)
    train = keras.utils.image_dataset_from_directory(root, subset="training", **kw)
    val = keras.utils.image_dataset_from_directory(root, subset="validation", **kw)
    assert train.class_names == ["bright", "dark"]  # dark = 1
    model = keras.Sequential([keras.Input((6, 6, 3)), layers.Rescaling(1 / 255),
                              layers.GlobalAveragePooling2D(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.2), loss="binary_crossentropy",
                  metrics=["accuracy"])
    augmented = train.map(lambda x, y: (keras.ops.flip(x, axis=2), y))
    history = model.fit(augmented, epochs=8, validation_data=val, verbose=0)
    assert history.params["steps"] == 5  # ceil(36 / 8)
    assert history.history["val_accuracy"][-1] == 1.0
    loss, acc = model.evaluate(val, verbose=0)
    assert acc == 1.0 and loss < 0.2
    assert model.predict(val, verbose=0).shape == (12, 1)
    # the validation subset reshuffles on every pass (as Keras's does): pair x and y per batch
    for x, y in val:
        np.testing.assert_array_equal(model.predict(x, verbose=0) > 0.5, y > 0.5)


def test_fit_dataset_steps_per_epoch_repeat_and_class_weight():
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    y = (x[:, 0] > 0).astype(np.float32)
    ds = Dataset.from_tensor_slices((x, y)).batch(10)
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(ds.repeat(), epochs=1, verbose=0)
    h = model.fit(ds.repeat(), epochs=3, steps_per_epoch=6, verbose=0)
    assert h.params["steps"] == 6 and len(h.history["loss"]) == 3
    h = model.fit(ds, epochs=1, class_weight={0: 1.0, 1: 3.0}, verbose=0)
    assert np.isfinite(h.history["loss"][0])
    with pytest.raises(ValueError, match="do not pass y"):
        model.fit(ds, y, verbose=0)
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(ds, epochs=2, steps_per_epoch=3, verbose=0)  # 4 batches for 6 steps
    # validation_steps: the same first batches every epoch (Keras), so no running out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = model.fit(ds, epochs=3, validation_data=ds, validation_steps=3, verbose=0)
    expected = model.evaluate(ds.take(3), verbose=0)
    assert h.history["val_loss"][-1] == pytest.approx(expected, rel=1e-6)


# --- text_dataset_from_directory --------------------------------------------------------


def test_text_dataset_raw_strings_labels_and_max_length(tmp_path):
    root = tmp_path / "reviews"
    (root / "neg").mkdir(parents=True)
    (root / "pos").mkdir()
    (root / "neg" / "1.txt").write_text("Awful. <br />Really.", encoding="utf-8")
    (root / "neg" / "2.txt").write_text("bad", encoding="utf-8")
    (root / "pos" / "1.txt").write_text("café au lait", encoding="utf-8")
    (root / "pos" / "skip.md").write_text("not a .txt file")
    ds = keras.utils.text_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
    assert ds.class_names == ["neg", "pos"] and len(ds) == 2
    texts, labels = next(iter(ds))
    assert texts.dtype == object and texts.shape == (2,)
    assert texts.tolist() == ["Awful. <br />Really.", "bad"]  # raw: no standardization
    np.testing.assert_array_equal(labels, [0, 0])
    last_texts, last_labels = list(ds)[1]
    assert last_texts.tolist() == ["café au lait"] and last_labels.tolist() == [1]
    # max_length counts bytes: "café" is c a f + 2 bytes for é
    short = keras.utils.text_dataset_from_directory(
        root, max_length=4, shuffle=False, label_mode=None, verbose=False)
    assert next(iter(short)).tolist() == ["Awfu", "bad", "caf"]  # half an é is dropped
    five = keras.utils.text_dataset_from_directory(root, max_length=5, shuffle=False, verbose=False)
    assert next(iter(five))[0].tolist()[2] == "café"
    only_text = ds.map(lambda x, y: x)
    assert [t.tolist() for t in only_text] == [["Awful. <br />Really.", "bad"], ["café au lait"]]
    tr, va = keras.utils.text_dataset_from_directory(
        root, validation_split=0.34, subset="both", seed=2, verbose=False)
    assert len(tr.file_paths) == 2 and len(va.file_paths) == 1  # int(0.34 * 3) = 1


# --- timeseries_dataset_from_array ------------------------------------------------------


def test_timeseries_keras_docstring_example_1():
    # indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3:
    # m = 99 - 9 * 2 = 81 start positions 0, 3, ..., 78 -> 27 windows
    ds = keras.utils.timeseries_dataset_from_array(
        np.arange(99), None, sequence_length=10, sampling_rate=2, sequence_stride=3)
    (windows,) = list(ds)  # batch_size 128 > 27: one batch
    assert windows.shape == (27, 10)
    np.testing.assert_array_equal(windows[0], [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    np.testing.assert_array_equal(windows[1], [3, 5, 7, 9, 11, 13, 15, 17, 19, 21])
    np.testing.assert_array_equal(windows[2], [6, 8, 10, 12, 14, 16, 18, 20, 22, 24])
    np.testing.assert_array_equal(windows[-1], [78, 80, 82, 84, 86, 88, 90, 92, 94, 96])


def test_timeseries_keras_docstring_examples_2_and_3():
    data = np.arange(100, dtype=np.float32) ** 2
    ds = keras.utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(ds))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    # 90 points, windows of 10 -> 81 windows; window k is data[k:k+10], target data[k+10]
    assert inputs.shape == (81, 10) and targets.shape == (81,)
    np.testing.assert_array_equal(inputs[80], data[80:90])
    assert targets[80] == data[90]
    x, y = np.arange(100), np.arange(100) * 2
    xs = keras.utils.timeseries_dataset_from_array(x, None, sequence_length=20, sequence_stride=20)
    ys = keras.utils.timeseries_dataset_from_array(y, None, sequence_length=20, sequence_stride=20)
    for inputs, targets in zip(xs, ys):
        np.testing.assert_array_equal(inputs[0], x[:20])
        np.testing.assert_array_equal(targets[1], y[20:40])
        assert inputs.shape == (5, 20)  # 100 - 19 = 81 starts, stride 20: 0, 20, 40, 60, 80


def test_timeseries_start_end_index_batches_features_and_shuffle():
    data = np.stack([np.arange(20), -np.arange(20)], axis=1).astype(np.float32)  # (20, 2)
    targets = np.arange(100, 120)
    # start 5, end 15, length 3, rate 2: m = 10 - 2 * 2 = 6 -> starts 5..10
    ds = keras.utils.timeseries_dataset_from_array(
        data, targets, sequence_length=3, sampling_rate=2, batch_size=4, start_index=5, end_index=15)
    assert len(ds) == 2
    batches = list(ds)
    x0, t0 = batches[0]
    assert x0.shape == (4, 3, 2) and x0.dtype == np.float32
    np.testing.assert_array_equal(x0[0, :, 0], [5, 7, 9])
    np.testing.assert_array_equal(x0[3, :, 1], [-8, -10, -12])
    np.testing.assert_array_equal(t0, [105, 106, 107, 108])
    x1, t1 = batches[1]
    np.testing.assert_array_equal(x1[:, -1, 0], [13, 14])  # last windows end at 13, 14 < 15
    np.testing.assert_array_equal(t1, [109, 110])
    single = keras.utils.timeseries_dataset_from_array(data, targets, 3, batch_size=None)
    w, t = next(iter(single))
    assert w.shape == (3, 2) and int(t) == 100
    kw = dict(sequence_length=4, batch_size=5, shuffle=True, seed=11)
    s1 = keras.utils.timeseries_dataset_from_array(np.arange(30), np.arange(30) + 100, **kw)
    s2 = keras.utils.timeseries_dataset_from_array(np.arange(30), np.arange(30) + 100, **kw)
    a = [(tuple(w), int(t)) for x, y in s1 for w, t in zip(x, y)]
    assert [(tuple(w), int(t)) for x, y in s2 for w, t in zip(x, y)] == a
    assert sorted(a) == [(tuple(range(k, k + 4)), 100 + k) for k in range(27)]
    assert [w[0] for w, _ in a] != list(range(27))
    with pytest.raises(ValueError, match="end_index"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, end_index=20)
    with pytest.raises(ValueError, match="sampling_rate"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


# --- split_dataset ----------------------------------------------------------------------


def test_split_dataset_arrays_tuples_and_batched_datasets():
    left, right = keras.utils.split_dataset(np.arange(10), left_size=0.8)
    assert len(left) == 8 and len(right) == 2
    assert [int(v) for v in left] == list(range(8)) and [int(v) for v in right] == [8, 9]
    x, y = np.arange(20), np.arange(20) * 10
    left, right = keras.utils.split_dataset((x, y), right_size=5, shuffle=True, seed=4)
    pairs_l, pairs_r = [(int(a), int(b)) for a, b in left], [(int(a), int(b)) for a, b in right]
    assert all(b == 10 * a for a, b in pairs_l + pairs_r)  # pairs stay aligned
    assert len(pairs_l) == 15 and len(pairs_r) == 5
    assert sorted(pairs_l + pairs_r) == [(i, 10 * i) for i in range(20)]  # disjoint, complete
    order = list(range(20))
    pyrandom.Random(4).shuffle(order)  # Keras's shuffle: Python's random with the seed
    assert [a for a, _ in pairs_l] == order[:15] and [a for a, _ in pairs_r] == order[15:]
    batched = Dataset.from_tensor_slices((x, y)).batch(4)
    left, right = keras.utils.split_dataset(batched, left_size=12)
    assert len(left) == 3 and len(right) == 2  # 12 / 4 and ceil(8 / 4)
    xb, _ = next(iter(right))
    np.testing.assert_array_equal(xb, [12, 13, 14, 15])
    with pytest.raises(ValueError, match="left_size"):
        keras.utils.split_dataset(np.arange(10), left_size=10)
    with pytest.raises(ValueError, match="left_size or right_size"):
        keras.utils.split_dataset(np.arange(10))
    with pytest.raises(TypeError, match="Dataset"):
        keras.utils.split_dataset({"a": 1}, left_size=0.5)


# --- image files <-> arrays -------------------------------------------------------------


def test_load_img_img_to_array_array_to_img_save_img(tmp_path):
    rgb = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3) * 3
    path = tmp_path / "a.png"
    write_image(path, rgb)
    img = keras.utils.load_img(path)
    assert img.size == (6, 4) and img.mode == "RGB"
    arr = keras.utils.img_to_array(img)
    assert arr.dtype == np.float32 and arr.shape == (4, 6, 3)
    np.testing.assert_array_equal(arr, rgb.astype(np.float32))
    assert keras.utils.img_to_array(img, data_format="channels_first").shape == (3, 4, 6)
    gray = keras.utils.img_to_array(keras.utils.load_img(path, color_mode="grayscale"))
    assert gray.shape == (4, 6, 1)
    small = keras.utils.img_to_array(keras.utils.load_img(path, target_size=(2, 3)))
    # Pillow's nearest takes source pixel floor((i + .5) * 2): rows 1, 3 and columns 1, 3, 5
    np.testing.assert_array_equal(small, rgb[1::2, 1::2].astype(np.float32))
    square = keras.utils.load_img(path, target_size=(2, 2), keep_aspect_ratio=True)
    assert square.size == (2, 2)
    # array_to_img rescales min..max to 0..255 (and truncates to uint8)
    pil = keras.utils.array_to_img(np.array([[[0.0], [0.5], [1.0]]]))
    assert pil.mode == "L" and np.asarray(pil).tolist() == [[0, 127, 255]]
    unscaled = keras.utils.array_to_img(np.full((2, 2, 3), 9.0), scale=False)
    assert unscaled.getpixel((0, 0)) == (9, 9, 9)
    keras.utils.save_img(tmp_path / "b.png", rgb.astype(np.float32), scale=False)
    np.testing.assert_array_equal(keras.utils.img_to_array(keras.utils.load_img(tmp_path / "b.png")), rgb)
    with pytest.warns(UserWarning, match="alpha"):
        keras.utils.save_img(tmp_path / "c.jpg", np.full((2, 2, 4), 200.0), scale=False)
    assert keras.utils.load_img(tmp_path / "c.jpg").size == (2, 2)
    with pytest.raises(ValueError, match="rank 3"):
        keras.utils.array_to_img(np.zeros((2, 2)))
    assert keras.preprocessing.image.load_img is keras.utils.load_img


def test_missing_pillow_names_the_install_command(monkeypatch, three_classes):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        keras.utils.load_img(three_classes / "a_cats" / "img0.png")
    with pytest.raises(ImportError, match="pip install pillow"):
        keras.utils.image_dataset_from_directory(three_classes)
