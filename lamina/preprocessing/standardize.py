"""Feature-wise standardisation with statistics from the training data only.

The rule (*Deep Learning with Python*, Boston housing): compute the mean and standard
deviation on the training data, then apply those same numbers to the validation and test
data. Computing them on test data leaks information about it into the model. Hence:

    scaler = Standardizer().fit(x_train)        # fit returns the scaler
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)

`transform` before `fit` raises, and refitting an already fitted scaler (`fit` or
`fit_transform`, the usual way test statistics sneak in) warns.
"""

import warnings

import numpy as np

from lamina.engine.tensor import data_of


class Standardizer:
    """`(x - mean) / std` per feature, mean/std over `axis` (samples) of the training data.

    Statistics are computed in float64 (population std, as `x.std(axis=0)`); features with
    zero std are only centred. Outputs are float32. Attributes after `fit`: `mean`, `std`
    (shape `x.shape` without `axis`) and `n_samples`.
    """

    def __init__(self, axis=0):
        self.axis = axis
        self.mean = self.std = self.n_samples = None

    @property
    def fitted(self):
        return self.mean is not None

    def __repr__(self):
        state = f"fitted on {self.n_samples} samples" if self.fitted else "not fitted"
        return f"Standardizer(axis={self.axis}, {state})"

    def fit(self, x):
        """Learn mean and std from the training data `x`; returns self."""
        if self.fitted:
            warnings.warn(
                f"refitting a Standardizer already fitted on {self.n_samples} samples: its "
                "statistics are replaced. Statistics must come from the training data only; "
                "for validation/test data use .transform(x).",
                UserWarning,
                stacklevel=2,
            )
        a = np.asarray(data_of(x))
        if a.ndim == 0 or a.shape[self.axis] == 0:
            raise ValueError(
                f"Standardizer.fit needs at least one sample along axis {self.axis}, "
                f"got shape {a.shape}"
            )
        mean = np.mean(a, axis=self.axis, dtype=np.float64)
        std = np.std(a, axis=self.axis, dtype=np.float64)
        if np.isnan(mean).any():
            raise ValueError(
                "Standardizer.fit: x contains NaN; replace missing values first, e.g. with "
                "lamina.preprocessing.fill_missing(x, indicator=True)"
            )
        self.mean, self.std, self.n_samples = mean, np.where(std == 0, 1.0, std), a.shape[self.axis]
        self._mean32 = np.expand_dims(self.mean, self.axis).astype(np.float32)
        self._std32 = np.expand_dims(self.std, self.axis).astype(np.float32)
        return self

    def _check(self, a, method):
        if not self.fitted:
            raise ValueError(
                f"Standardizer.{method} before fit: call .fit(x_train) first (statistics come "
                "from the training data only)"
            )
        expected = self.mean.shape
        got = np.delete(np.array(a.shape), self.axis) if a.ndim else None
        if got is None or tuple(got) != expected:
            raise ValueError(
                f"Standardizer.{method}: x has shape {a.shape}, but the scaler was fitted on "
                f"samples of shape {expected} (axis {self.axis} holds the samples)"
            )

    def transform(self, x):
        """`(x - mean) / std` with the training statistics, float32."""
        a = np.asarray(data_of(x))
        self._check(a, "transform")
        out = a.astype(np.float32)  # a copy: the caller's array is left unchanged
        out -= self._mean32
        out /= self._std32
        return out

    def fit_transform(self, x):
        """`fit(x)` then `transform(x)`: for the training data only (warns when refitting)."""
        if self.fitted:
            warnings.warn(
                f"fit_transform on a Standardizer already fitted on {self.n_samples} samples: "
                "if x is validation/test data, this computes statistics from it (a leak). "
                "Use .transform(x) instead.",
                UserWarning,
                stacklevel=2,
            )
            self.mean = None  # the warning above replaces the one `fit` would give
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        """Back to the original units: `x * std + mean`, float32."""
        a = np.asarray(data_of(x))
        self._check(a, "inverse_transform")
        return a.astype(np.float32) * self._std32 + self._mean32
