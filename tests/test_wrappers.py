"""keras.wrappers: scikit-learn's estimator checks, cross-validation, grid search, pipelines."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

import lamina  # noqa: E402
from lamina import layers  # noqa: E402
from lamina.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


def mlp(X, y, loss, out_activation="softmax", hidden=(10,), learning_rate=0.01, seed=0):
    """A Keras-style builder: input and output sizes follow the data. Seeding lamina's
    global stream makes each fit repeatable (initial weights and shuffling), which several of
    scikit-learn's checks assume (the wrappers have no random_state parameter)."""
    if seed is not None:
        lamina.utils.set_random_seed(seed)
    model = lamina.Sequential([lamina.Input((X.shape[1],))])
    for units in hidden:
        model.add(layers.Dense(units, activation="relu"))
    model.add(layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=out_activation))
    model.compile(optimizer=lamina.optimizers.Adam(learning_rate), loss=loss)
    return model


# Checks failed by design, as by Keras's wrappers (keras/src/wrappers/sklearn_test.py lists the
# same first three for SKLearnClassifier); the reasons are those of scikit-learn's checks.
_DECISION = ("for two classes the check wants decision_function of shape (n_samples,) with "
             "positive values meaning classes_[1]; the Keras wrapper returns the model's "
             "(n_samples, n_classes) outputs")
EXPECTED_FAILED_CHECKS = {
    "SKLearnClassifier": {
        "check_classifiers_train": _DECISION,
        "check_classifiers_classes": _DECISION,
        "check_decision_proba_consistency": _DECISION + " (ranked against predict_proba[:, 1])",
        "check_classifiers_one_label_sample_weights": (
            "the check expects samples of weight 0 to be ignored (a one-class fit); the "
            "wrapper one-hot encodes every class present in y and passes sample_weight to fit"),
    },
    "SKLearnRegressor": {},
    "SKLearnTransformer": {},
}


@parametrize_with_checks(
    [
        SKLearnClassifier(model=mlp, model_kwargs={"loss": "categorical_crossentropy"},
                          fit_kwargs={"epochs": 5, "verbose": 0}),
        SKLearnRegressor(model=mlp, model_kwargs={"loss": "mse", "out_activation": None},
                         fit_kwargs={"verbose": 0}),
        SKLearnTransformer(model=mlp, model_kwargs={"loss": "mse", "out_activation": None},
                           fit_kwargs={"verbose": 0}),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS[type(est).__name__],
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- behaviour -----------------------------------------------------------------------------


def _iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return X.astype("float32"), y


def _classifier(**fit_kwargs):
    return SKLearnClassifier(
        model=mlp, model_kwargs={"loss": "categorical_crossentropy", "hidden": (16,), "learning_rate": 0.03},
        fit_kwargs={"epochs": 40, "batch_size": 16, "verbose": 0, **fit_kwargs})


def test_classifier_labels_attributes_and_accuracy():
    X, y = _iris()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = _classifier().fit(X, labels)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert clf.n_features_in_ == 4 and clf.epoch_ == 40
    assert clf.model_.output_shape == (None, 3) and clf.model_.layers[-1].activation.__name__ == "softmax"
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (clf.predict(X) == clf.classes_[proba.argmax(axis=1)]).all()
    assert clf.score(X, labels) > 0.95
    with pytest.raises(ValueError, match="binary and multiclass"):
        _classifier().fit(X, X[:, 0])


def test_cross_val_score_and_pipeline_with_standard_scaler():
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _iris()
    pipe = make_pipeline(StandardScaler(), _classifier())
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and scores.min() > 0.85 and scores.mean() > 0.9


def test_grid_search_over_a_model_building_parameter():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import GridSearchCV

    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, random_state=0)
    X = X.astype("float32")
    search = GridSearchCV(
        SKLearnClassifier(model=mlp, model_kwargs={"loss": "categorical_crossentropy"},
                          fit_kwargs={"epochs": 20, "verbose": 0}),
        {"model_kwargs": [{"loss": "categorical_crossentropy", "hidden": (2,), "learning_rate": 0.001},
                          {"loss": "categorical_crossentropy", "hidden": (32,), "learning_rate": 0.02}]},
        cv=3)
    search.fit(X, y)
    assert search.best_params_["model_kwargs"]["hidden"] == (32,)
    means = search.cv_results_["mean_test_score"]  # [0.597, 0.847] here
    assert means[1] > 0.8 and means[1] > means[0] + 0.1
    assert search.best_estimator_.model_.layers[0].units == 32  # refit on all the data
    assert search.score(X, y) > 0.9


def test_regressor_r2_on_a_linear_target():
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
    X, y = X.astype("float32"), (y / y.std()).astype("float32")
    reg = SKLearnRegressor(model=mlp, model_kwargs={"loss": "mse", "out_activation": None, "hidden": (16,),
                                                    "learning_rate": 0.02},
                           fit_kwargs={"epochs": 60, "batch_size": 32, "verbose": 0})
    reg.fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (200,) and reg.n_features_in_ == 5
    assert reg.score(X, y) > 0.95  # R^2


def test_a_compiled_model_instance_is_cloned_unless_warm_start():
    X, y = _iris()
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="categorical_crossentropy")
    before = model.get_weights()
    clf = SKLearnClassifier(model=model, fit_kwargs={"epochs": 5, "verbose": 0}).fit(X, y)
    assert clf.model_ is not model and clf.model_.compiled
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # untouched
    warm = SKLearnClassifier(model=model, warm_start=True, fit_kwargs={"epochs": 5, "verbose": 0})
    warm.fit(X, y)
    assert warm.model_ is model and int(model.optimizer.iterations.numpy()) == 25
    warm.fit(X, y, epochs=2)  # continues: the same model, fit's arguments over fit_kwargs
    assert warm.model_ is model and int(model.optimizer.iterations.numpy()) == 35
    uncompiled = lamina.Sequential([lamina.Input((4,)), layers.Dense(3)])
    with pytest.raises(RuntimeError, match="compiled"):
        SKLearnClassifier(model=uncompiled).fit(X, y)


def test_transformer_outputs_the_model_and_clones_and_pickles():
    import pickle

    from sklearn.base import clone

    X, _ = _iris()
    enc = SKLearnTransformer(model=mlp, model_kwargs={"loss": "mse", "out_activation": None},
                             fit_kwargs={"epochs": 3, "verbose": 0})
    out = enc.fit(X, X[:, 0]).transform(X)  # y is 1-D, as in Keras's wrapper
    assert out.shape == (150, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, enc.model_.predict(X, verbose=0))
    twin = clone(enc)
    assert twin.get_params() == enc.get_params() and not hasattr(twin, "model_")
    twin.set_params(model_kwargs={"loss": "mae", "out_activation": None})
    assert twin.model_kwargs["loss"] == "mae" and enc.model_kwargs["loss"] == "mse"
    again = pickle.loads(pickle.dumps(enc))
    np.testing.assert_array_equal(again.transform(X), out)


def test_missing_scikit_learn_is_named(monkeypatch):
    from lamina.wrappers import sklearn_wrapper

    monkeypatch.setattr(sklearn_wrapper, "validate_data", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        SKLearnRegressor(model=mlp)
