"""pad_sequences, multi_hot, to_categorical, normalize, Standardizer, fill_missing."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lamina
from lamina.preprocessing import Standardizer, fill_missing, missing_features
from lamina.utils import multi_hot, normalize, pad_sequences, to_categorical

SEQS = [[1], [2, 3], [4, 5, 6], [], [7, 8, 9, 10]]


# --- pad_sequences ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "padding, truncating, expected",
    [
        ("pre", "pre", [[0, 0, 1], [0, 2, 3], [4, 5, 6], [0, 0, 0], [8, 9, 10]]),
        ("pre", "post", [[0, 0, 1], [0, 2, 3], [4, 5, 6], [0, 0, 0], [7, 8, 9]]),
        ("post", "pre", [[1, 0, 0], [2, 3, 0], [4, 5, 6], [0, 0, 0], [8, 9, 10]]),
        ("post", "post", [[1, 0, 0], [2, 3, 0], [4, 5, 6], [0, 0, 0], [7, 8, 9]]),
    ],
)
def test_pad_sequences_every_padding_truncating_combination(padding, truncating, expected):
    out = pad_sequences(SEQS, maxlen=3, padding=padding, truncating=truncating)
    assert out.dtype == np.int32 and out.shape == (5, 3)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "padding, truncating, expected",
    [
        ("pre", "pre", [[-1, 1], [2, 3], [5, 6], [-1, -1], [9, 10]]),
        ("pre", "post", [[-1, 1], [2, 3], [4, 5], [-1, -1], [7, 8]]),
        ("post", "pre", [[1, -1], [2, 3], [5, 6], [-1, -1], [9, 10]]),
        ("post", "post", [[1, -1], [2, 3], [4, 5], [-1, -1], [7, 8]]),
    ],
)
def test_pad_sequences_value_and_shorter_maxlen(padding, truncating, expected):
    out = pad_sequences(SEQS, maxlen=2, padding=padding, truncating=truncating, value=-1)
    np.testing.assert_array_equal(out, expected)


def test_pad_sequences_keras_docstring_examples_and_defaults():
    s = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(s), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(
        pad_sequences(s, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]]
    )
    np.testing.assert_array_equal(pad_sequences(s, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    # maxlen defaults to the longest sequence; dtype and float values as Keras (cast)
    out = pad_sequences([[0.5, 1.5], [2.5]], dtype="float32", value=np.nan)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.5, 1.5], [np.nan, 2.5]])
    assert pad_sequences([[1.7, 2.2]]).tolist() == [[1, 2]]


def test_pad_sequences_vectors_strings_arrays_and_errors():
    out = pad_sequences([[[1, 2]], [[3, 4], [5, 6]]])
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[0], [[0, 0], [1, 2]])
    text = pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert text.tolist() == [["<pad>", "a"], ["b", "c"]]
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = [1, 2, 3], [4]
    np.testing.assert_array_equal(pad_sequences(ragged, maxlen=2), [[2, 3], [0, 4]])
    np.testing.assert_array_equal(pad_sequences(np.array([[1, 2, 3]]), maxlen=2), [[2, 3]])
    assert pad_sequences([], maxlen=4).shape == (0, 4)
    with pytest.raises(ValueError, match="padding"):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences(SEQS, truncating="both")
    with pytest.raises(ValueError, match="non-iterable"):
        pad_sequences([[1], 2])
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="same shape"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


@settings(max_examples=60, deadline=None)
@given(
    seqs=st.lists(st.lists(st.integers(-50, 50), max_size=8), max_size=6),
    maxlen=st.one_of(st.none(), st.integers(1, 9)),
    padding=st.sampled_from(["pre", "post"]),
    truncating=st.sampled_from(["pre", "post"]),
)
def test_pad_sequences_matches_a_plain_python_reference(seqs, maxlen, padding, truncating):
    width = maxlen if maxlen is not None else max((len(s) for s in seqs), default=0)
    expected = []
    for s in seqs:
        kept = s[len(s) - width :] if truncating == "pre" and len(s) > width else s[:width]
        pad = [7] * (width - len(kept))
        expected.append(pad + kept if padding == "pre" else kept + pad)
    out = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=7)
    assert out.shape == (len(seqs), width)
    assert out.tolist() == expected


# --- multi_hot -------------------------------------------------------------------------


def naive_multi_hot(seqs, num_tokens):
    out = [[0.0] * num_tokens for _ in seqs]
    for i, s in enumerate(seqs):
        for t in s:
            out[i][t] = 1.0
    return np.array(out, dtype=np.float64).reshape(len(seqs), num_tokens)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 11), max_size=10), max_size=7))
def test_multi_hot_dense_equals_sparse_equals_naive_loop(seqs):
    dense = multi_hot(seqs, 12)
    sparse = multi_hot(seqs, 12, sparse=True)
    ref = naive_multi_hot(seqs, 12)
    assert dense.dtype == np.float32 and sparse.dtype == np.float32
    assert dense.shape == sparse.shape == (len(seqs), 12)
    np.testing.assert_array_equal(dense, ref)
    np.testing.assert_array_equal(sparse.toarray(), ref)
    assert sparse.has_canonical_format and np.all(sparse.data == 1.0)  # duplicates merged


def test_multi_hot_counts_duplicates_once_and_accepts_arrays():
    import scipy.sparse

    out = multi_hot([[3, 3, 3, 1], [0]], 5, sparse=True)
    assert isinstance(out, scipy.sparse.csr_matrix)
    assert out.nnz == 3 and out.indices.tolist() == [1, 3, 0] and out.indptr.tolist() == [0, 2, 3]
    padded = np.array([[0, 0, 4, 2], [1, 2, 3, 4]])
    np.testing.assert_array_equal(multi_hot(padded, 5), naive_multi_hot(padded.tolist(), 5))
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = [1, 4], [2]
    np.testing.assert_array_equal(multi_hot(ragged, 5), [[0, 1, 0, 0, 1], [0, 0, 1, 0, 0]])


def test_multi_hot_rejects_out_of_range_indices_naming_the_largest():
    with pytest.raises(ValueError, match="token index 17 .*num_tokens=10"):
        multi_hot([[1, 12], [17, 3]], 10)
    with pytest.raises(ValueError, match="-2"):
        multi_hot([[1, -2]], 10, sparse=True)
    with pytest.raises(ValueError, match="num_tokens"):
        multi_hot([[1]], 0)
    with pytest.raises(ValueError, match=r"\[sequence\]"):
        multi_hot([1, 2, 3], 10)
    with pytest.raises(TypeError, match="integer"):
        multi_hot(np.array([[0.5, 1.0]]), 10)


# --- to_categorical / normalize ---------------------------------------------------------


def test_to_categorical_float32_and_keras_shapes():
    out = to_categorical([0, 2, 1, 2])
    assert out.dtype == np.float32 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[0, 2, 1, 2]])
    assert to_categorical(np.array([[1], [0]]), num_classes=4).shape == (2, 4)  # (n, 1) squeezed
    assert to_categorical(np.array([[1, 0], [2, 2]])).shape == (2, 2, 3)
    assert to_categorical(3, num_classes=5).tolist() == [0, 0, 0, 1, 0]
    assert to_categorical(np.array([1], dtype=np.uint8), 2).shape == (1, 2)
    t = to_categorical(lamina.Tensor(np.array([1, 0])), 2)
    assert isinstance(t, lamina.Tensor) and t.numpy().tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="label 5 is outside"):
        to_categorical([1, 5], num_classes=3)
    with pytest.raises(ValueError, match="label -1"):
        to_categorical([-1, 1])


def test_normalize_matches_float64_reference():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    x[2] = 0
    for axis, order in [(-1, 2), (1, 1), (0, 2), (-1, np.inf)]:
        norms = np.linalg.norm(x.astype(np.float64), ord=order, axis=axis, keepdims=True)
        ref = x / np.where(norms == 0, 1, norms)
        out = normalize(x, axis=axis, order=order)
        assert out.dtype == np.float32 and out.shape == x.shape
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert normalize(np.array([3, 4])).tolist() == pytest.approx([0.6, 0.8])
    t = normalize(lamina.Tensor(np.array([[3.0, 4.0]], np.float32)))
    np.testing.assert_allclose(t.numpy(), [[0.6, 0.8]], rtol=1e-6)


# --- Standardizer ------------------------------------------------------------------------


def test_standardizer_uses_training_statistics_only(rng):
    x_train = rng.normal(5.0, 3.0, (200, 4)) * np.array([1, 10, 100, 0.1])
    x_test = rng.normal(-2.0, 1.0, (50, 4))
    s = Standardizer()
    assert s.fit(x_train) is s
    np.testing.assert_allclose(s.mean, x_train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s.std, x_train.std(axis=0), rtol=1e-12)
    out = s.transform(x_test)
    assert out.dtype == np.float32 and out.shape == x_test.shape
    ref = (x_test - x_train.mean(axis=0)) / x_train.std(axis=0)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    # the test set's own statistics would give mean 0; the training ones do not
    assert np.abs(out.mean(axis=0)).min() > 0.5
    z = s.transform(x_train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(s.inverse_transform(out), x_test, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(x_test.mean(), -2.0, atol=0.5)  # input left unchanged


def test_standardizer_guards_against_test_statistics(rng):
    x = rng.normal(size=(20, 3))
    with pytest.raises(ValueError, match="before fit"):
        Standardizer().transform(x)
    s = Standardizer().fit(x)
    with pytest.warns(UserWarning, match="leak"):
        s.fit_transform(x + 1)
    with pytest.warns(UserWarning, match="training data only"):
        s.fit(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Standardizer().fit_transform(x)  # a fresh scaler does not warn
    with pytest.raises(ValueError, match="shape"):
        s.transform(rng.normal(size=(5, 4)))
    with pytest.raises(ValueError, match="fill_missing"):
        Standardizer().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_standardizer_constant_feature_and_images():
    x = np.array([[1.0, 7.0], [3.0, 7.0]])
    np.testing.assert_array_equal(Standardizer().fit(x).transform(x), [[-1, 0], [1, 0]])
    imgs = np.arange(24, dtype=np.uint8).reshape(3, 2, 4)
    s = Standardizer().fit(imgs)
    assert s.mean.shape == (2, 4)
    np.testing.assert_allclose(s.transform(imgs)[:, 0, 0], [-1.2247449, 0, 1.2247449], rtol=1e-6)


# --- fill_missing --------------------------------------------------------------------------


def test_fill_missing_values_and_indicator_columns():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 6.0], [7.0, 8.0, 9.0]])
    np.testing.assert_array_equal(fill_missing(x), [[1, 0, 3], [0, 0, 6], [7, 8, 9]])
    np.testing.assert_array_equal(fill_missing(x, value=-1)[1], [-1, -1, 6])
    out = fill_missing(x, indicator=True)
    assert out.dtype == np.float64 and out.shape == (3, 5)
    np.testing.assert_array_equal(out[:, 3:], [[0, 1], [1, 1], [0, 0]])
    assert missing_features(x).tolist() == [0, 1]
    # test data: the training data's indicator columns, even where it has no NaN
    x_test = np.array([[np.nan, 2.0, np.nan]], dtype=np.float32)
    out = fill_missing(x_test, indicator=missing_features(x))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 2, 0, 1, 0]])
    assert np.isnan(x).sum() == 3  # input unchanged
    assert fill_missing(np.array([[1, 2]])).dtype == np.float32
    with pytest.raises(ValueError, match="finite"):
        fill_missing(x, value=np.nan)
    with pytest.raises(ValueError, match="out of range"):
        fill_missing(x, indicator=[3])
