"""lamina.validation: hold-out and K-fold splits, cross_validate (serial, process pool, Dask),
check_overlap."""
import json
import os
import random as pyrandom
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

import lamina as keras
from lamina import layers
from lamina.validation import (
    CrossValidationResult,
    KFold,
    check_overlap,
    cross_validate,
    holdout_split,
    process_pool,
)
from lamina.validation.threads import blas_threads
from lamina.validation.workers import SharedArrays, run_fold

FIT = {"epochs": 3, "batch_size": 16}


def build_regressor():
    """Module-level, so worker processes can unpickle it by reference."""
    model = keras.Sequential([layers.Dense(8, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def build_classifier():
    model = keras.Sequential([layers.Dense(4, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_uncompiled():
    return keras.Sequential([layers.Dense(1)])


def worker_report():
    """What a worker process sees: its BLAS thread counts and the thread variables."""
    return os.getpid(), blas_threads(), os.environ.get("OPENBLAS_NUM_THREADS")


def regression_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=n)).astype("float32")
    return x, y


def fold_seed(seed, round_, fold):
    """The documented contract: fold f of round r seeds lamina from (seed, r, f)."""
    return int(np.random.SeedSequence([seed, round_, fold]).generate_state(1)[0])


# --- holdout_split -------------------------------------------------------------------------

def test_holdout_split_partitions_the_samples():
    x = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    (xt, yt), (xv, yv) = holdout_split(x, y, 0.2, seed=3)
    assert len(xv) == 10 and len(xt) == 40
    np.testing.assert_array_equal(xt[:, 0] // 2, yt)  # rows stay paired with their targets
    np.testing.assert_array_equal(xv[:, 0] // 2, yv)
    assert sorted(np.concatenate([yt, yv]).tolist()) == list(range(50))
    expected_val = np.sort(np.random.default_rng(3).permutation(50)[40:])
    np.testing.assert_array_equal(np.sort(yv), expected_val)
    (_, yt2), _ = holdout_split(x, y, 0.2, seed=3)
    np.testing.assert_array_equal(yt, yt2)
    (_, yt3), _ = holdout_split(x, y, 0.2, seed=4)
    assert not np.array_equal(yt, yt3)


def test_holdout_split_without_shuffle_keeps_time_order_and_counts():
    x = np.arange(30)
    (xt, yt), (xv, yv) = holdout_split(x, None, 7, shuffle=False)
    np.testing.assert_array_equal(xt, np.arange(23))
    np.testing.assert_array_equal(xv, np.arange(23, 30))
    assert yt is None and yv is None


def test_holdout_split_sparse_and_dict_inputs():
    x = sp.random(20, 6, density=0.3, format="coo", random_state=0)
    dense = x.toarray()
    (xt, yt), (xv, yv) = holdout_split({"a": x, "b": dense}, np.arange(20), 0.25, seed=0)
    assert sp.issparse(xt["a"]) and xt["a"].shape == (15, 6) and xv["a"].shape == (5, 6)
    np.testing.assert_array_equal(xt["a"].toarray(), dense[yt])
    np.testing.assert_array_equal(xv["b"], dense[yv])


@pytest.mark.parametrize("frac", [0.0, 1.0, -0.1, 0.001, 50, 0])
def test_holdout_split_bad_fraction(frac):
    with pytest.raises(ValueError, match="validation_fraction"):
        holdout_split(np.zeros((50, 2)), np.zeros(50), frac)


def test_holdout_split_mismatched_lengths():
    with pytest.raises(ValueError, match="50 samples but `y` has 49"):
        holdout_split(np.zeros((50, 2)), np.zeros(49), 0.2)


# --- KFold -------------------------------------------------------------------------------

def test_kfold_validates_each_sample_once():
    folds = list(KFold(3, shuffle=True, seed=1).split(10))
    assert [len(v) for _, v in folds] == [4, 3, 3]
    val = np.concatenate([v for _, v in folds])
    assert sorted(val.tolist()) == list(range(10))
    for train, v in folds:
        assert not set(train) & set(v)
        assert len(train) + len(v) == 10
    again = list(KFold(3, shuffle=True, seed=1).split(np.zeros((10, 2))))
    for (a, b), (c, d) in zip(folds, again):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_kfold_without_shuffle_is_the_course_layout():
    folds = list(KFold(4, shuffle=False).split(404))
    for i, (train, val) in enumerate(folds):  # val = data[i * 101:(i + 1) * 101]
        np.testing.assert_array_equal(val, np.arange(i * 101, (i + 1) * 101))
        np.testing.assert_array_equal(train, np.setdiff1d(np.arange(404), val))


def test_kfold_seed_none_is_fixed_at_construction():
    keras.utils.set_random_seed(5)
    kf = KFold(4)
    first = [v for _, v in kf.split(20)]
    second = [v for _, v in kf.split(20)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    keras.utils.set_random_seed(5)
    assert KFold(4).seed == kf.seed


@pytest.mark.parametrize("k", [1, 0, -2, 2.5, True])
def test_kfold_bad_k(k):
    with pytest.raises(ValueError, match="`k` must be an integer >= 2"):
        KFold(k)


def test_kfold_more_folds_than_samples():
    with pytest.raises(ValueError, match="k=5 folds need at least 5 samples, got 3"):
        list(KFold(5).split(3))


# --- cross_validate (serial) -------------------------------------------------------------

def test_cross_validate_matches_the_course_loop():
    """Each fold equals a hand-written K-fold loop seeded as documented."""
    x, y = regression_data()
    result = cross_validate(build_regressor, x, y, k=3, fit_kwargs=FIT, seed=11)
    assert isinstance(result, CrossValidationResult) and result.seed == 11
    order = np.random.default_rng(11).permutation(60)
    for f in range(3):
        val = order[f * 20:(f + 1) * 20]
        train = np.concatenate([order[:f * 20], order[(f + 1) * 20:]])
        keras.utils.set_random_seed(fold_seed(11, 0, f))
        model = build_regressor()
        h = model.fit(x[train], y[train], validation_data=(x[val], y[val]), verbose=0, **FIT)
        mse, mae = model.evaluate(x[val], y[val], batch_size=16, verbose=0)
        assert result.scores["val_mae"][f] == pytest.approx(mae, rel=1e-6)
        assert result.scores["val_loss"][f] == pytest.approx(mse, rel=1e-6)
        assert result.histories[f]["val_mae"] == pytest.approx(h.history["val_mae"], rel=1e-6)
        np.testing.assert_array_equal(result.folds[f]["val_indices"], val)


def test_cross_validate_summary_statistics():
    x, y = regression_data()
    result = cross_validate(build_regressor, x, y, k=4, fit_kwargs=FIT, seed=0)
    mae = result.scores["val_mae"]
    assert mae.shape == (4,)
    assert result.mean["val_mae"] == pytest.approx(float(np.mean(mae)))
    assert result.std["val_mae"] == pytest.approx(float(np.std(mae)))
    assert result.epochs == [3, 3, 3, 3]
    stacked = np.array([h["val_mae"] for h in result.histories])
    np.testing.assert_allclose(result.curves["val_mae"], stacked.mean(axis=0))
    np.testing.assert_allclose(result.curves_std["val_mae"], stacked.std(axis=0))
    assert set(result.curves) == {"loss", "mae", "val_loss", "val_mae"}
    # the last epoch's validation score is the fold's score (same model, same batches)
    np.testing.assert_allclose(stacked[:, -1], mae, rtol=1e-6)
    assert "val_mae:" in result.summary() and "over 4 folds" in result.summary()
    assert "val_mae=" in repr(result)


def test_cross_validate_is_repeatable_and_seed_dependent():
    x, y = regression_data()
    a = cross_validate(build_regressor, x, y, k=3, fit_kwargs=FIT, seed=1)
    b = cross_validate(build_regressor, x, y, k=3, fit_kwargs=FIT, seed=1)
    c = cross_validate(build_regressor, x, y, k=3, fit_kwargs=FIT, seed=2)
    np.testing.assert_array_equal(a.scores["val_mae"], b.scores["val_mae"])
    assert not np.array_equal(a.scores["val_mae"], c.scores["val_mae"])


def test_cross_validate_seed_none_follows_the_global_seed():
    x, y = regression_data(30)
    keras.utils.set_random_seed(9)
    a = cross_validate(build_regressor, x, y, k=2, fit_kwargs={"epochs": 1})
    keras.utils.set_random_seed(9)
    b = cross_validate(build_regressor, x, y, k=2, fit_kwargs={"epochs": 1})
    assert a.seed == b.seed
    np.testing.assert_array_equal(a.scores["val_loss"], b.scores["val_loss"])


def test_iterated_kfold_reshuffles_each_round():
    x, y = regression_data(30)
    result = cross_validate(build_regressor, x, y, k=3, repeats=2, fit_kwargs={"epochs": 1},
                            seed=4)
    assert len(result.folds) == 6 and result.scores["val_mae"].shape == (6,)
    assert [(f["round"], f["fold"]) for f in result.folds] == [(r, f) for r in range(2)
                                                                for f in range(3)]
    rounds = [[set(f["val_indices"].tolist()) for f in result.folds[r * 3:(r + 1) * 3]]
              for r in range(2)]
    for folds in rounds:  # each round validates every sample once
        assert set().union(*folds) == set(range(30)) and sum(map(len, folds)) == 30
    assert rounds[0] != rounds[1]
    assert "6 folds (2 x 3)" in result.summary()


def test_cross_validate_without_shuffle_keeps_order():
    x, y = regression_data(12)
    result = cross_validate(build_regressor, x, y, k=3, shuffle=False, fit_kwargs={"epochs": 1},
                            seed=0)
    for f, fold in enumerate(result.folds):
        np.testing.assert_array_equal(fold["val_indices"], np.arange(4 * f, 4 * f + 4))


def test_cross_validate_leaves_the_callers_random_state_alone():
    x, y = regression_data(20)
    keras.utils.set_random_seed(3)
    expected = (keras.random.uniform((3,)).data, np.random.rand(), pyrandom.random())
    keras.utils.set_random_seed(3)
    cross_validate(build_regressor, x, y, k=2, fit_kwargs={"epochs": 1}, seed=0)
    got = (keras.random.uniform((3,)).data, np.random.rand(), pyrandom.random())
    np.testing.assert_array_equal(expected[0], got[0])
    assert expected[1:] == got[1:]


def test_cross_validate_with_early_stopping_averages_ragged_curves():
    outputs = [
        {"round": 0, "fold": i, "seed": 0, "epochs": len(h), "seconds": 0.0,
         "scores": {"val_loss": h[-1]}, "history": {"val_loss": h}}
        for i, h in enumerate([[4.0, 3.0, 2.0], [5.0, 1.0]])
    ]
    result = CrossValidationResult(outputs, k=2, repeats=1, shuffle=True, seed=0, seconds=0.0)
    np.testing.assert_allclose(result.curves["val_loss"], [4.5, 2.0, 2.0])
    np.testing.assert_allclose(result.curves_std["val_loss"], [0.5, 1.0, 0.0])
    assert result.mean["val_loss"] == pytest.approx(1.5)


def test_cross_validate_verbose_prints_each_fold(capsys):
    x, y = regression_data(20)
    cross_validate(build_regressor, x, y, k=2, fit_kwargs={"epochs": 1}, seed=0, verbose=1)
    out = capsys.readouterr().out
    assert "round 1 fold 1/2: val_loss" in out and "round 1 fold 2/2" in out


@pytest.mark.parametrize("k, message", [
    (1, "`k` must be an integer >= 2"), (0, "`k` must be an integer >= 2"),
    (21, "k=21 folds need at least 21 samples, got 20"),
])
def test_cross_validate_bad_k(k, message):
    x, y = regression_data(20)
    with pytest.raises(ValueError, match=message):
        cross_validate(build_regressor, x, y, k=k)


def test_cross_validate_bad_arguments():
    x, y = regression_data(20)
    with pytest.raises(ValueError, match="repeats"):
        cross_validate(build_regressor, x, y, repeats=0)
    with pytest.raises(ValueError, match="shuffle=True"):
        cross_validate(build_regressor, x, y, repeats=2, shuffle=False)
    with pytest.raises(ValueError, match="validation_data"):
        cross_validate(build_regressor, x, y, fit_kwargs={"validation_data": (x, y)})
    with pytest.raises(ValueError, match="sample_weight"):
        cross_validate(build_regressor, x, y, fit_kwargs={"sample_weight": np.ones(20)})
    with pytest.raises(ValueError, match="20 samples but `y` has 19"):
        cross_validate(build_regressor, x, y[:19])
    with pytest.raises(ValueError, match="needs targets"):
        cross_validate(build_regressor, x, None)
    with pytest.raises(TypeError, match="build_model must be a function"):
        cross_validate("model", x, y)
    with pytest.raises(ValueError, match="not compiled"):
        cross_validate(build_uncompiled, x, y, k=2)


def test_cross_validate_error_names_the_fold():
    x, y = regression_data(20)
    calls = []

    def build():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return build_regressor()

    with pytest.raises(RuntimeError, match="boom") as info:
        cross_validate(build, x, y, k=2, fit_kwargs={"epochs": 1})
    assert "round 1, fold 2" in "".join(getattr(info.value, "__notes__", []))


def test_thread_pools_are_refused():
    x, y = regression_data(20)
    with ThreadPoolExecutor(2) as pool, pytest.raises(TypeError, match="process-wide"):
        cross_validate(build_regressor, x, y, k=2, executor=pool)


def test_folds_running_in_another_thread_are_detected():
    x, y = regression_data(20)
    task = {"pid": os.getpid(), "thread": threading.get_ident(), "build_model": build_regressor,
            "train": np.arange(10), "val": np.arange(10, 20), "seed": 0, "fit_kwargs": {},
            "round": 0, "fold": 0}
    errors = []
    t = threading.Thread(target=lambda: errors.append(_catch(run_fold, task, (x, y))))
    t.start()
    t.join()
    assert isinstance(errors[0], RuntimeError) and "process-wide" in str(errors[0])


def _catch(fn, *args):
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001
        return e
    return None


def test_unpicklable_build_model_is_refused_before_any_work():
    x, y = regression_data(20)
    pool = ProcessPoolExecutor(1)  # workers start at the first submit: none here
    try:
        with pytest.raises(TypeError, match="module-level function"):
            cross_validate(lambda: build_regressor(), x, y, k=2, executor=pool)
    finally:
        pool.shutdown()


def test_shared_arrays_round_trip_and_cleanup():
    dense = np.arange(12, dtype="float32").reshape(4, 3)
    csr = sp.csr_matrix(np.eye(4, 5, dtype="float32"))
    ragged = np.empty(4, dtype=object)
    ragged[:] = [[1], [2, 3], [], [4, 5, 6]]
    shared = SharedArrays(({"d": dense, "s": csr}, (ragged, np.arange(4))))
    try:
        (x, (r, y)) = shared.load()
        np.testing.assert_array_equal(x["d"], dense)
        assert isinstance(x["d"], np.memmap)
        np.testing.assert_array_equal(x["s"].toarray(), csr.toarray())
        assert [list(s) for s in r] == [[1], [2, 3], [], [4, 5, 6]]
        np.testing.assert_array_equal(y, np.arange(4))
        assert shared.load()[1][1] is y  # cached per process
    finally:
        shared.close()
    assert not os.path.exists(shared.folder)


# --- cross_validate on executors: same seeds, same scores --------------------------------

@pytest.fixture(scope="module")
def pool():
    with process_pool(2) as executor:
        yield executor


def test_process_pool_gives_the_serial_scores(pool):
    x, y = regression_data()
    serial = cross_validate(build_regressor, x, y, k=4, repeats=2, fit_kwargs=FIT, seed=7)
    parallel = cross_validate(build_regressor, x, y, k=4, repeats=2, fit_kwargs=FIT, seed=7,
                              executor=pool)
    for m in serial.scores:
        np.testing.assert_array_equal(serial.scores[m], parallel.scores[m])
    assert serial.histories == parallel.histories


def test_process_pool_with_sparse_inputs(pool):
    rng = np.random.default_rng(0)
    x = sp.random(40, 30, density=0.2, format="csr", random_state=1, dtype=np.float32)
    y = (rng.random(40) > 0.5).astype("float32")
    serial = cross_validate(build_classifier, x, y, k=2, fit_kwargs={"epochs": 2}, seed=3)
    parallel = cross_validate(build_classifier, x, y, k=2, fit_kwargs={"epochs": 2}, seed=3,
                              executor=pool)
    np.testing.assert_array_equal(serial.scores["val_accuracy"], parallel.scores["val_accuracy"])
    np.testing.assert_array_equal(serial.scores["val_loss"], parallel.scores["val_loss"])


def test_pool_workers_use_one_blas_thread(pool):
    reports = [pool.submit(worker_report).result() for _ in range(4)]
    assert all(pid != os.getpid() for pid, _, _ in reports)
    for _, threads, env in reports:
        assert env == "1"
        assert all(n == 1 for n in threads.values()), threads


def test_limit_blas_threads_after_numpy_is_loaded():
    """The limit works at run time, after OpenBLAS has read its environment variables
    (a fresh process: the tests themselves run with OPENBLAS_NUM_THREADS=1)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2", PYTHONPATH=root)
    code = ("import numpy, json; from lamina.validation.threads import blas_threads, "
            "limit_blas_threads; before = blas_threads(); changed = limit_blas_threads(1); "
            "print(json.dumps([before, blas_threads(), changed]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    before, after, changed = json.loads(out.stdout)
    if not before:
        pytest.skip("no OpenBLAS found in /proc/self/maps (not Linux, or another BLAS)")
    assert set(before.values()) == {2} and set(after.values()) == {1}
    assert changed


def test_user_process_pool_and_worker_errors():
    """A plain ProcessPoolExecutor works too; a failing fold's error reaches the caller."""
    x, y = regression_data(20)
    with ProcessPoolExecutor(1) as executor:
        result = cross_validate(build_regressor, x, y, k=2, fit_kwargs={"epochs": 1}, seed=0,
                                executor=executor)
        serial = cross_validate(build_regressor, x, y, k=2, fit_kwargs={"epochs": 1}, seed=0)
        np.testing.assert_array_equal(result.scores["val_mae"], serial.scores["val_mae"])
        with pytest.raises(ValueError, match="not compiled"):
            cross_validate(build_uncompiled, x, y, k=2, executor=executor)


def test_dask_cluster_gives_the_serial_scores():
    distributed = pytest.importorskip("distributed")
    x, y = regression_data()
    serial = cross_validate(build_regressor, x, y, k=4, fit_kwargs=FIT, seed=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        parallel = cross_validate(build_regressor, x, y, k=4, fit_kwargs=FIT, seed=5,
                                  executor=client.get_executor())
        # a second run on the same arrays: its scattered copy must not clash with the first's
        again = cross_validate(build_regressor, x, y, k=4, fit_kwargs=FIT, seed=5,
                               executor=client.get_executor())
        pids = {pid for pid, _, _ in client.run(worker_report).values()}
    assert os.getpid() not in pids and len(pids) == 2
    for m in serial.scores:
        np.testing.assert_array_equal(serial.scores[m], parallel.scores[m])
        np.testing.assert_array_equal(serial.scores[m], again.scores[m])


# --- check_overlap -------------------------------------------------------------------------

def brute_force_overlap(a, b):
    equal = (a[:, None, :] == b[None, :, :]).all(axis=2)
    return np.nonzero(equal.any(axis=0))[0], np.nonzero(equal.any(axis=1))[0]


def test_check_overlap_finds_duplicated_rows():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 3, size=(200, 3)).astype("float64")  # many duplicates
    test = rng.integers(0, 4, size=(50, 3)).astype("float32")
    result = check_overlap(train, test)
    want_test, want_train = brute_force_overlap(train, test.astype("float64"))
    np.testing.assert_array_equal(result.test_indices, want_test)
    np.testing.assert_array_equal(result.train_indices, want_train)
    assert result and result.count == len(want_test)
    assert result.fraction == pytest.approx(len(want_test) / 50)
    assert f"{result.count} of 50 test rows" in str(result)


def test_check_overlap_without_duplicates():
    train = np.arange(20.0).reshape(10, 2)
    result = check_overlap(train, train + 100)
    assert not result and result.count == 0 and "no overlap" in result.message
    assert not check_overlap(train, np.array([[0.0, 1.5]]))


def test_check_overlap_zero_signs_sparse_and_sequences():
    assert check_overlap(np.array([[0.0, 1.0]]), np.array([[-0.0, 1.0]])).count == 1
    a = sp.csr_matrix(np.array([[0, 1, 0], [2, 0, 0]], dtype="float32"))
    b = sp.csr_matrix(np.array([[2, 0, 0], [0, 0, 3]], dtype="float64"))
    result = check_overlap(a, b)
    assert result.test_indices.tolist() == [0] and result.train_indices.tolist() == [1]
    train = np.empty(3, dtype=object)
    train[:] = [[1, 14, 22], [1, 5], [1, 7, 7]]
    test = np.empty(2, dtype=object)
    test[:] = [[1, 5], [1, 14]]
    result = check_overlap(train, test)
    assert result.test_indices.tolist() == [0] and result.train_indices.tolist() == [1]


def test_check_overlap_warns_and_checks_shapes():
    x = np.ones((3, 2))
    with pytest.warns(UserWarning, match="3 of 3 test rows"):
        check_overlap(x, x, warn=True)
    with pytest.raises(ValueError, match=r"train rows have shape \(2,\) but test rows have \(3,\)"):
        check_overlap(x, np.ones((3, 3)))
    with pytest.raises(TypeError, match="sparse with sparse"):
        check_overlap(sp.csr_matrix(x), x)


def test_boston_train_and_test_do_not_overlap():
    (x_train, _), (x_test, _) = keras.datasets.boston_housing.load_data()
    assert not check_overlap(x_train, x_test)
    doubled = np.concatenate([x_test[:5], x_test])
    assert check_overlap(np.concatenate([x_train, x_test[:5]]), doubled).count == 10
