"""The data adapters share one interface (trainers/data_adapter.py): the trainer asks any of
them for steps, batches and a checked sample, and never tells them apart."""
import numpy as np
import pytest

import lamina as keras
from lamina.trainers.data_adapter import DataAdapter, make_data

X = np.arange(12, dtype="float32").reshape(6, 2)
Y = np.arange(6, dtype="float32")


def test_every_kind_of_data_is_a_data_adapter_with_the_same_batches():
    kinds = {
        "arrays": make_data(X, Y, batch_size=4),
        "generator": make_data(iter([(X[:4], Y[:4]), (X[4:], Y[4:])])),
        "dataset": make_data(keras.utils.Dataset.from_tensor_slices((X, Y)).batch(4)),
    }
    for name, adapter in kinds.items():
        assert isinstance(adapter, DataAdapter), name
        batches = list(adapter.batches())
        assert [b[0].shape[0] for b in batches] == [4, 2], name
        np.testing.assert_array_equal(np.concatenate([np.asarray(b[1]) for b in batches]), Y)
        assert adapter.restart_each_epoch is False
    assert kinds["arrays"].steps() == 2 and kinds["dataset"].steps() == 2
    assert kinds["generator"].steps() is None


def test_checked_sample_is_the_whole_arrays_or_the_first_batch():
    x, y = make_data(X, Y, batch_size=4).checked_sample()
    assert x.shape == (6, 2) and y.shape == (6,)
    x, y = make_data(iter([(keras.ops.convert_to_tensor(X[:4]), Y[:4])])).checked_sample()
    assert isinstance(x, np.ndarray) and x.shape == (4, 2)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        make_data(bad, Y).checked_sample()


def test_an_adapter_missing_a_method_says_which():
    with pytest.raises(NotImplementedError, match="steps"):
        type("MyData", (DataAdapter,), {})().steps()
