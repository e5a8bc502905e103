"""Per-op overhead of lamina's engine: ops.add vs NumPy, and a Dense-like step under a tape.

Run: python benchmarks/ops_overhead.py [rounds]   (microseconds)
Each number is the median of 31 repeats (each the mean of thousands of calls); the whole
table is measured `rounds` times (default 3) and the lowest median of each row is kept,
so that a burst of load from other processes does not decide the result. Two columns:
wall-clock time, and this process's CPU time (time.process_time), which excludes the time
the process waits for a core when other jobs load the machine (everything here runs on
one thread).
Targets: ops.add <= 3 us above NumPy's np.add (with or without an active tape);
Dense forward + backward (32, 13) @ (13, 64) + b, relu, under a GradientTape <= 40 us.
"""
import os
import sys
import time
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lamina  # noqa: E402
from lamina import ops  # noqa: E402

TIMER = time.perf_counter


def median_us(fn, number, repeat=31):
    """Median over `repeat` runs of the mean time of `number` calls, in microseconds."""
    times = timeit.repeat(fn, number=number, repeat=repeat, timer=TIMER)
    return float(np.median(times)) / number * 1e6


def measure():
    a, b = np.ones(1, np.float32), np.ones(1, np.float32)
    ta, tb = lamina.Tensor(a), lamina.Tensor(b)
    v = lamina.Variable(a)
    rows = []
    base = median_us(lambda: np.add(a, b), 20000)
    rows.append(("np.add(a, b), 1 element", base, None))
    rows.append(("ops.add(a, b), no tape", median_us(lambda: ops.add(a, b), 20000), base))
    rows.append(("ops.add(tensor, tensor), no tape", median_us(lambda: ops.add(ta, tb), 20000), base))
    rows.append(("tensor + tensor, no tape", median_us(lambda: ta + tb, 20000), base))
    with lamina.GradientTape():
        rows.append(("ops.add(a, b), tape active, untracked", median_us(lambda: ops.add(a, b), 20000), base))
        rows.append(("ops.add(variable, b), tape active, recorded", median_us(lambda: ops.add(v, b), 20000), base))

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 13)).astype(np.float32)
    w = lamina.Variable(rng.standard_normal((13, 64)) * 0.1)
    bias = lamina.Variable(np.zeros(64))

    def numpy_dense():
        z = x @ w.data + bias.data
        h = np.maximum(z, 0)
        gz = (h > 0).astype(np.float32)
        return x.T @ gz, gz.sum(0)

    def dense_step():
        with lamina.GradientTape() as tape:
            h = ops.relu(ops.add(ops.matmul(x, w), bias))
            loss = ops.sum(h)
        return tape.gradient(loss, [w, bias])

    dense_np = median_us(numpy_dense, 3000)
    rows.append(("Dense fwd+bwd, hand-written NumPy", dense_np, None))
    rows.append(("Dense fwd+bwd under GradientTape (4 ops)", median_us(dense_step, 3000), dense_np))
    try:  # the layers' fused op (one graph node), when present
        from lamina.kernels.linear import linear  # noqa: PLC0415
    except ImportError:
        linear = None
    if linear is not None:

        def fused_step():
            with lamina.GradientTape() as tape:
                loss = ops.sum(linear(x, w, bias, relu=True))
            return tape.gradient(loss, [w, bias])

        rows.append(("Dense fwd+bwd, kernels.linear.linear (2 ops)", median_us(fused_step, 3000), dense_np))
    return rows


def best_of(rounds):
    best = None
    for _ in range(rounds):
        rows = measure()
        best = rows if best is None else [
            (name, min(t, bt), None if ref is None else min(ref, bref))
            for (name, t, ref), (_, bt, bref) in zip(rows, best)
        ]
    return best


def main():
    global TIMER
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    wall = best_of(rounds)
    TIMER = time.process_time
    cpu = best_of(rounds)
    print(f"{'case':46s} {'wall us':>8s} {'overhead':>9s} {'CPU us':>8s} {'overhead':>9s}")
    print("(overhead: above the NumPy row of the same group)")
    for (name, t, ref), (_, tc, refc) in zip(wall, cpu):
        over = "" if ref is None else f"{t - ref:9.2f}"
        overc = "" if refc is None else f"{tc - refc:9.2f}"
        print(f"{name:46s} {t:8.2f} {over:>9s} {tc:8.2f} {overc:>9s}")


if __name__ == "__main__":
    main()
