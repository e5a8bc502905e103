"""Triplet margin loss for metric learning (lamina-specific; Keras 3 has no built-in one).

An anchor embedding should be closer to a positive (same identity) than to a negative by
at least `margin`: loss = maximum(d(anchor, positive) - d(anchor, negative) + margin, 0).

Two entry points:
- `triplet_loss(anchor, positive, negative, margin=1.0, distance=...)`: three `(batch, dim)`
  tensors -> per-sample `(batch,)` losses.
- `TripletLoss(...)`: a `Loss` for `model.compile`. The model outputs the three embeddings
  stacked as `y_pred` of shape `(batch, 3, dim)` (anchor, positive, negative along axis 1,
  e.g. `ops.stack([a, p, n], axis=1)`); `y_true` is ignored (pass dummy labels or None).
"""
import difflib

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor
from lamina.losses.loss import Loss
from lamina.ops import math, reduce
from lamina.ops.shapes import getitem
from lamina.losses.regression import l2_normalize

DISTANCES = ("squared_euclidean", "euclidean", "cosine")


def _check_distance(distance):
    if distance not in DISTANCES:
        close = difflib.get_close_matches(str(distance), DISTANCES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"TripletLoss: unknown distance {distance!r}, expected one of {DISTANCES}{hint}"
        )


def pairwise_distance(a, b, distance="squared_euclidean"):
    """Row-wise distance between `(batch, dim)` embeddings -> `(batch,)`."""
    _check_distance(distance)
    if distance == "cosine":  # 1 - cosine similarity

        return math.subtract(1.0, reduce.sum(math.multiply(l2_normalize(a), l2_normalize(b)), axis=-1))
    sq = reduce.sum(math.square(math.subtract(a, b)), axis=-1)
    if distance == "euclidean":  # floored so the gradient stays finite at distance 0
        return math.sqrt(math.maximum(sq, dtypes.epsilon()))
    return sq


def triplet_loss(anchor, positive, negative, margin=1.0, distance="squared_euclidean"):
    """maximum(d(anchor, positive) - d(anchor, negative) + margin, 0) per sample."""
    d_pos = pairwise_distance(anchor, positive, distance)
    d_neg = pairwise_distance(anchor, negative, distance)
    gap = math.subtract(d_pos, d_neg)
    return math.maximum(math.add(gap, float(margin)), 0.0)


class TripletLoss(Loss):
    """Triplet margin loss on `y_pred` of shape `(batch, 3, dim)`; `y_true` is ignored."""

    def __init__(
        self, margin=1.0, distance="squared_euclidean", reduction="sum_over_batch_size",
        name="triplet_loss", dtype=None,
    ):  # fmt: skip
        _check_distance(distance)
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin = float(margin)
        self.distance = distance

    def call(self, y_true, y_pred):
        s = y_pred.data.shape if isinstance(y_pred, Tensor) else np.shape(y_pred)
        if len(s) != 3 or s[1] != 3:
            raise ValueError(
                f"TripletLoss expects y_pred of shape (batch, 3, dim) holding the anchor, "
                f"positive and negative embeddings along axis 1, got shape {s}; build it with "
                "ops.stack([anchor, positive, negative], axis=1), or call "
                "lamina.losses.triplet_loss(anchor, positive, negative) directly"
            )
        anchor, positive, negative = (getitem(y_pred, (slice(None), i)) for i in range(3))
        return triplet_loss(anchor, positive, negative, self.margin, self.distance)

    def get_config(self):
        return {
            "name": self.name, "reduction": self.reduction, "margin": self.margin,
            "distance": self.distance,
        }  # fmt: skip
