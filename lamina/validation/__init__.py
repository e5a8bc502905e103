"""`lamina.validation`: evaluation protocols from the course.

- `holdout_split(x, y, validation_fraction, shuffle=True, seed=None)`: simple hold-out.
- `KFold(k, shuffle, seed)` and `cross_validate(build_model, x, y, k=4, repeats=1, ...)`:
  (iterated) K-fold validation, serially or on any process executor
  (`process_pool()`, or a Dask client's `get_executor()`), with identical scores.
- `check_overlap(train, test)`: rows present in both (redundancy in your data).

Example (the course's Boston housing protocol)::

    def build_model():
        model = keras.Sequential([layers.Dense(64, activation="relu"),
                                  layers.Dense(64, activation="relu"), layers.Dense(1)])
        model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
        return model

    result = cross_validate(build_model, x_train, y_train, k=4,
                            fit_kwargs=dict(epochs=100, batch_size=16), seed=0)
    print(result.summary())          # val_mae: 2.4 ± 0.2 over 4 folds
    result.plot("val_mae", path="cv.png")
"""
from lamina.validation.cross_validation import CrossValidationResult, cross_validate  # noqa: F401
from lamina.validation.overlap import Overlap, check_overlap  # noqa: F401
from lamina.validation.splits import KFold, holdout_split  # noqa: F401
from lamina.validation.threads import limit_blas_threads  # noqa: F401
from lamina.validation.workers import process_pool  # noqa: F401

__all__ = [
    "CrossValidationResult", "KFold", "Overlap", "check_overlap", "cross_validate",
    "holdout_split", "limit_blas_threads", "process_pool",
]
