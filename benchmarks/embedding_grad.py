"""Milliseconds for the Embedding gradient (a scatter-add of token gradients into the table).

Batch 32 x 200 tokens, vocabulary 10,000, 32 dimensions, float32. Candidates: np.add.at
on the flattened indices, np.bincount on (row, column) codes, a COO->CSR selection matrix
product, and the CSC selection matrix built directly (one 1 per column; what
`lamina.layers.core.embedding.embedding_lookup` uses). Median and best of repeated blocks.
Run: `python benchmarks/embedding_grad.py [--quick]`.
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import lamina
from lamina.layers.core.embedding import embedding_lookup

VOCAB, DIM, BATCH, LENGTH = 10_000, 32, 32, 200


def candidates(idx, g):
    n = idx.size

    def add_at():
        acc = np.zeros((VOCAB, DIM), np.float32)
        np.add.at(acc, idx, g)
        return acc

    def bincount():
        codes = (idx[:, None] * DIM + np.arange(DIM)).ravel()
        return (
            np.bincount(codes, weights=g.ravel(), minlength=VOCAB * DIM)
            .reshape(VOCAB, DIM)
            .astype(np.float32)
        )

    def coo_product():
        sel = sp.coo_matrix((np.ones(n, np.float32), (idx, np.arange(n))), shape=(VOCAB, n))
        return np.asarray(sel.tocsr() @ g)

    def csc_product():
        sel = sp.csc_matrix((np.ones(n, np.float32), idx, np.arange(n + 1)), shape=(VOCAB, n))
        return np.asarray(sel @ g)

    return {
        "np.add.at": add_at,
        "np.bincount": bincount,
        "COO->CSR product": coo_product,
        "CSC product (lamina)": csc_product,
    }


def time_fn(fn, calls, repeats):
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls * 1e3)
    return statistics.median(samples), min(samples)


def main():
    calls, repeats = (5, 3) if "--quick" in sys.argv else (20, 9)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, VOCAB, (BATCH, LENGTH)).ravel()
    g = rng.standard_normal((idx.size, DIM)).astype(np.float32)
    funcs = candidates(idx, g)
    ref = funcs["np.add.at"]()
    print(
        f"Embedding gradient, {BATCH}x{LENGTH} tokens, vocabulary {VOCAB}, dim {DIM}: ms per call"
    )
    print(f"{'method':24s} {'median':>8s} {'best':>8s}")
    for name, fn in funcs.items():
        np.testing.assert_allclose(fn(), ref, rtol=1e-4, atol=1e-4)
        med, best = time_fn(fn, calls, repeats)
        print(f"{name:24s} {med:8.3f} {best:8.3f}")
    table = lamina.Variable(rng.uniform(-0.05, 0.05, (VOCAB, DIM)).astype(np.float32))
    tokens = idx.reshape(BATCH, LENGTH)

    def layer_step():  # forward lookup + backward through the tape
        with lamina.GradientTape() as tape:
            out = embedding_lookup(table, tokens)
        return tape.gradient(
            out, table, output_gradients=lamina.Tensor(g.reshape(BATCH, LENGTH, DIM))
        )

    med, best = time_fn(layer_step, calls, repeats)
    print(f"{'lookup + gradient (tape)':24s} {med:8.3f} {best:8.3f}")


if __name__ == "__main__":
    main()
