"""Every keras.applications architecture built as Keras builds it: the number of layers,
trainable and non-trainable parameter counts, output shape, explicit layer names, and the
sequence of (layer class, weight shapes) of the layers with weights in `model.layers` order
(an md5 of it), which is what Keras's weight files are loaded by.

The table (tests/data/applications/keras_architectures.json) was made by building each model
with Keras 3.15.1 (jax backend, weights=None). Only shapes matter here, so the weights are
not drawn: every variable starts as a read-only broadcast zero (a model of 350M parameters
builds in a second without the memory)."""
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lamina import applications as A
from lamina.engine import tensor as tensor_module

TABLE = json.loads((Path(__file__).parent / "data" / "applications" / "keras_architectures.json").read_text())
# names Keras gives layers created without one (their counters depend on the session)
AUTO_NAME = re.compile(r"^(input_layer|re_lu|activation|add|multiply|concatenate|batch_normalization|conv2d|dense|"
                       r"dropout|flatten|global_average_pooling2d|global_max_pooling2d|rescaling|normalization|"
                       r"zero_padding2d|cropping2d|average_pooling2d|max_pooling2d|separable_conv2d|"
                       r"layer_normalization|custom_scale_layer|reshape)(_\d+)?$")


@pytest.fixture
def shapes_only(monkeypatch):
    real = tensor_module._initial_value

    def zeros_view(initializer, shape, dtype):
        if shape is None:
            return real(initializer, shape, dtype)
        return np.broadcast_to(np.zeros((), dtype or "float32"), tuple(shape))

    monkeypatch.setattr(tensor_module, "_initial_value", zeros_view)


def signature(model):
    sig = [(type(layer).__name__, [list(w.shape) for w in layer.weights]) for layer in model.layers if layer.weights]
    return hashlib.md5(json.dumps(sig).encode()).hexdigest()


def _count(variables):
    return int(sum(np.prod(v.shape) for v in variables))


@pytest.mark.parametrize("key", sorted(TABLE))
def test_architecture_matches_keras(key, shapes_only):
    ref = TABLE[key]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in ref["kwargs"].items()}
    model = getattr(A, ref["fn"])(weights=None, **kwargs)
    assert model.name == ref["name"]
    assert len(model.layers) == ref["n_layers"]
    assert _count(model.trainable_weights) == ref["trainable"]
    assert _count(model.non_trainable_weights) == ref["non_trainable"]
    assert list(model.output.shape) == ref["output_shape"] and list(model.input.shape) == ref["input_shape"]
    names = [layer.name for layer in model.layers]
    for where, expected in (("first", names[:4]), ("last", names[-4:]),
                            ("mid", names[len(names) // 2 - 1:len(names) // 2 + 2])):
        for mine, theirs in zip(expected, ref[where]):
            if not AUTO_NAME.match(theirs):
                assert mine == theirs, (where, expected, ref[where])
    assert signature(model) == ref["sig"]


def test_every_keras_application_is_in_the_table():
    assert set(A.__all__) <= {ref["fn"] for ref in TABLE.values()}
    assert len(A.__all__) == 40


class _Fetched(Exception):
    pass


KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined")
@pytest.mark.parametrize("fn,kwargs,fname,url,file_hash", [
    ("VGG16", {}, "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
     KERAS_APPS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
    ("ResNet50", {"include_top": False}, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
     KERAS_APPS + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626"),
    ("ResNet50V2", {}, "resnet50v2_weights_tf_dim_ordering_tf_kernels.h5",
     KERAS_APPS + "resnet/resnet50v2_weights_tf_dim_ordering_tf_kernels.h5", "3ef43a0b657b3be2300d5770ece849e0"),
    ("MobileNet", {"alpha": 0.5, "input_shape": (160, 160, 3)}, "mobilenet_5_0_160_tf.h5",
     KERAS_APPS + "mobilenet/mobilenet_5_0_160_tf.h5", None),
    ("MobileNetV2", {"include_top": False, "input_shape": (96, 96, 3)},
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5",
     KERAS_APPS + "mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5", None),
    ("MobileNetV3Large", {"alpha": 0.75}, "weights_mobilenet_v3_large_224_0.75_float.h5",
     KERAS_APPS + "mobilenet_v3/weights_mobilenet_v3_large_224_0.75_float.h5", "765b44a33ad4005b3ac83185abf1d0eb"),
    ("DenseNet169", {"include_top": False}, "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
     KERAS_APPS + "densenet/densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "b8c4d4c20dd625c148057b9ff1c1176b"),
    ("EfficientNetB3", {}, "efficientnetb3.h5", "https://storage.googleapis.com/keras-applications/efficientnetb3.h5",
     "ffd1fdc53d0ce67064dc6a9c7960ede0"),
    ("EfficientNetV2S", {"include_top": False}, "efficientnetv2-s_notop.h5",
     KERAS_APPS + "efficientnet_v2/efficientnetv2-s_notop.h5", "af0682fb74e8c54910f2d4393339c070"),
    ("ConvNeXtTiny", {}, "convnext_tiny.h5", KERAS_APPS + "convnext/convnext_tiny.h5",
     "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff"),
    ("Xception", {"include_top": False}, "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
     KERAS_APPS + "xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
    ("InceptionV3", {}, "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
     KERAS_APPS + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    ("InceptionResNetV2", {}, "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
     KERAS_APPS + "inception_resnet_v2/inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
     "e693bd0210a403b3192acc6073ad2e96"),
    ("NASNetMobile", {"include_top": False}, "nasnet_mobile_no_top.h5", KERAS_APPS + "nasnet/NASNet-mobile-no-top.h5",
     "1ed92395b5b598bdda52abe5c0dbfd63"),
])
def test_imagenet_weights_file_name_url_and_hash_are_keras(fn, kwargs, fname, url, file_hash, shapes_only,
                                                           monkeypatch):
    calls = []

    def fake_get_file(name, origin, **kw):
        calls.append((name, origin, kw))
        raise _Fetched

    monkeypatch.setattr("lamina.utils.data_utils.get_file", fake_get_file)
    with pytest.raises(_Fetched):
        getattr(A, fn)(weights="imagenet", **kwargs)
    assert calls == [(fname, url, {"cache_subdir": "models", "file_hash": file_hash})]
