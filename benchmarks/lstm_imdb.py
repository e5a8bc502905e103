"""IMDB sentiment with an LSTM: seconds per epoch and accuracy (issue: recurrent layers, Speed).

    LAMINA_DATASETS=../shared/datasets python benchmarks/lstm_imdb.py [--quick] [--epochs N]
        [--blas-threads N]

Model (Chollet, Deep Learning with Python, 6.2): Embedding(10000, 32) -> LSTM(32) ->
Dense(1, sigmoid), rmsprop, binary cross-entropy, batch 128, reviews padded/truncated to
200 words, trained on the 25,000 training reviews. Prints one row per epoch (seconds,
training loss/accuracy, test accuracy), then the median seconds per epoch, and a table of
the LSTM layer alone (forward, forward + backward) per batch. No time is asserted.

`--blas-threads N` sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS before NumPy loads. On a
2-core machine shared with other work, multi-threaded BLAS can make the large gradient
matmuls many times slower (threads wait for a busy core); one thread is the robust choice.
"""
import argparse
import os
import statistics
import sys
import time

if "--blas-threads" in sys.argv:  # must happen before NumPy loads its BLAS
    _n = sys.argv[sys.argv.index("--blas-threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import lamina as keras  # noqa: E402
from lamina import layers  # noqa: E402

MAX_FEATURES, MAXLEN, BATCH = 10000, 200, 128


def load(n_train=None):
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=MAX_FEATURES)
    if n_train:
        x_train, y_train = x_train[:n_train], y_train[:n_train]
        x_test, y_test = x_test[:n_train], y_test[:n_train]
    pad = keras.utils.pad_sequences
    return (pad(x_train, maxlen=MAXLEN), y_train.astype("float32"),
            pad(x_test, maxlen=MAXLEN), y_test.astype("float32"))


def build():
    model = keras.Sequential([
        keras.Input(shape=(MAXLEN,), dtype="int32"),
        layers.Embedding(MAX_FEATURES, 32),
        layers.LSTM(32),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def layer_table(repeats):
    """Milliseconds per batch of the LSTM layer alone (128 x 200 x 32 -> 32)."""
    rng = np.random.default_rng(0)
    x = keras.ops.convert_to_tensor(rng.standard_normal((BATCH, MAXLEN, 32)).astype("float32"))
    lstm = layers.LSTM(32)
    lstm(x)

    def fwd():
        lstm(x)

    def fwd_bwd():
        with keras.GradientTape() as tape:
            tape.watch(x)
            y = lstm(x)
            loss = keras.ops.sum(y)
        tape.gradient(loss, [x] + lstm.trainable_weights)

    rows = []
    for name, fn in (("forward", fwd), ("forward + backward", fwd_bwd)):
        fn()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        rows.append((name, 1e3 * statistics.median(times), 1e3 * min(times)))
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2,560 reviews, 1 epoch")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="BLAS threads (default: the environment's setting)")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    n = 2560 if args.quick else None
    epochs = 1 if args.quick else args.epochs
    x_train, y_train, x_test, y_test = load(n)
    model = build()
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    print(f"IMDB LSTM(32), {len(x_train)} training reviews padded to {MAXLEN}, batch {BATCH}, "
          f"rmsprop ({model.count_params():,} parameters); BLAS threads: {threads or 'default'}, "
          f"{os.cpu_count()} cores")
    print(f"{'epoch':>5} {'seconds':>8} {'loss':>7} {'acc':>6} {'test acc':>9}")
    seconds = []
    for epoch in range(epochs):
        t = time.perf_counter()
        hist = model.fit(x_train, y_train, batch_size=BATCH, epochs=1, verbose=0)
        seconds.append(time.perf_counter() - t)
        _, test_acc = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
        print(f"{epoch + 1:>5} {seconds[-1]:>8.1f} {hist.history['loss'][-1]:>7.4f} "
              f"{hist.history['accuracy'][-1]:>6.4f} {test_acc:>9.4f}")
    print(f"median seconds per epoch: {statistics.median(seconds):.1f} "
          f"(min {min(seconds):.1f}, {len(seconds)} epochs)")
    print(f"\nLSTM(32) layer alone, batch {BATCH} x {MAXLEN} steps x 32 features:")
    print(f"{'pass':<20} {'median ms':>10} {'best ms':>8}")
    for name, med, best in layer_table(3 if args.quick else 10):
        print(f"{name:<20} {med:>10.1f} {best:>8.1f}")


if __name__ == "__main__":
    main()
