"""A dataset `.npz` cannot make the restricted unpickler expand a small file into gigabytes."""
import numpy as np
import pytest

from lamina.datasets import _npz
from lamina.datasets._npz import load_npz


def _object_npz(path, x):
    np.savez(path, x_train=x, y_train=np.zeros(len(x), np.int64))


def test_shared_list_references_are_refused_naming_the_file(tmp_path):
    shared = list(range(1000))
    x = np.empty(2000, dtype=object)
    for i in range(len(x)):
        x[i] = shared  # pickled once, then referenced 2000 times through the memo
    path = tmp_path / "imdb_bomb.npz"
    _object_npz(path, x)
    assert path.stat().st_size < 30_000  # a small file that would hold 2 million elements
    with pytest.raises(ValueError, match=r"imdb_bomb\.npz.*x_train\.npy.*expands to more than"):
        load_npz(path)


def test_a_list_containing_itself_is_refused(tmp_path):
    loop = [1, 2]
    loop.append(loop)
    x = np.empty(3, dtype=object)
    x[:] = [loop, [1], [2]]
    path = tmp_path / "cycle.npz"
    _object_npz(path, x)
    with pytest.raises(ValueError, match="cycle.npz"):
        load_npz(path)


def test_genuine_ragged_sequences_load_unchanged(tmp_path):
    rng = np.random.default_rng(0)
    x = np.empty(300, dtype=object)
    for i in range(len(x)):
        x[i] = rng.integers(1, 5000, size=rng.integers(1, 200)).tolist()
    path = tmp_path / "small_imdb.npz"
    _object_npz(path, x)
    loaded = load_npz(path)["x_train"]
    assert [len(s) for s in loaded] == [len(s) for s in x]
    assert loaded[7] == x[7]


def test_expanded_size_counts_shared_references_and_stops_past_the_limit():
    a = [0] * 10
    x = np.empty(4, dtype=object)
    x[:] = [a, a, a, a]
    assert _npz.expanded_size(x, 10**6) == 4 + 40
    loop = []
    loop.append(loop)
    assert _npz.expanded_size(loop, 100) == 101  # a cycle stops right after the limit
