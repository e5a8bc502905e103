import numpy as np, h5py
import keras
from keras import applications as A
from pathlib import Path

from fill_rule import fill  # run from this folder

OUT = str(Path(__file__).resolve().parents[2] / "tests" / "data" / "applications") + "/"

# a weights file in the layout of Keras's published files (TF-era legacy HDF5, by layer name)
m = A.MobileNetV3Small(alpha=0.75, minimalistic=True, weights=None, input_shape=(48, 48, 3), include_top=False, pooling="avg")
ws = [(w.name, tuple(w.shape)) for w in m.weights]
rng = np.random.default_rng(99)
vals = fill(ws)
m.set_weights(vals)
with h5py.File(OUT + "mobilenet_v3_small_min075_48_notop.h5", "w") as f:
    f.attrs["layer_names"] = [l.name.encode("utf8") for l in m.layers]
    f.attrs["backend"] = b"tensorflow"
    f.attrs["keras_version"] = b"2.9.0"
    for layer in m.layers:
        g = f.create_group(layer.name)
        names = []
        for w in layer.trainable_weights + layer.non_trainable_weights:
            wname = f"{layer.name}/{w.name}:0"
            names.append(wname.encode("utf8"))
            g.create_dataset(wname, data=np.asarray(w.numpy(), dtype="float32"))
        g.attrs["weight_names"] = names
xi = np.random.default_rng(11).uniform(0, 255, (2, 48, 48, 3)).astype("float32")
np.savez(OUT + "mobilenet_v3_small_min075_48_notop_predict.npz", x=xi, y=m.predict(xi, verbose=0))
print("done")
