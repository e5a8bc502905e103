"""Time lamina on the textbook workloads and print one table (issue: Performance).

    LAMINA_DATASETS=../shared/datasets python benchmarks/run.py [--quick] [--only NAME ...]

Each row: seconds (median of repeats where cheap), the metric reached (the speed must not
come from learning less), the target, and for the MLP rows the matmul bound: NumPy's
float32 GEMM time on the very same layer shapes, measured in this run. No time is asserted.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lamina as keras  # noqa: E402
from lamina import layers  # noqa: E402
import machine  # noqa: E402


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def gemm_seconds(shapes, repeats=30):
    """Median time of one round of float32 GEMMs (m, k) @ (k, n), summed over `shapes`."""
    rng = np.random.default_rng(0)
    total = 0.0
    for m, k, n in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        a @ b
        total += statistics.median(_timed(lambda: a @ b) for _ in range(repeats))
    return total


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def mlp_gemm_shapes(batch, sizes, first_needs_input_grad=False):
    """The GEMMs of one training step of an MLP: forward, weight grads, input grads."""
    shapes = []
    for i, (k, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes.append((batch, k, n))  # forward x @ W
        shapes.append((k, batch, n))  # dW = x^T @ g
        if i > 0 or first_needs_input_grad:
            shapes.append((batch, n, k))  # dx = g @ W^T
    return shapes


def normalize_boston():
    (x, y), (xt, yt) = keras.datasets.boston_housing.load_data()
    m, s = x.mean(0), x.std(0)
    return ((x - m) / s).astype("float32"), y.astype("float32"), ((xt - m) / s).astype("float32"), yt.astype("float32")


def boston_model(optimizer):
    model = keras.Sequential([keras.Input(shape=(13,)), layers.Dense(64, activation="relu"),
                              layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def bench_boston(args):
    x, y, xt, yt = normalize_boston()

    def run():
        keras.utils.set_random_seed(0)
        model = boston_model("adam")
        h = model.fit(x, y, epochs=200, batch_size=32, validation_data=(xt, yt), verbose=0)
        return h.history["val_mae"][-1]

    t, mae = median_time(run, 1 if args.quick else 3)
    return [("Boston 13-64-64-1 adam b32 200 ep + val", t, f"val MAE {mae:.2f}", "≤ 1.0 s", "")]


def bench_boston_cv(args):
    x, y, _, _ = normalize_boston()

    def run():
        scores = []
        k, n = 4, len(x) // 4
        for fold in range(k):
            keras.utils.set_random_seed(fold)
            val = slice(fold * n, (fold + 1) * n)
            xv, yv = x[val], y[val]
            xr = np.concatenate([x[:fold * n], x[(fold + 1) * n:]])
            yr = np.concatenate([y[:fold * n], y[(fold + 1) * n:]])
            model = boston_model("rmsprop")
            model.fit(xr, yr, epochs=100, batch_size=16, verbose=0)
            scores.append(model.evaluate(xv, yv, verbose=0)[1])
        return np.mean(scores)

    t, mae = median_time(run, 1)
    return [("Boston 4-fold CV rmsprop b16 100 ep/fold", t, f"mean val MAE {mae:.2f}", "≤ 2.0 s", "")]


def bench_mnist_mlp(args):
    (x, y), (xt, yt) = keras.datasets.mnist.load_data()
    x = x.reshape(60000, 784).astype("float32") / 255
    xt = xt.reshape(10000, 784).astype("float32") / 255
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    epochs = 1 if args.quick else 5
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=128, verbose=0)
        times.append(time.perf_counter() - t)
    acc = model.evaluate(xt, yt, verbose=0)[1]
    steps = int(np.ceil(60000 / 128))
    bound = gemm_seconds(mlp_gemm_shapes(128, [784, 512, 10])) * steps
    return [("MNIST MLP 784-512-10 rmsprop b128, 1 epoch", statistics.median(times),
             f"test acc {acc:.4f} after {epochs} ep", "≤ 1.0 s", f"{bound:.2f} s")]


def bench_imdb(args):
    (x, y), (xt, yt) = keras.datasets.imdb.load_data(num_words=10000)
    xs, xts = keras.utils.multi_hot(x, 10000, sparse=True), keras.utils.multi_hot(xt, 10000, sparse=True)
    y, yt = y.astype("float32"), yt.astype("float32")
    rows = []
    for name, train, test in (("sparse", xs, xts), ("dense", xs.toarray(), xts.toarray())):
        if args.quick and name == "dense":
            continue
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape=(10000,)), layers.Dense(16, activation="relu"),
                                  layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        times = []
        for _ in range(4):
            t = time.perf_counter()
            model.fit(train, y, epochs=1, batch_size=512, verbose=0)
            times.append(time.perf_counter() - t)
        acc = model.evaluate(test, yt, verbose=0)[1]
        steps = int(np.ceil(25000 / 512))
        bound = gemm_seconds(mlp_gemm_shapes(512, [10000, 16, 16, 1])) * steps if name == "dense" else None
        rows.append((f"IMDB MLP 10000-16-16-1 ({name}) b512, 1 epoch", statistics.median(times),
                     f"test acc {acc:.4f} after 4 ep", "≤ 0.10 s" if name == "sparse" else "≤ 0.6 s",
                     f"{bound:.2f} s" if bound else ""))
    return rows


def bench_convnet(args):
    (x, y), _ = keras.datasets.mnist.load_data()
    x = x[:10000].reshape(-1, 28, 28, 1).astype("float32") / 255
    y = y[:10000]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, activation="relu"), layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    times, acc = [], None
    for _ in range(1 if args.quick else 3):
        t = time.perf_counter()
        h = model.fit(x, y, epochs=1, batch_size=64, verbose=0)
        times.append(time.perf_counter() - t)
        acc = h.history["accuracy"][-1]
    return [("MNIST convnet 32-64-128 b64, 10,000 images", statistics.median(times),
             f"train acc {acc:.3f}", "≤ 3.0 s", "")]


def bench_overhead(args):
    """Fixed cost: a 1-unit model on 1 sample per step (compute ~ nothing)."""
    x = np.ones((2000, 1), np.float32)
    y = np.ones((2000,), np.float32)
    model = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x[:10], y[:10], batch_size=1, verbose=0)
    per_step, _ = median_time(lambda: model.fit(x, y, batch_size=1, epochs=1, verbose=0), 3)
    xs, ys = x[:1], y[:1]
    per_epoch, _ = median_time(lambda: model.fit(xs, ys, batch_size=1, epochs=200, verbose=0), 3)
    step = per_step / 2000
    epoch = per_epoch / 200 - step
    return [("fixed cost per training step", step, "", "≤ 0.15 ms", ""),
            ("fixed cost per epoch (beyond its steps)", epoch, "", "≤ 1 ms", "")]


def bench_import(args):
    code = "import time; t = time.perf_counter(); import lamina; print(time.perf_counter() - t)"
    # a first import with bytecode writing on, as an installed package has its bytecode
    # (PYTHONDONTWRITEBYTECODE would otherwise make every run compile every module)
    warm = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", "import lamina"], check=True, env=warm)
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(5)]
    return [("import lamina", statistics.median(times), "", "≤ 0.3 s", "")]


def bench_one_sample(args):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    x = np.random.default_rng(0).random((1, 784), dtype=np.float32)
    model(x)
    model.predict(x, verbose=0)
    n = 2000
    call, _ = median_time(lambda: [model(x) for _ in range(n)], 3)
    pred, _ = median_time(lambda: [model.predict(x, verbose=0) for _ in range(n)], 3)
    return [("one sample: model(x) (MNIST MLP)", call / n, "", "≤ 0.05 ms", ""),
            ("one sample: model.predict(x) (MNIST MLP)", pred / n, "", "≤ 0.1 ms", "")]


def _course_row(name):
    def bench(args):
        import course_rows  # noqa: PLC0415 - loads the section-2 data only when asked

        return course_rows.bench_rows(keras, [name], with_peers=not args.no_peers)

    return bench


COURSE_ROWS = ("imdb_lstm", "imdb_bigru", "text_transformer", "mnist_bn_convnet", "timeseries_gru",
               "timeseries_gru_rdrop")

WORKLOADS = {
    "boston": bench_boston, "boston_cv": bench_boston_cv, "mnist_mlp": bench_mnist_mlp,
    "imdb": bench_imdb, "convnet": bench_convnet, "overhead": bench_overhead,
    "import": bench_import, "one_sample": bench_one_sample,
    **{name: _course_row(name) for name in COURSE_ROWS},
}


def fmt_seconds(t):
    return f"{t * 1e3:.3f} ms" if t < 0.01 else f"{t:.3f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and epochs")
    parser.add_argument("--only", nargs="*", choices=sorted(WORKLOADS), help="run only these")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip the peers (Keras-JAX, PyTorch) on the section-2 rows")
    args = parser.parse_args()
    if not os.environ.get("LAMINA_DATASETS"):
        print("note: LAMINA_DATASETS is not set; real-data rows need it", file=sys.stderr)
    rows = []
    for name in args.only or WORKLOADS:
        try:
            rows += WORKLOADS[name](args)
        except Exception as e:  # a missing dataset or layer should not hide the other rows
            rows.append((name, float("nan"), f"failed: {type(e).__name__}: {e}"[:60], "", ""))
        print(f"done: {name}", file=sys.stderr, flush=True)
    head = ("workload", "lamina", "metric", "target", "matmul bound / peers (time, metric, lamina/peer)")
    table = [head] + [(r[0], fmt_seconds(r[1]), r[2], r[3], r[4]) for r in rows]
    widths = [max(len(str(r[i])) for r in table) for i in range(len(head))]
    threads = os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS") or "default"
    print(f"\nlamina {keras.__version__}, numpy {np.__version__}, BLAS threads: {threads}; {machine.describe()}")
    for i, r in enumerate(table):
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
