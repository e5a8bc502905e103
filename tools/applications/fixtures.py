"""Reference numbers from Keras 3.15.1 (jax backend) for tests/test_applications*.py."""
import json, numpy as np, h5py
import keras
from keras import applications as A
from keras.applications import imagenet_utils

from pathlib import Path

from fill_rule import fill  # run from this folder

OUT = str(Path(__file__).resolve().parents[2] / "tests" / "data" / "applications") + "/"


from keras.src.applications import convnext

# a small ConvNeXt (the published ones are too big for a test)
A.ConvNeXtMini = lambda **kw: convnext.ConvNeXt(depths=[1, 1, 1, 1], projection_dims=[8, 16, 32, 64],
                                                name="convnext_mini", **kw)
x = np.random.default_rng(7).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
ref = {}
for key, fn, kw in [("mobilenet_v3_small", "MobileNetV3Small", {}), ("efficientnet_b0", "EfficientNetB0", {}),  # resnet50v2 dropped from the committed file (slow)
                    ("resnet50v2", "ResNet50V2", {}), ("densenet121", "DenseNet121", {}),
                    ("mobilenet_v2", "MobileNetV2", {"alpha": 0.35}),
                    ("convnext_mini", "ConvNeXtMini", {}), ("nasnet_mobile", "NASNetMobile", {})]:
    m = getattr(A, fn)(weights=None, input_shape=(32, 32, 3), classifier_activation=None, **kw)
    per_layer = [(l, l.trainable_weights + l.non_trainable_weights) for l in m.layers]
    per_layer = [(l, w) for l, w in per_layer if w]
    ws = [(v.name, tuple(v.shape)) for _, w in per_layer for v in w]
    vals = iter(fill(ws))
    for _, w in per_layer:
        for v in w:
            v.assign(next(vals))
    y = m.predict(x, verbose=0)
    ref[key] = {"fn": fn, "kwargs": kw, "logits": y.tolist(),
                "layers": [[l.name, [[v.name, list(v.shape)] for v in w]] for l, w in per_layer]}
    print(key, y.shape, float(np.abs(y).max()))

# preprocess_input numerics
img = np.random.default_rng(3).uniform(0, 255, (2, 4, 5, 3)).astype("float32")
pre = {"input": img.tolist()}
for mode in ("caffe", "tf", "torch"):
    pre[mode] = imagenet_utils.preprocess_input(img.copy(), mode=mode).tolist()
    pre[mode + "_cf"] = imagenet_utils.preprocess_input(np.transpose(img, (0, 3, 1, 2)).copy(), data_format="channels_first", mode=mode).tolist()
    pre[mode + "_3d"] = imagenet_utils.preprocess_input(img[0].copy(), mode=mode).tolist()
    pre[mode + "_int"] = imagenet_utils.preprocess_input(img.astype("uint8"), mode=mode).tolist()
ref["preprocess"] = pre
preds = np.random.default_rng(5).uniform(0, 1, (2, 1000)).astype("float32")
ref["decode"] = {"preds": preds.tolist()}
json.dump(ref, open(OUT + "keras_reference.json", "w"))

