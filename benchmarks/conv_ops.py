"""Forward and forward+backward time of the convolution and pooling ops on the MNIST
convnet's shapes (batch 64, float32):

    (64, 28, 28, 1) -> conv 32 3x3 -> max_pool 2 -> conv 64 3x3 -> max_pool 2 -> conv 128 3x3

Run: python benchmarks/conv_ops.py [rounds]   (milliseconds)
Each number is the median of 15 runs; the table is measured `rounds` times (default 2) and
the lowest median kept, so a burst of load from other processes does not decide it.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lamina  # noqa: E402
from lamina import ops  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2


def median_ms(fn, repeat=15, warmup=2):
    best = np.inf
    for _ in range(ROUNDS):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        best = min(best, float(np.median(times)) * 1e3)
    return best


def forward_backward(op, x, *weights):
    """Time op(x, *weights) alone, and with the gradients of x and of every weight."""
    xv = lamina.Variable(x)
    ws = [lamina.Variable(w) for w in weights]

    def fwd():
        return op(x, *[w.data for w in ws])

    def fwd_bwd():  # the gradient of a scalar loss, as in training
        with lamina.GradientTape() as tape:
            y = ops.sum(op(xv, *ws))
        return tape.gradient(y, [xv, *ws])

    def fwd_bwd_weights_only():  # a first layer: no gradient for the input images
        with lamina.GradientTape() as tape:
            y = ops.sum(op(x, *ws))
        return tape.gradient(y, ws) if ws else None

    return fwd, fwd_bwd, fwd_bwd_weights_only


def main():
    rng = np.random.default_rng(0)
    f32 = np.float32
    rows = []

    def conv(x, k):
        return ops.relu(ops.conv(x, k))

    x1 = rng.random((64, 28, 28, 1), f32)
    k1 = rng.standard_normal((3, 3, 1, 32)).astype(f32) * 0.3
    x2 = rng.random((64, 13, 13, 32), f32)
    k2 = rng.standard_normal((3, 3, 32, 64)).astype(f32) * 0.1
    x3 = rng.random((64, 5, 5, 64), f32)
    k3 = rng.standard_normal((3, 3, 64, 128)).astype(f32) * 0.1
    p1 = rng.random((64, 26, 26, 32), f32)
    p2 = rng.random((64, 11, 11, 64), f32)
    cases = [
        ("conv+relu 28x28x1 -> 26x26x32", conv, x1, k1),
        ("max_pool 2 26x26x32 -> 13x13x32", lambda x: ops.max_pool(x, 2), p1),
        ("conv+relu 13x13x32 -> 11x11x64", conv, x2, k2),
        ("max_pool 2 11x11x64 -> 5x5x64", lambda x: ops.max_pool(x, 2), p2),
        ("conv+relu 5x5x64 -> 3x3x128", conv, x3, k3),
        ("average_pool 2 26x26x32", lambda x: ops.average_pool(x, 2), p1),
        ("max_pool 3 s2 same 26x26x32", lambda x: ops.max_pool(x, 3, 2, "same"), p1),
        ("conv same 13x13x32 -> 13x13x64", lambda x, k: ops.conv(x, k, padding="same"), x2, k2),
        ("depthwise 3x3 13x13x32", lambda x, k: ops.depthwise_conv(x, k), x2,
         rng.standard_normal((3, 3, 32, 1)).astype(f32)),
        ("conv_transpose s2 13x13x32 -> 26x26x16", lambda x, k: ops.conv_transpose(x, k, 2, "same"), x2,
         rng.standard_normal((3, 3, 16, 32)).astype(f32)),
    ]
    for name, op, x, *weights in cases:
        fwd, fwd_bwd, fwd_bwd_w = forward_backward(op, x, *weights)
        rows.append((name, median_ms(fwd), median_ms(fwd_bwd), median_ms(fwd_bwd_w) if weights else None))

    def model_step():
        xv = x1
        w = [lamina.Variable(k) for k in (k1, k2, k3)]
        with lamina.GradientTape() as tape:
            h = ops.max_pool(ops.relu(ops.conv(xv, w[0])), 2)
            h = ops.max_pool(ops.relu(ops.conv(h, w[1])), 2)
            h = ops.relu(ops.conv(h, w[2]))
            loss = ops.mean(ops.square(h))
        return tape.gradient(loss, w)

    total = median_ms(model_step)
    print(f"{'op (batch 64, float32)':42s} {'fwd ms':>8s} {'fwd+bwd ms':>11s} {'fwd+bwd (weights only) ms':>26s}")
    for name, a, b, c in rows:
        cs = "" if c is None else f"{c:.2f}"
        print(f"{name:42s} {a:8.2f} {b:11.2f} {cs:>26s}")
    print(f"{'whole conv stack, fwd+bwd (weights only)':42s} {'':8s} {total:11.2f}")


if __name__ == "__main__":
    main()
