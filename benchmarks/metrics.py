"""Per-step cost of metrics and losses: `update_state` and `loss(y_true, y_pred)` in microseconds.

Run: python benchmarks/metrics.py   (medians of many repeats)
Batches: (128, 10) class scores with integer / one-hot labels, and (32, 1) regression
outputs with (32,) targets, as a training step sees them (Tensors from the model, NumPy
targets). Targets: accuracy and MAE `update_state` <= 10 us; MSE and the fused
cross-entropies stay within ~6 us of the bare fused op.
"""
import os
import sys
import timeit

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import lamina  # noqa: E402
from lamina import losses, metrics, ops  # noqa: E402


def median_us(fn, number=2000, repeat=31):
    """Median over `repeat` runs of the mean time of `number` calls, in microseconds."""
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return float(np.median(times)) / number * 1e6


def main():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 128)
    onehot = np.eye(10, dtype=np.float32)[labels]
    scores = ops.softmax(rng.standard_normal((128, 10)).astype(np.float32))
    reg_true = rng.standard_normal(32).astype(np.float32)
    reg_pred = lamina.Tensor(rng.standard_normal((32, 1)).astype(np.float32))
    bin_true = (rng.random((32, 1)) > 0.5).astype(np.float32)
    bin_pred = ops.sigmoid(rng.standard_normal((32, 1)).astype(np.float32))

    rows = [("metric update_state", None)]
    for name, metric, args in [
        ("SparseCategoricalAccuracy (128,10)", metrics.SparseCategoricalAccuracy(), (labels, scores)),
        ("CategoricalAccuracy (128,10)", metrics.CategoricalAccuracy(), (onehot, scores)),
        ("Accuracy (32,1)", metrics.Accuracy(), (bin_true, bin_pred)),
        ("BinaryAccuracy (32,1)", metrics.BinaryAccuracy(), (bin_true, bin_pred)),
        ("MeanAbsoluteError (32,) vs (32,1)", metrics.MeanAbsoluteError(), (reg_true, reg_pred)),
        ("MeanAbsoluteError (128,10)", metrics.MeanAbsoluteError(), (onehot, scores)),
        ("MeanSquaredError (32,) vs (32,1)", metrics.MeanSquaredError(), (reg_true, reg_pred)),
        ("RootMeanSquaredError (32,) vs (32,1)", metrics.RootMeanSquaredError(), (reg_true, reg_pred)),
        ("SparseTopKCategoricalAccuracy k=5 (128,10)", metrics.SparseTopKCategoricalAccuracy(), (labels, scores)),
        ("SparseCategoricalCrossentropy (128,10)", metrics.SparseCategoricalCrossentropy(), (labels, scores)),
        ("Precision (32,1)", metrics.Precision(), (bin_true, bin_pred)),
        ("AUC 200 thresholds (32,1)", metrics.AUC(), (bin_true, bin_pred)),
        ("F1Score macro (128,10)", metrics.F1Score(average="macro"), (onehot, scores)),
    ]:
        rows.append((name, median_us(lambda m=metric, a=args: m.update_state(*a))))
    m = metrics.MeanAbsoluteError()
    m.update_state(reg_true, reg_pred)
    rows.append(("MeanAbsoluteError.result()", median_us(m.result)))

    rows.append(("loss(y_true, y_pred) under a GradientTape", None))
    w10 = lamina.Variable(rng.standard_normal((10, 10)) * 0.1)
    w1 = lamina.Variable(rng.standard_normal((10, 1)) * 0.1)
    x10 = rng.standard_normal((128, 10)).astype(np.float32)
    x1 = rng.standard_normal((32, 10)).astype(np.float32)
    with lamina.GradientTape():
        probs = ops.softmax(ops.matmul(x10, w10))
        logits = ops.matmul(x10, w10)
        out1 = ops.matmul(x1, w1)
        sig1 = ops.sigmoid(out1)
        scce, cce = ops.sparse_categorical_crossentropy, ops.categorical_crossentropy
        for name, fn, args in [
            ("ops.sparse_categorical_crossentropy alone", scce, (labels, probs)),
            ("SparseCategoricalCrossentropy()(labels, softmax)",
             losses.SparseCategoricalCrossentropy(), (labels, probs)),
            ("SparseCategoricalCrossentropy(from_logits)",
             losses.SparseCategoricalCrossentropy(from_logits=True), (labels, logits)),
            ("ops.categorical_crossentropy alone", cce, (onehot, probs)),
            ("CategoricalCrossentropy()(onehot, softmax)", losses.CategoricalCrossentropy(), (onehot, probs)),
            ("BinaryCrossentropy()(y, sigmoid) (32,1)", losses.BinaryCrossentropy(), (bin_true, sig1)),
            ("MeanSquaredError()(y (32,), pred (32,1))", losses.MeanSquaredError(), (reg_true, out1)),
            ("MeanAbsoluteError()(y (32,), pred (32,1))", losses.MeanAbsoluteError(), (reg_true, out1)),
            ("Huber()(y (32,), pred (32,1))", losses.Huber(), (reg_true, out1)),
        ]:  # fmt: skip
            rows.append((name, median_us(lambda f=fn, a=args: f(*a))))

    width = max(len(r[0]) for r in rows)
    for name, us in rows:
        print(f"\n{name}" if us is None else f"  {name:<{width}}  {us:7.2f} us")


if __name__ == "__main__":
    main()
