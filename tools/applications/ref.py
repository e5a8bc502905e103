"""Keras side of tests/data/applications (run in a Keras 3 environment: KERAS_BACKEND=jax python ref.py;
then sig.py, merge.py; fixtures.py and fixtures_h5.py write the forward-pass and weight-file fixtures).
Paths are those of the run that made the committed files (/tmp/apps, the apps worktree)."""
import json, sys, numpy as np
import keras
from keras import applications as A
specs = {
 "VGG16": ("VGG16", {}), "VGG19": ("VGG19", {}),
 "ResNet50": ("ResNet50", {}), "ResNet101": ("ResNet101", {}), "ResNet152": ("ResNet152", {}),
 "ResNet50V2": ("ResNet50V2", {}), "ResNet101V2": ("ResNet101V2", {}), "ResNet152V2": ("ResNet152V2", {}),
 "MobileNet": ("MobileNet", {}), "MobileNet_a050_notop": ("MobileNet", dict(alpha=0.5, include_top=False, input_shape=(128,128,3), pooling="avg")),
 "MobileNetV2": ("MobileNetV2", {}), "MobileNetV2_a035_notop": ("MobileNetV2", dict(alpha=0.35, include_top=False, pooling="max")),
 "MobileNetV2_a14": ("MobileNetV2", dict(alpha=1.4)),
 "MobileNetV3Small": ("MobileNetV3Small", {}), "MobileNetV3Large": ("MobileNetV3Large", {}),
 "MobileNetV3Small_min075": ("MobileNetV3Small", dict(alpha=0.75, minimalistic=True)),
 "MobileNetV3Large_min_notop": ("MobileNetV3Large", dict(minimalistic=True, include_top=False, include_preprocessing=False)),
 "DenseNet121": ("DenseNet121", {}), "DenseNet169": ("DenseNet169", {}), "DenseNet201": ("DenseNet201", {}),
 **{f"EfficientNetB{i}": (f"EfficientNetB{i}", {}) for i in range(8)},
 **{f"EfficientNetV2{s}": (f"EfficientNetV2{s}", {}) for s in ["B0","B1","B2","B3","S","M","L"]},
 **{f"ConvNeXt{s}": (f"ConvNeXt{s}", {}) for s in ["Tiny","Small","Base","Large","XLarge"]},
 "Xception": ("Xception", {}), "InceptionV3": ("InceptionV3", {}), "InceptionResNetV2": ("InceptionResNetV2", {}),
 "NASNetMobile": ("NASNetMobile", {}), "NASNetLarge": ("NASNetLarge", {}),
}
only = sys.argv[1:]
if __name__ != "__main__": only = ["__none__"]
out = {}
for key, (fn, kw) in specs.items():
    if only and key not in only: continue
    m = getattr(A, fn)(weights=None, **kw)
    tr = int(sum(np.prod(v.shape) for v in m.trainable_weights))
    nt = int(sum(np.prod(v.shape) for v in m.non_trainable_weights))
    names = [l.name for l in m.layers]
    out[key] = dict(fn=fn, kwargs={k: list(v) if isinstance(v, tuple) else v for k, v in kw.items()},
                    name=m.name, n_layers=len(m.layers), trainable=tr, non_trainable=nt,
                    n_weights=len(m.weights), output_shape=list(m.output.shape), input_shape=list(m.input.shape),
                    first=names[:4], last=names[-4:], mid=names[len(names)//2-1:len(names)//2+2],
                    classes=sorted(set(type(l).__name__ for l in m.layers)))
    print(key, out[key]["n_layers"], tr, nt, flush=True)
    keras.backend.clear_session()
json.dump(out, open("/tmp/apps/ref.json" if not only else "/tmp/apps/ref_part.json", "w"), indent=1)
