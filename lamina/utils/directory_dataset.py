"""Datasets of files in class folders: `image_dataset_from_directory`, `text_dataset_from_directory`.

As Keras: with `labels="inferred"`, each subfolder of `directory` is a class (alphabetical
order unless `class_names` is given) and every file below it with an allowed extension is
one sample (folders walked recursively, files sorted). With `shuffle=True` the file list is
shuffled once with `numpy.random.RandomState(seed)`, exactly as Keras does, so the same seed
picks the same training/validation files as Keras; `validation_split` then takes the last
`int(validation_split * n)` files for validation. The training dataset is reshuffled on every
pass (tf.data's buffer shuffle with `batch_size * 8` slots, seeded by `seed`).
"""
import codecs
import os

import numpy as np

from lamina import random
from lamina.utils.dataset import Dataset
from lamina.utils.image_resize import check_interpolation, resize_image
from lamina.utils.image_utils import COLOR_MODES, check_image_data_format, convert_mode, open_image, pil_image

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
LABEL_MODES = ("int", "categorical", "binary", None)


def check_label_args(labels, label_mode, class_names, what):
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"labels must be 'inferred', None, or a list/tuple of integer labels (one per {what} "
                f"file, in sorted path order); got {labels!r}"
            )
        if class_names:
            raise ValueError(
                f"class_names can only be passed with labels='inferred'; got labels={labels!r} and "
                f"class_names={class_names!r}"
            )
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of 'int', 'categorical', 'binary' or None, got {label_mode!r}")


def check_validation_split(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1, got {validation_split}")
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "validation_split and subset go together: pass both (e.g. validation_split=0.2, "
            f"subset='training') or neither; got validation_split={validation_split}, subset={subset!r}"
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"subset must be 'training', 'validation' or 'both', got {subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "with validation_split and shuffle=True, pass a seed (the same for the training and "
            "validation calls) so that the two subsets do not overlap"
        )


def _valid_files(folder, follow_links, formats):
    walk = sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0])
    for root, _, files in walk:
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """(file_paths, labels as int32 array or None, class_names) for the files under `directory`."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"directory {directory!r} does not exist or is not a folder")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            missing = [c for c in class_names if c not in subdirs]
            if missing:
                raise ValueError(
                    f"class_names {list(class_names)} name folders that are not in {directory}: "
                    f"{missing}; its class folders are {subdirs}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError("class_names can only be passed with labels='inferred'")
        subdirs = [""]
    paths, found = [], []
    for index, sub in enumerate(subdirs):
        folder = os.path.join(directory, sub) if sub else directory
        for path in _valid_files(folder, follow_links, formats):
            paths.append(path)
            found.append(index)
    if labels == "inferred":
        labels = np.asarray(found, dtype=np.int32)
        class_names = list(subdirs)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                f"labels has {len(labels)} entries but {len(paths)} files were found in {directory}; "
                "pass one label per file (sorted path order)"
            )
        class_names = [str(c) for c in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        if labels is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = int(random.generator(None).integers(1_000_000))
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def training_or_validation(paths, labels, validation_split, subset):
    """The training part (all but the last `int(split * n)`) or the validation part (those)."""
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - n_val} files for training.")
        cut = slice(0, len(paths) - n_val)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.")
        cut = slice(len(paths) - n_val, len(paths))
    else:
        raise ValueError(f"subset must be 'training' or 'validation', got {subset!r}")
    return paths[cut], (labels[cut] if labels is not None else None)


def encode_labels(labels, label_mode, num_classes):
    """int -> int32 (n,); binary -> float32 (n, 1); categorical -> one-hot float32 (n, classes)."""
    labels = np.asarray(labels)
    if label_mode == "int":
        return labels.astype(np.int32)
    if label_mode == "binary":
        return labels.astype(np.float32)[:, None]
    out = np.zeros((len(labels), num_classes), np.float32)
    ok = (labels >= 0) & (labels < num_classes)  # as tf.one_hot: out-of-range labels -> zeros
    out[np.nonzero(ok)[0], labels[ok].astype(np.int64)] = 1.0
    return out


def make_file_dataset(paths, labels, label_mode, num_classes, load, batch_size, shuffle, seed,
                      padded=False):
    """Elements (load(path), label) or load(path), shuffled per pass, batched (`padded`: each
    batch padded to its longest element), with `file_paths`."""
    if label_mode:
        ds = Dataset.from_tensor_slices((np.asarray(paths, dtype=object),
                                         encode_labels(labels, label_mode, num_classes)))
    else:
        ds = Dataset.from_tensor_slices(np.asarray(paths, dtype=object))
    if shuffle:
        ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
    ds = ds.map((lambda p, y: (load(p), y)) if label_mode else load)
    if batch_size is not None:
        ds = ds.padded_batch(batch_size) if padded else ds.batch(batch_size)
    ds = ds.prefetch()
    ds.file_paths = list(paths)
    return ds


def build_datasets(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                   validation_split, subset, follow_links, verbose, formats, load, kind,
                   padded=False):
    """The shared body of the `*_dataset_from_directory` functions."""
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_validation_split(validation_split, subset, shuffle, seed)
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) != batch_size
                                   or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if seed is None:
        seed = int(random.generator(None).integers(1_000_000))
    paths, labels, class_names = index_directory(
        directory, labels, formats, class_names, shuffle, seed, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes, found {len(class_names)}: {class_names}; "
            "use label_mode='int' or 'categorical'"
        )
    num_classes = len(class_names) if class_names else 0
    subsets = ["training", "validation"] if subset == "both" else [subset]
    out = []
    for which in subsets:
        part_paths, part_labels = training_or_validation(paths, labels, validation_split, which)
        if not part_paths:
            what = f"{which} " if which else ""
            raise ValueError(
                f"no {what}{kind} files found in directory {directory}; allowed extensions: {formats}"
            )
        reshuffle = shuffle and which != "validation" if subset == "both" else shuffle
        ds = make_file_dataset(part_paths, part_labels, label_mode, num_classes, load,
                               batch_size, reshuffle, seed, padded)
        ds.class_names = class_names
        out.append(ds)
    return out if subset == "both" else out[0]


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256),
                                 shuffle=True, seed=None, validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, verbose=True, format="tf"):
    """A `Dataset` of (images, labels) batches from class folders of .bmp/.gif/.jpeg/.jpg/.png.

    images: float32 (batch, height, width, channels) in 0..255, channels 1/3/4 for color_mode
    "grayscale"/"rgb"/"rgba" (channels first with data_format="channels_first"), resized
    with `tf.image.resize`'s numerics. Labels per `label_mode`: "int" int32 (batch,),
    "binary" float32 (batch, 1), "categorical" float32 one-hot (batch, classes); None yields
    images only. `subset="both"` returns (training, validation). `format` ("tf" or "grain")
    is accepted for compatibility: either way the result is a lamina Dataset.
    """
    check_label_args(labels, label_mode, class_names, "image")
    if color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode must be 'grayscale', 'rgb' or 'rgba', got {color_mode!r}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"image_size must be (height, width), got {image_size!r}")
    interpolation = check_interpolation(interpolation, "image_dataset_from_directory")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    if format not in ("tf", "grain"):
        raise ValueError(f"format must be 'tf' or 'grain', got {format!r}")
    data_format = check_image_data_format(data_format)
    pil_image()  # fail now, with the install hint, rather than at the first batch

    def load(path):
        img = convert_mode(open_image(path), color_mode)
        x = np.asarray(img, dtype=np.float32)
        if x.ndim == 2:
            x = x[:, :, None]
        x = resize_image(x, image_size, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x

    return build_datasets(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                          validation_split, subset, follow_links, verbose, IMAGE_FORMATS, load,
                          "image")


def read_text(path, max_length=None):
    """The UTF-8 text of a file; `max_length` counts bytes, as tf.strings.substr does (a
    character cut in half at the end is dropped; invalid bytes become U+FFFD)."""
    with open(path, "rb") as f:
        data = f.read() if max_length is None else f.read(max_length)
    if max_length is None:
        return data.decode("utf-8", errors="replace")
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=False)


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                verbose=True):
    """A `Dataset` of (texts, labels) batches from class folders of .txt files.

    texts: a NumPy object array of Python str, shape (batch,), the raw file contents (no
    standardization), truncated to `max_length` bytes when given. Labels as in
    `image_dataset_from_directory`.
    """
    check_label_args(labels, label_mode, class_names, "text")
    if max_length is not None and (int(max_length) != max_length or max_length <= 0):
        raise ValueError(f"max_length must be a positive integer or None, got {max_length!r}")

    def load(path):
        return read_text(path, max_length)

    return build_datasets(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                          validation_split, subset, follow_links, verbose, (".txt",), load, "text")
