"""`keras.wrappers`: scikit-learn estimators around lamina models (needs scikit-learn;
see lamina/wrappers/sklearn_wrapper.py)."""
from lamina.wrappers.sklearn_wrapper import (  # noqa: F401
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
)
