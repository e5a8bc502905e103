"""Reference numbers from Keras 3.15.1 (jax backend) for tests/test_applications*.py."""
import json, numpy as np, h5py
import keras
from keras import applications as A
from keras.applications import imagenet_utils

from pathlib import Path

from fill_rule import fill  # run from this folder

OUT = str(Path(__file__).resolve().parents[2] / "tests" / "data" / "applications") + "/"


ref = json.load(open(OUT + 'keras_reference.json'))
x = np.random.default_rng(7).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
from keras.src.applications import convnext
A.ConvNeXtMini = lambda **kw: convnext.ConvNeXt(depths=[1, 1, 1, 1], projection_dims=[8, 16, 32, 64], name="convnext_mini", **kw)
for key, fn, kw in [("convnext_mini", "ConvNeXtMini", {}), ("nasnet_mobile", "NASNetMobile", {})]:
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

json.dump(ref, open(OUT + 'keras_reference.json', 'w'))
