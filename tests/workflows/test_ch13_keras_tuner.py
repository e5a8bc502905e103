"""Chapter 13 workflow: hyperparameter search with KerasTuner's API (`lamina.keras_tuner`), as
a student writes it: a `build_model(hp)` with hp.Int / hp.Float(sampling="log") / hp.Choice /
hp.Boolean and a conditional scope, RandomSearch, Hyperband, BayesianOptimization, the
summaries, the best hyperparameters and models, results saved and resumed, and the same search
spread over a Dask cluster.

Reference numbers for Hyperband's schedule come from KerasTuner 1.4.8's own HyperbandOracle."""
import json
import os

import numpy as np
import pytest

import lamina as keras
import lamina.keras_tuner as keras_tuner
from lamina import layers


def xor_data(n=400, seed=0):
    """Two classes by the sign of x0 * x1: a hidden layer (and a sensible learning rate) is
    needed, so configurations differ."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    return x, y


def build_model(hp):
    model = keras.Sequential([keras.Input(shape=(4,))])
    for i in range(hp.Int("num_layers", 1, 2)):
        model.add(layers.Dense(hp.Int(f"units_{i}", min_value=4, max_value=32, step=4),
                               activation=hp.Choice("activation", ["relu", "tanh"])))
    if hp.Boolean("dropout"):
        with hp.conditional_scope("dropout", [True]):
            model.add(layers.Dropout(rate=hp.Float("rate", 0.1, 0.4)))
    model.add(layers.Dense(2, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=3e-2, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def random_search(tmp_path, name, seed=1, **kwargs):
    x, y = xor_data()
    tuner = keras_tuner.RandomSearch(
        build_model, objective=keras_tuner.Objective("val_accuracy", direction="max"),
        max_trials=6, seed=seed, directory=tmp_path, project_name=name, **kwargs)
    tuner.search(x[:300], y[:300], epochs=8, batch_size=32, validation_data=(x[300:], y[300:]),
                 verbose=0)
    return tuner


def scores(tuner):
    return {t.trial_id: t.score for t in tuner.oracle.trials.values()}


def test_random_search_finds_a_good_configuration(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    tuner = random_search(tmp_path, "xor")
    tuner.search_space_summary()
    out = capsys.readouterr().out
    # the space includes what only appears in a branch: the second layer and the dropout rate
    assert "Default search space size: 7" in out and "units_1 (Int)" in out
    assert "'sampling': 'log'" in out and "rate (Float)" in out

    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 6 and all(t.status == "COMPLETED" for t in trials)
    best_hp = tuner.get_best_hyperparameters(num_trials=1)[0]
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.score >= 0.9, scores(tuner)
    assert min(t.score for t in trials) < best.score - 0.1  # the search mattered
    assert best_hp.values == best.hyperparameters.values
    assert ("rate" in best_hp.values) == best_hp.values["dropout"]  # conditional: active only
    assert 1e-4 <= best_hp["lr"] <= 3e-2 and best_hp["units_0"] % 4 == 0

    # the best model is rebuilt with its best epoch's weights: it scores what the trial scored
    model = tuner.get_best_models(num_models=1)[0]
    x, y = xor_data()
    _, accuracy = model.evaluate(x[300:], y[300:], verbose=0)
    assert accuracy == pytest.approx(best.score, abs=1e-6)

    tuner.results_summary(num_trials=2)
    out = capsys.readouterr().out
    assert 'Objective(name="val_accuracy", direction="max")' in out
    assert f"Trial {best.trial_id} summary" in out and f"Score: {best.score}" in out

    # the results on disk: JSON with names and numbers only, and the best epoch's weights
    project = tmp_path / "xor"
    record = json.loads((project / f"trial_{best.trial_id}" / "trial.json").read_text())
    assert record["score"] == best.score and record["hyperparameters"]["values"] == best_hp.values
    assert (project / f"trial_{best.trial_id}" / "checkpoint.weights.npz").exists()
    assert json.loads((project / "oracle.json").read_text())["seed"] == 1


def test_search_is_reproducible_by_seed_and_resumes_from_its_files(tmp_path):
    keras.utils.set_random_seed(0)
    first = random_search(tmp_path, "a", seed=5)
    again = random_search(tmp_path, "b", seed=5)
    other = random_search(tmp_path, "c", seed=6)
    assert scores(first) == scores(again)
    assert [t.hyperparameters.values for t in first.oracle.trials.values()] == \
        [t.hyperparameters.values for t in again.oracle.trials.values()]
    assert [t.hyperparameters.values for t in first.oracle.trials.values()] != \
        [t.hyperparameters.values for t in other.oracle.trials.values()]

    # a new tuner on the same folder (no seed given: the stored one is used) trains only the
    # trials that are not on disk yet
    trained = []

    class Count(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            trained.append(1)

    x, y = xor_data()
    resumed = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=8,
                                       directory=tmp_path, project_name="a")
    resumed.search(x[:300], y[:300], epochs=8, batch_size=32, callbacks=[Count()],
                   validation_data=(x[300:], y[300:]), verbose=0)
    assert len(trained) == 2 and len(resumed.oracle.trials) == 8
    assert {k: v for k, v in scores(resumed).items() if k < "06"} == scores(first)

    # overwrite=True starts afresh; a tampered results file is refused, naming the field
    fresh = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=1,
                                     seed=5, directory=tmp_path, project_name="a", overwrite=True)
    assert not fresh.oracle.trials and not os.path.exists(tmp_path / "a" / "trial_06")
    path = tmp_path / "b" / "trial_00" / "trial.json"
    record = json.loads(path.read_text())
    record["hyperparameters"]["values"]["lr"] = {"class_name": "Lambda"}
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="hyperparameter 'lr' must be a number"):
        keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=6,
                                 directory=tmp_path, project_name="b")


@pytest.mark.parametrize("max_epochs, factor, expected", [
    # (bracket, round): (trials, epochs, initial_epoch), from KerasTuner 1.4.8's HyperbandOracle
    (9, 3, {(2, 0): (9, 1, 0), (2, 1): (3, 3, 1), (2, 2): (1, 9, 3), (1, 0): (5, 3, 0),
            (1, 1): (2, 9, 3), (0, 0): (3, 9, 0)}),
    (10, 3, {(2, 0): (12, 2, 0), (2, 1): (4, 4, 2), (2, 2): (2, 10, 4), (1, 0): (6, 4, 0),
             (1, 1): (2, 10, 4), (0, 0): (4, 10, 0)}),
    (27, 3, {(3, 0): (27, 1, 0), (3, 1): (9, 3, 1), (3, 2): (3, 9, 3), (3, 3): (1, 27, 9),
             (2, 0): (12, 3, 0), (2, 1): (4, 9, 3), (2, 2): (2, 27, 9), (1, 0): (6, 9, 0),
             (1, 1): (2, 27, 9), (0, 0): (4, 27, 0)}),
    (8, 2, {(3, 0): (8, 1, 0), (3, 1): (4, 2, 1), (3, 2): (2, 4, 2), (3, 3): (1, 8, 4),
            (2, 0): (6, 2, 0), (2, 1): (3, 4, 2), (2, 2): (2, 8, 4), (1, 0): (4, 4, 0),
            (1, 1): (2, 8, 4), (0, 0): (4, 8, 0)}),
])
def test_hyperband_bracket_schedule_matches_keras_tuner(max_epochs, factor, expected):
    hp = keras_tuner.HyperParameters()
    hp.Float("x", 0.0, 1.0)
    oracle = keras_tuner.HyperbandOracle(objective=keras_tuner.Objective("score", "max"),
                                         max_epochs=max_epochs, factor=factor,
                                         hyperparameters=hp, seed=1)
    rounds = {}
    while batch := oracle.create_trials():
        for trial in batch:  # score = x: the survivors of each round are the largest x
            v = trial.hyperparameters.values
            key = (v["tuner/bracket"], v["tuner/round"])
            count, _, _ = rounds.get(key, (0, None, None))
            rounds[key] = (count + 1, v["tuner/epochs"], v["tuner/initial_epoch"])
            trial.score, trial.status = v["x"], "COMPLETED"
            if "tuner/trial_id" in v:
                parent = oracle.trials[v["tuner/trial_id"]]
                siblings = [t for t in oracle.trials.values()
                            if t.hyperparameters.values["tuner/bracket"] == key[0]
                            and t.hyperparameters.values["tuner/round"] == key[1] - 1]
                rank = sorted(siblings, key=lambda t: -t.score).index(parent)
                assert rank < expected[key][0]  # continued trials are the best of their round
    assert list(rounds) == list(expected) and rounds == expected
    assert [b for b, _ in oracle.schedule()] == sorted({b for b, _ in expected}, reverse=True)


def test_hyperband_search_continues_the_best_trials(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = xor_data()
    tuner = keras_tuner.Hyperband(build_model, objective="val_accuracy", max_epochs=8, factor=2,
                                  seed=3, directory=tmp_path, project_name="hb")
    tuner.search(x[:300], y[:300], batch_size=32, validation_data=(x[300:], y[300:]), verbose=0)
    trials = list(tuner.oracle.trials.values())
    # brackets 3, 2, 1, 0 with max_epochs=8, factor=2: 8+4+2+1, 6+3+2, 4+2, 4 trials
    assert len(trials) == 36 and all(t.status == "COMPLETED" for t in trials)
    for trial in trials:
        values = trial.hyperparameters.values
        if "tuner/trial_id" in values:
            parent = tuner.oracle.trials[values["tuner/trial_id"]]
            assert values["tuner/initial_epoch"] == parent.hyperparameters.values["tuner/epochs"]
            assert trial.best_step >= values["tuner/initial_epoch"]
            for key in ("units_0", "lr", "activation"):
                assert values[key] == parent.hyperparameters.values[key]
    assert tuner.oracle.get_best_trials(1)[0].score >= 0.85


class Quadratic(keras_tuner.HyperModel):
    """A HyperModel whose fit returns one number (the objective to minimize): Bayesian
    optimization on a known function, no training needed."""

    def build(self, hp):
        hp.Float("a", -1.0, 1.0)
        hp.Float("b", -1.0, 1.0)
        model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        return model

    def fit(self, hp, model, *args, **kwargs):
        return (hp["a"] - 0.3) ** 2 + (hp["b"] + 0.5) ** 2


def test_bayesian_optimization_homes_in(tmp_path):
    x = np.zeros((4, 1), "float32")
    bayes = keras_tuner.BayesianOptimization(Quadratic(), objective="score_to_min_loss",
                                             max_trials=15, num_initial_points=4, seed=0,
                                             directory=tmp_path, project_name="bo")
    bayes.search(x, x, verbose=0)
    best = bayes.oracle.get_best_trials(1)[0]
    guided = [t.score for t in list(bayes.oracle.trials.values())[4:]]
    first = [t.score for t in list(bayes.oracle.trials.values())[:4]]
    assert best.score < 0.02, best.hyperparameters.values
    assert np.median(guided) < np.median(first)  # the GP's proposals beat random ones


def test_executions_per_trial_average_fresh_models(tmp_path):
    draws = []

    class Noisy(Quadratic):
        def fit(self, hp, model, *args, **kwargs):
            draws.append(float(keras.random.uniform(())))  # differs with each execution's seed
            return draws[-1]

    x = np.zeros((4, 1), "float32")
    tuner = keras_tuner.RandomSearch(Noisy(), objective="loss", max_trials=2, seed=0,
                                     executions_per_trial=3, directory=tmp_path, project_name="e")
    tuner.search(x, x, verbose=0)
    first, second = tuner.oracle.trials.values()
    assert len(draws) == 6 and len(set(draws)) == 6
    assert first.score == pytest.approx(np.mean(draws[:3]))
    assert second.score == pytest.approx(np.mean(draws[3:]))


def test_a_search_leaves_the_callers_random_state_alone(tmp_path):
    keras.utils.set_random_seed(3)
    expected = float(keras.random.uniform(()))
    keras.utils.set_random_seed(3)
    tuner = keras_tuner.RandomSearch(Quadratic(), objective="loss", max_trials=2, seed=0,
                                     directory=tmp_path, project_name="r")
    tuner.search(np.zeros((2, 1), "float32"), np.zeros((2, 1), "float32"), verbose=0)
    assert float(keras.random.uniform(())) == expected


def test_hyperparameters_api():
    hp = keras_tuner.HyperParameters()
    assert hp.Int("units", 32, 512, step=32) == 32  # defaults: min_value, first choice, False
    assert hp.Choice("opt", ["adam", "sgd"]) == "adam" and hp.Boolean("bn") is False
    with hp.conditional_scope("opt", ["sgd"]):
        assert hp.Float("momentum", 0.0, 0.9) is None  # inactive: no value to rely on
    assert "momentum" not in hp.values and not hp.is_active("momentum")
    with pytest.raises(ValueError, match="inactive"):
        hp.get("momentum")
    sgd = hp.with_values({"opt": "sgd"})
    assert sgd.is_active("momentum") and sgd["momentum"] == 0.0 and sgd["units"] == 32
    rng = np.random.default_rng(0)
    lr = keras_tuner.hyperparameters.Float("lr", 1e-4, 1e-1, sampling="log")
    draws = np.array([lr.random_sample(rng) for _ in range(2000)])
    # log sampling: each decade equally likely (a third of the draws below 1e-3)
    assert abs(np.mean(draws < 1e-3) - 1 / 3) < 0.04 and draws.min() >= 1e-4
    units = keras_tuner.hyperparameters.Int("units", 32, 512, step=32)
    assert {units.random_sample(rng) for _ in range(500)} == set(range(32, 513, 32))
    with pytest.raises(ValueError, match="cannot tell whether to minimize"):
        keras_tuner.RandomSearch(build_model, objective="widgets", max_trials=1)
    with pytest.raises(ValueError, match="sampling='log' needs min_value > 0"):
        hp.Float("bad", 0.0, 1.0, sampling="log")


def test_restricting_the_space_and_failing_trials(tmp_path):
    x, y = xor_data(60)
    fixed = keras_tuner.HyperParameters()
    fixed.Fixed("lr", 1e-2)
    fixed.Choice("activation", ["tanh"])
    tuner = keras_tuner.RandomSearch(build_model, objective="val_loss", max_trials=3, seed=0,
                                     hyperparameters=fixed, tune_new_entries=False,
                                     directory=tmp_path, project_name="fixed")
    tuner.search(x, y, epochs=1, validation_split=0.5, verbose=0)
    # only the given entries vary: the others keep their defaults, so the space has one point
    assert len(tuner.oracle.trials) == 1
    assert tuner.get_best_hyperparameters()[0].values == {
        "lr": 1e-2, "activation": "tanh", "num_layers": 1, "units_0": 4, "dropout": False,
        "units_1": 4}
    with pytest.raises(ValueError, match="allow_new_entries=False, but the hypermodel declares"):
        keras_tuner.RandomSearch(build_model, objective="val_loss", hyperparameters=fixed,
                                 allow_new_entries=False, directory=tmp_path, project_name="no")
    # an objective that training does not report: three failed trials stop the search
    bad = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=5, seed=0,
                                   directory=tmp_path, project_name="bad")
    with pytest.raises(RuntimeError, match="3 consecutive trials failed.*validation_data="):
        bad.search(x, y, epochs=1, verbose=0)
    assert [t.status for t in bad.oracle.trials.values()][:3] == ["FAILED"] * 3


def test_dask_cluster_gives_the_serial_search(tmp_path):
    distributed = pytest.importorskip("distributed")
    keras.utils.set_random_seed(0)
    serial = random_search(tmp_path, "serial", seed=11)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        parallel = random_search(tmp_path, "dask", seed=11, executor=client.get_executor())
    assert scores(parallel) == scores(serial)
    best_serial, best_parallel = (t.oracle.get_best_trials(1)[0] for t in (serial, parallel))
    assert best_parallel.trial_id == best_serial.trial_id
    assert best_parallel.hyperparameters.values == best_serial.hyperparameters.values


def test_import_keras_tuner_under_lamina_run():
    """`lamina run` scripts say `import keras_tuner`: the alias maps it (and its submodules)
    to lamina.keras_tuner."""
    from lamina.compat import target_of

    assert target_of("keras_tuner") == "lamina.keras_tuner"
    assert target_of("keras_tuner.oracles") == "lamina.keras_tuner.oracles"
    assert target_of("keras_tuners") is None
