"""The MLP rows of the busy-machine table, for lamina or a peer (same arrays, same models).

    python benchmarks/mlp_workloads.py FRAMEWORK ARRAYS.npz [ROW ...]   (a JSON dict per row)

FRAMEWORK is lamina, keras (Keras 3; its backend from KERAS_BACKEND, jax by default) or
torch. `busy.py` writes ARRAYS.npz with lamina's loaders and runs this file as a subprocess,
in the peers' interpreter for keras and torch: lamina never imports a peer. Rows:

- boston: 13-64-64-1, adam, batch 32, 200 epochs with validation data (seconds, total)
- mnist_mlp: 784-512-10, rmsprop, batch 128 (seconds per epoch, median of 3 epochs after one)
- imdb_dense: 10000-16-16-1 on dense multi-hot rows, rmsprop, batch 512 (s/epoch, as above)
- predict_1: predict of one sample on the MNIST MLP (seconds per call, median)
- predict_10k: predict of 10,000 samples, batch 32 (seconds per call, median)
"""
import json
import os
import statistics
import sys
import time

import numpy as np

ROWS = ("boston", "mnist_mlp", "imdb_dense", "predict_1", "predict_10k")
SPECS = {  # sizes, hidden activation, output activation, loss, optimizer, batch
    "boston": ([13, 64, 64, 1], "relu", None, "mse", "adam", 32),
    "mnist_mlp": ([784, 512, 10], "relu", "softmax", "sparse_categorical_crossentropy", "rmsprop", 128),
    "imdb_dense": ([10000, 16, 16, 1], "relu", "sigmoid", "binary_crossentropy", "rmsprop", 512),
}


def median_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# --- Keras 3 (lamina's API is the same, so lamina runs this path too) ---------------------

def keras_rows(keras, arrays, rows):
    def model_for(name):
        sizes, hidden, last, loss, opt, _ = SPECS[name]
        keras.utils.set_random_seed(0)
        stack = [keras.Input(shape=(sizes[0],))]
        stack += [keras.layers.Dense(n, activation=hidden) for n in sizes[1:-1]]
        stack.append(keras.layers.Dense(sizes[-1], activation=last))
        model = keras.Sequential(stack)
        model.compile(optimizer=opt, loss=loss)
        return model

    out = {}
    for name in rows:
        if name == "boston":
            model = model_for(name)
            x, y, xt, yt = (arrays[k] for k in ("boston_x", "boston_y", "boston_xt", "boston_yt"))
            out[name] = median_of(lambda: model.fit(x, y, batch_size=32, epochs=200, verbose=0,
                                                    validation_data=(xt, yt)), 1)
        elif name in ("mnist_mlp", "imdb_dense"):
            model = model_for(name)
            key = name.split("_")[0]
            x, y, batch = arrays[key + "_x"], arrays[key + "_y"], SPECS[name][5]
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # warm-up (compiles, builds)
            out[name] = median_of(lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0), 3)
        else:
            model = model_for("mnist_mlp")
            x = arrays["mnist_x"][:1] if name == "predict_1" else arrays["mnist_x"][:10000]
            model.predict(x, verbose=0)
            n = 300 if name == "predict_1" else 5
            out[name] = median_of(lambda: model.predict(x, batch_size=32, verbose=0), n)
    return out


# --- PyTorch: the same models and loops, written as its tutorials do -------------------------

def torch_rows(arrays, rows):
    import torch  # noqa: PLC0415 (peer interpreter only)

    torch.manual_seed(0)

    def model_for(name):
        sizes, _, last, _, _, _ = SPECS[name]
        mods = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            mods.append(torch.nn.Linear(a, b))
            if i < len(sizes) - 2:
                mods.append(torch.nn.ReLU())
        return torch.nn.Sequential(*mods)

    def loss_for(name):
        return {"mse": torch.nn.MSELoss(), "binary_crossentropy": torch.nn.BCEWithLogitsLoss(),
                "sparse_categorical_crossentropy": torch.nn.CrossEntropyLoss()}[SPECS[name][3]]

    def optimizer_for(name, model):
        if SPECS[name][4] == "adam":
            return torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        return torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)

    def epoch(model, opt, loss_fn, x, y, batch):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()

    def tensors(x, y, name):
        x = torch.from_numpy(np.ascontiguousarray(x, np.float32))
        y = torch.from_numpy(y.astype(np.int64) if name == "mnist_mlp" else y.astype(np.float32).reshape(-1, 1))
        return x, y

    out = {}
    for name in rows:
        if name == "boston":
            model = model_for(name)
            opt, loss_fn = optimizer_for(name, model), loss_for(name)
            x, y = tensors(arrays["boston_x"], arrays["boston_y"], name)
            xt, yt = tensors(arrays["boston_xt"], arrays["boston_yt"], name)

            def run():
                for _ in range(200):
                    epoch(model, opt, loss_fn, x, y, 32)
                    model.eval()
                    with torch.no_grad():
                        loss_fn(model(xt), yt)
            out[name] = median_of(run, 1)
        elif name in ("mnist_mlp", "imdb_dense"):
            model = model_for(name)
            opt, loss_fn = optimizer_for(name, model), loss_for(name)
            key = name.split("_")[0]
            x, y = tensors(arrays[key + "_x"], arrays[key + "_y"], name)
            batch = SPECS[name][5]
            epoch(model, opt, loss_fn, x, y, batch)
            out[name] = median_of(lambda: epoch(model, opt, loss_fn, x, y, batch), 3)
        else:
            model = model_for("mnist_mlp").eval()
            x = torch.from_numpy(arrays["mnist_x"][:1] if name == "predict_1" else arrays["mnist_x"][:10000])

            def predict():
                with torch.no_grad():
                    outs = [torch.softmax(model(x[i:i + 32]), -1) for i in range(0, len(x), 32)]
                    return torch.cat(outs).numpy()
            predict()
            out[name] = median_of(predict, 300 if name == "predict_1" else 5)
    return out


def main():
    framework, path, rows = sys.argv[1], sys.argv[2], sys.argv[3:] or list(ROWS)
    for row in rows:  # one JSON line per row, so a timeout keeps the rows already done
        run(framework, path, [row])


def run(framework, path, rows):
    arrays = dict(np.load(path))
    if "imdb_x_indptr" in arrays:  # dense multi-hot rows, float32, from their CSR form
        indptr, indices = arrays.pop("imdb_x_indptr"), arrays.pop("imdb_x_indices")
        dense = np.zeros(tuple(arrays.pop("imdb_x_shape")), np.float32)
        dense[np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)), indices] = 1.0
        arrays["imdb_x"] = dense
    if framework == "lamina":
        import lamina as keras  # noqa: PLC0415
        out = keras_rows(keras, arrays, rows)
    elif framework == "keras":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras  # noqa: PLC0415 (peer interpreter only)
        out = keras_rows(keras, arrays, rows)
    elif framework == "torch":
        out = torch_rows(arrays, rows)
    else:
        raise SystemExit(f"unknown framework {framework!r}: lamina, keras or torch")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
