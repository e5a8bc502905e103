"""`keras.wrappers`: lamina models as scikit-learn estimators.

`SKLearnClassifier`, `SKLearnRegressor` and `SKLearnTransformer` take `model`: a compiled
`Model`, or a callable `model(X=..., y=..., **model_kwargs)` building and compiling one from
the (validated) training data, so its input and output sizes can follow the data. `fit`
validates X and y with scikit-learn (setting `n_features_in_`), builds the model (a clone of a
given Model, unless `warm_start=True` reuses it; with `warm_start` a refit continues from the
fitted `model_`), and trains it with `fit_kwargs` updated by `fit`'s keyword arguments.

- Classifier: targets are one-hot encoded over `classes_` (sorted unique labels) before
  training, so the model ends in `len(classes_)` units (e.g. softmax with
  categorical_crossentropy); `predict` maps the argmax of the outputs back to labels;
  `predict_proba` and `decision_function` return the model's outputs.
- Regressor: 1-D targets are trained as a (n, 1) column and predicted back as 1-D.
- Transformer: `transform(X)` is the fitted model's output (an encoder, a feature extractor).
`score`, `get_params`/`set_params` and `clone` come from scikit-learn's mixins, so the
estimators work in `cross_val_score`, `GridSearchCV` and `Pipeline`.

scikit-learn is optional: this module is imported only when `lamina.wrappers` is first used,
and the constructors raise an ImportError naming the package when it is missing.
"""
import copy

import numpy as np

from lamina.models.cloning import clone_model
from lamina.models.model import Model

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError:  # scikit-learn is optional; the constructors say so
    BaseEstimator = ClassifierMixin = RegressorMixin = TransformerMixin = object
    type_of_target = check_is_fitted = validate_data = None


def _require_sklearn(name):
    if validate_data is None:
        raise ImportError(
            f"lamina.wrappers.{name} needs scikit-learn (>= 1.6), an optional dependency: "
            "`pip install scikit-learn`"
        )


class _SKLBase(BaseEstimator):
    """What the three wrappers share: parameters, model building, fit, predict."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True  # random initialization and shuffling
        return tags

    def __sklearn_clone__(self):
        # the model argument is handed over as is (a builder function, or a Model that fit
        # clones unless warm_start); the dicts are copied
        return type(self)(model=self.model, warm_start=self.warm_start,
                          model_kwargs=copy.deepcopy(self.model_kwargs),
                          fit_kwargs=copy.deepcopy(self.fit_kwargs))

    @property
    def epoch_(self):
        """The number of epochs the last `fit` trained (0 before any)."""
        history = getattr(self, "history_", None) or {}
        return len(next(iter(history.values()), []))

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return self.model if self.warm_start else clone_model(self.model)
        if not callable(self.model):
            raise TypeError(
                f"{type(self).__name__}: model must be a compiled lamina Model or a callable "
                f"building one from X and y, got {self.model!r}"
            )
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Train the model on X (n_samples, n_features) and y; keyword arguments go to
        `model.fit` (over `fit_kwargs`). Returns self."""
        X, y = validate_data(self, X, y)
        y = self._encode_target(y, reset=True)
        model = self._get_model(X, y)
        if not getattr(model, "compiled", False) or not model.loss or model.optimizer is None:
            raise RuntimeError(
                f"{type(self).__name__}: the model must be compiled with a loss and an optimizer, "
                "e.g. model.compile(optimizer='adam', loss='categorical_crossentropy')"
            )
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs).history
        self.model_ = model
        return self

    def _raw_output(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X):
        """The model's predictions for X, decoded as the targets were given."""
        return self._decode_target(self._raw_output(X))

    def _encode_target(self, y, reset=False):
        """Targets as the model trains on them: 1-D ones as a (n, 1) column."""
        type_of_target(y, raise_unknown=True)
        if reset:
            self._target_ndim = np.ndim(y)
        return y.reshape(-1, 1) if np.ndim(y) == 1 else y

    def _decode_target(self, out):
        if self._target_ndim == 1 and out.ndim == 2 and out.shape[1] == 1:
            return out[:, 0]
        return out


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """Keras 3's `SKLearnClassifier(model, warm_start=False, model_kwargs=None,
    fit_kwargs=None)`: binary or multiclass labels, trained one-hot.

    Attributes after `fit`: `model_`, `history_` (the History's dict), `classes_`,
    `n_features_in_`.
    """

    def _encode_target(self, y, reset=False):
        kind = type_of_target(y, raise_unknown=True)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"SKLearnClassifier: only binary and multiclass targets are supported, got a "
                f"{kind!r} target; use SKLearnRegressor for continuous targets"
            )
        if reset:
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"SKLearnClassifier: the targets hold only one class ({self.classes_[0]!r}); "
                    "a classifier needs at least two"
                )
        index = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_), dtype="float32")[index]

    def _decode_target(self, out):
        out = out.reshape(len(out), -1)
        if out.shape[1] != len(self.classes_):
            raise ValueError(
                f"SKLearnClassifier: the model outputs {out.shape[1]} values per sample for "
                f"{len(self.classes_)} classes; end the model with Dense({len(self.classes_)}) "
                "(e.g. y.shape[1] units in the model builder)"
            )
        return self.classes_[np.argmax(out, axis=1)]

    def decision_function(self, X):
        """The model's raw outputs for X, (n_samples, n_classes)."""
        return self._raw_output(X)

    def predict_proba(self, X):
        """The model's outputs for X, (n_samples, n_classes): class probabilities when the
        model ends in a softmax (lamina's addition; Keras's wrapper has only
        decision_function)."""
        return self._raw_output(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # a few epochs of a small network
        return tags


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """Keras 3's `SKLearnRegressor(model, warm_start=False, model_kwargs=None,
    fit_kwargs=None)`: `score` is R^2.

    Attributes after `fit`: `model_`, `history_`, `n_features_in_`.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """Keras 3's `SKLearnTransformer(model, warm_start=False, model_kwargs=None,
    fit_kwargs=None)`: `fit(X, y)` trains the model, `transform(X)` returns its outputs.

    Attributes after `fit`: `model_`, `history_`, `n_features_in_`.
    """

    def transform(self, X):
        """The fitted model's outputs for X."""
        return self._raw_output(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # outputs are float32 whatever X was
        return tags
