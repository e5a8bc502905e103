"""Microseconds per `apply_gradients` call for every optimizer, on two models' shapes.

Boston MLP (13-64-64-1, 6 variables) and MNIST MLP (784-512-10, 4 variables), float32.
Median and best of repeated timing blocks (the best is the noise-free estimate on a
shared machine); gradients are fixed random float32 arrays (as a
GradientTape returns them). Run: `python benchmarks/optimizers.py [--quick]`.
"""
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import lamina
from lamina import optimizers

SHAPES = {
    "boston": [(13, 64), (64,), (64, 64), (64,), (64, 1), (1,)],
    "mnist": [(784, 512), (512,), (512, 10), (10,)],
}

CONFIGS = [
    ("SGD", lambda: optimizers.SGD()),
    ("SGD momentum=0.9", lambda: optimizers.SGD(momentum=0.9)),
    ("SGD nesterov", lambda: optimizers.SGD(momentum=0.9, nesterov=True)),
    ("RMSprop", lambda: optimizers.RMSprop()),
    ("RMSprop centered+mom", lambda: optimizers.RMSprop(momentum=0.9, centered=True)),
    ("Adam", lambda: optimizers.Adam()),
    ("Adam amsgrad", lambda: optimizers.Adam(amsgrad=True)),
    ("AdamW", lambda: optimizers.AdamW()),
    ("Adam clipnorm=1", lambda: optimizers.Adam(clipnorm=1.0)),
    ("Adam global_clipnorm=1", lambda: optimizers.Adam(global_clipnorm=1.0)),
    ("Adagrad", lambda: optimizers.Adagrad()),
    ("Adadelta", lambda: optimizers.Adadelta()),
    ("Adamax", lambda: optimizers.Adamax()),
    ("Nadam", lambda: optimizers.Nadam()),
    ("Adam + ExponentialDecay", lambda: optimizers.Adam(
        optimizers.schedules.ExponentialDecay(1e-3, 1000, 0.9))),
]


def time_one(make, shapes, calls, repeats):
    rng = np.random.default_rng(0)
    variables = [
        lamina.Variable(rng.normal(size=s).astype(np.float32) * 0.1, name=f"v{i}")
        for i, s in enumerate(shapes)
    ]
    grads = [lamina.Tensor(rng.normal(size=s).astype(np.float32) * 0.01) for s in shapes]
    pairs = list(zip(grads, variables))
    opt = make()
    opt.apply_gradients(pairs)  # build
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            opt.apply_gradients(pairs)
        samples.append((time.perf_counter() - t0) / calls * 1e6)
    return statistics.median(samples), min(samples)


def main():
    quick = "--quick" in sys.argv
    plan = {"boston": (200, 15), "mnist": (10, 9)}
    if quick:
        plan = {"boston": (50, 5), "mnist": (3, 3)}
    print("us per apply_gradients, median (best) of the timing blocks")
    print(f"{'optimizer':26s} {'boston: 6 vars, 5k params':>26s} {'mnist: 4 vars, 407k params':>27s}")
    for label, make in CONFIGS:
        (bm, bb), (mm, mb) = (time_one(make, SHAPES[m], *plan[m]) for m in ("boston", "mnist"))
        print(f"{label:26s} {bm:17.1f} ({bb:6.1f}) {mm:18.0f} ({mb:6.0f})")


if __name__ == "__main__":
    main()
