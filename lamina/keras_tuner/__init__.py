"""`lamina.keras_tuner`: hyperparameter search with KerasTuner's API.

Named after the package it stands in for (`import keras_tuner`), not `lamina.tuner`: course
code reads `keras_tuner.RandomSearch(...)`, `keras_tuner.HyperParameters()`, and with
`import lamina.keras_tuner as keras_tuner` (or `lamina run`, whose aliases map
`import keras_tuner` here) it runs unchanged.

    def build_model(hp):
        model = keras.Sequential([
            layers.Dense(hp.Int("units", 8, 64, step=8), activation="relu"),
            layers.Dense(3, activation="softmax")])
        lr = hp.Float("lr", 1e-4, 1e-2, sampling="log")
        model.compile(optimizer=keras.optimizers.Adam(lr),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=10,
                                     seed=1, directory="runs", project_name="demo")
    tuner.search(x, y, epochs=10, validation_split=0.2)
    best_hp = tuner.get_best_hyperparameters(1)[0]
    model = tuner.get_best_models(1)[0]

Beyond KerasTuner: `executor=` (a Dask `Client` or `client.get_executor()`, or a process
pool) runs each batch of trials in parallel with the serial run's results.
"""
from lamina.keras_tuner.execution import HyperModel  # noqa: F401
from lamina.keras_tuner.hyperparameters import HyperParameters  # noqa: F401
from lamina.keras_tuner.objective import Objective  # noqa: F401
from lamina.keras_tuner.oracles import (  # noqa: F401
    BayesianOptimizationOracle,
    HyperbandOracle,
    Oracle,
    RandomSearchOracle,
    Trial,
)
from lamina.keras_tuner.tuners import BayesianOptimization, Hyperband, RandomSearch, Tuner  # noqa: F401

__all__ = [
    "BayesianOptimization", "BayesianOptimizationOracle", "HyperModel", "HyperParameters",
    "Hyperband", "HyperbandOracle", "Objective", "Oracle", "RandomSearch", "RandomSearchOracle",
    "Trial", "Tuner",
]
