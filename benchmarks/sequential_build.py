"""Time to build a Sequential model of n layers, from a list and by `add` one at a time,
with the ratio to n/4 layers (a linear build gives ~4; the former quadratic builds gave
13 for the list and 31 for `add` at these sizes). Layers are created before the clock starts.

Run: python benchmarks/sequential_build.py [max_layers]   (seconds, median of 3)
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lamina  # noqa: E402
from lamina import layers  # noqa: E402

MAX = int(sys.argv[1]) if len(sys.argv) > 1 else 10000


def build_time(n, how, repeat=3):
    times = []
    for _ in range(repeat):
        stack = [layers.Dense(2) for _ in range(n)]
        t0 = time.perf_counter()
        if how == "list":
            lamina.Sequential([lamina.Input((2,))] + stack)
        else:
            model = lamina.Sequential([lamina.Input((2,))])
            for layer in stack:
                model.add(layer)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    sizes = [MAX // 16, MAX // 4, MAX]
    print(f"{'layers':>8} {'list s':>9} {'ratio':>6} {'add s':>9} {'ratio':>6}")
    prev = None
    for n in sizes:
        row = (build_time(n, "list"), build_time(n, "add"))
        ratios = ["" if prev is None else f"{a / b:.1f}" for a, b in zip(row, prev or row)]
        print(f"{n:>8} {row[0]:>9.3f} {ratios[0]:>6} {row[1]:>9.3f} {ratios[1]:>6}")
        prev = row


if __name__ == "__main__":
    main()
