"""The MLP rows' products on one BLAS thread, row-split over two (LAMINA_BLAS_THREADS=split)
and on OpenBLAS's own threads (issue 15, section 1).

    python benchmarks/split_products.py [--repeats N]

Prints microseconds per product (medians) and whether the split gives the one-thread bits.
Run it on a quiet machine and under `benchmarks/busy.py`-style load to decide the default.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lamina.engine import rowsplit  # noqa: E402
import machine  # noqa: E402

SHAPES = {  # name: (m, k, n, first operand transposed)
    "MNIST forward 128x784 @ 784x512": (128, 784, 512, False),
    "MNIST kernel gradient 784x128 @ 128x512": (784, 128, 512, True),
    "IMDB forward 512x10000 @ 10000x16": (512, 10000, 16, False),
    "IMDB kernel gradient 10000x512 @ 512x16": (10000, 512, 16, True),
    "predict batch 32x784 @ 784x512": (32, 784, 512, False),
}


def median_us(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    from threadpoolctl import threadpool_info, threadpool_limits  # noqa: PLC0415 (optional package)

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    if not counts:
        raise SystemExit("needs a BLAS that threadpoolctl controls")
    default = max(counts)
    rng = np.random.default_rng(0)
    rows = [("product", "1 thread", "split", f"OpenBLAS {default}", "same bits")]
    for name, (m, k, n, transposed) in SHAPES.items():
        a = rng.standard_normal((k, m) if transposed else (m, k), dtype=np.float32)
        a = a.T if transposed else a
        b = rng.standard_normal((k, n), dtype=np.float32)
        with threadpool_limits(1, user_api="blas"):
            rowsplit.matmul(a, b)  # start the helper
            one = median_us(lambda: a @ b, args.repeats)
            split = median_us(lambda: rowsplit.matmul(a, b), args.repeats)
            same = np.array_equal(a @ b, rowsplit.matmul(a, b))
        multi = median_us(lambda: a @ b, args.repeats)
        rows.append((name, f"{one:.0f} us", f"{split:.0f} us", f"{multi:.0f} us", str(same)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print(machine.describe())
    for i, r in enumerate(rows):
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
