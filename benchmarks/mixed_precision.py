"""float16 on CPU: one Dense forward (and one training step of an MLP) in float32 vs
mixed_float16, interleaved A/B, medians of R repeats (issue 13).

    python benchmarks/mixed_precision.py [--repeats R]

NumPy has no fast float16 GEMM on CPU (it converts element by element; OpenBLAS has no half
precision GEMM), so mixed precision buys memory, not speed, in lamina: the table says by how
much it is slower.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lamina  # noqa: E402
from lamina import layers, mixed_precision  # noqa: E402


def dense_forward(policy, x, units):
    layer = layers.Dense(units, dtype=policy)
    layer(x[:2])
    return lambda: layer(x)


def mlp_step(policy, x, y):
    mixed_precision.set_global_policy(policy)
    model = lamina.Sequential([lamina.Input((x.shape[1],)), layers.Dense(256, activation="relu"),
                               layers.Dense(10), layers.Activation("softmax", dtype="float32")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    mixed_precision.set_global_policy("float32")
    model.train_on_batch(x, y)
    return lambda: model.train_on_batch(x, y)


def median_seconds(fn, repeats, inner):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t) / inner)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((256, 512), dtype=np.float32)
    y = rng.integers(0, 10, 256)
    rows = [
        ("Dense(512) forward, batch 256x512", lambda p: dense_forward(p, x, 512), 20),
        ("MLP 512-256-10 train step, batch 256", lambda p: mlp_step(p, x, y), 5),
    ]
    print(f"{'workload':40s} {'float32 ms':>11s} {'mixed_float16 ms':>17s} {'ratio':>7s}")
    for name, make, inner in rows:
        fns = {p: make(p) for p in ("float32", "mixed_float16")}
        samples = {p: [] for p in fns}
        for _ in range(args.repeats):  # interleaved: old, new, old, new, ...
            for p, fn in fns.items():
                samples[p].append(median_seconds(fn, 1, inner))
        a, b = (statistics.median(samples[p]) * 1e3 for p in ("float32", "mixed_float16"))
        print(f"{name:40s} {a:11.3f} {b:17.3f} {b / a:6.1f}x")


if __name__ == "__main__":
    main()
