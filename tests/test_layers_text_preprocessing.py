"""Text and categorical preprocessing layers: vocabularies and outputs computed by hand or
taken from Keras's documented examples, hashes against reference values, configs, `.keras`
round trips (vocabularies as assets), and a small text classifier."""
import json
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers.preprocessing.hash_functions import fingerprint64, siphash64

# --- TextVectorization ------------------------------------------------------------------

def test_text_vectorization_keras_docs_example():
    layer = layers.TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    # counts: bar 2, baz 2, foo/bada/boom 1; ties by decreasing token
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    out = layer([["foo qux bar"], ["qux baz"]])
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [[4, 1, 3, 0], [1, 2, 0, 0]])
    given = layers.TextVectorization(vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert given.get_vocabulary(include_special_tokens=False) == ["earth", "wind", "and", "fire"]


def test_standardize_and_split_as_tensorflow():
    layer = layers.TextVectorization(vocabulary=["hello", "world", "its", "é", "ÉtÉ"])
    # ASCII-only lowercase ("ÉTÉ" -> "ÉtÉ"); string.punctuation removed ("It's" -> "its",
    # "(hello)-[world]" -> "helloworld", OOV); runs of ASCII whitespace split
    out = layer(["Hello,  World!\tIt's  ÉTÉ\né", "(hello)-[world]"]).numpy()
    np.testing.assert_array_equal(out, [[2, 3, 4, 6, 5], [1, 0, 0, 0, 0]])
    chars = layers.TextVectorization(split="character", standardize=None)
    chars.adapt(["abca"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "c", "b"]
    raw = layers.TextVectorization(split=None, standardize="lower")
    raw.adapt(["New York", "new york", "Paris"])
    assert raw.get_vocabulary() == ["", "[UNK]", "new york", "paris"]


def test_vocabulary_order_max_tokens_and_padding():
    corpus = ["b a c", "a c", "d"]
    layer = layers.TextVectorization()
    layer.adapt(corpus)
    assert layer.get_vocabulary() == ["", "[UNK]", "c", "a", "d", "b"]
    np.testing.assert_array_equal(layer(["d b a c a", "c"]).numpy(), [[4, 5, 3, 2, 3],
                                                                       [2, 0, 0, 0, 0]])
    small = layers.TextVectorization(max_tokens=4, output_sequence_length=3)
    small.adapt(corpus)
    assert small.get_vocabulary() == ["", "[UNK]", "c", "a"]
    np.testing.assert_array_equal(small(["d b a c a"]).numpy(), [[1, 1, 3]])  # truncated
    assert small.vocabulary_size() == 4


def test_bag_of_words_outputs_by_hand():
    corpus = ["the cat sat", "the dog sat", "a cat"]
    multi = layers.TextVectorization(output_mode="multi_hot")
    multi.adapt(corpus)
    vocab = multi.get_vocabulary()
    assert vocab == ["[UNK]", "the", "sat", "cat", "dog", "a"]  # no mask token
    out = multi(["cat cat zebra dog", ""])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0, 1, 1, 0], [0, 0, 0, 0, 0, 0]])
    count = layers.TextVectorization(output_mode="count", vocabulary=vocab[1:])
    np.testing.assert_array_equal(count(["cat cat zebra dog the"]).numpy(), [[1, 1, 0, 2, 1, 0]])
    padded = layers.TextVectorization(output_mode="multi_hot", max_tokens=10,
                                      pad_to_max_tokens=True)
    padded.adapt(corpus)
    assert padded(["cat"]).shape == (1, 10)


def test_tf_idf_weights_by_hand():
    layer = layers.TextVectorization(output_mode="tf_idf")
    layer.adapt(["a b", "a c", "a"])
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf = {t: np.log(1 + 3 / (1 + df)) for t, df in {"a": 3, "c": 1, "b": 1}.items()}
    oov = np.mean([idf["a"], idf["c"], idf["b"]])
    out = layer(["a b b x"]).numpy()
    np.testing.assert_allclose(out, [[oov, idf["a"], 0.0, 2 * idf["b"]]], rtol=1e-6)


def test_ngrams():
    layer = layers.TextVectorization(ngrams=2)
    layer.adapt(["a b c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "c", "b c", "b", "a b", "a"]
    np.testing.assert_array_equal(layer(["a b"]).numpy(), [[6, 4, 5]])  # a, b, "a b"
    bigrams = layers.TextVectorization(ngrams=(2,))
    bigrams.adapt(["a b c"])
    assert bigrams.get_vocabulary() == ["", "[UNK]", "b c", "a b"]


def test_adapt_from_batches_generators_and_steps():
    texts = ["x y", "y z", "z z"]

    class Batches(lamina.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.array(texts[i * 2:i * 2 + 2]), np.zeros(2)

    from_pydataset = layers.TextVectorization()
    from_pydataset.adapt(Batches())
    assert from_pydataset.get_vocabulary() == ["", "[UNK]", "z", "y", "x"]
    from_generator = layers.TextVectorization()
    from_generator.adapt(np.array(texts[i:i + 1]) for i in range(3))
    assert from_generator.get_vocabulary() == ["", "[UNK]", "z", "y", "x"]
    first_batch = layers.TextVectorization()
    first_batch.adapt(Batches(), steps=1)
    assert first_batch.get_vocabulary() == ["", "[UNK]", "y", "z", "x"]


def test_adapt_from_a_lamina_dataset():
    dataset = pytest.importorskip("lamina.utils.dataset")
    ds = dataset.Dataset.from_tensor_slices((np.array(["x y", "y z", "z z"]), np.arange(3)))
    layer = layers.TextVectorization()
    layer.adapt(ds.batch(2))
    assert layer.get_vocabulary() == ["", "[UNK]", "z", "y", "x"]


def test_text_vectorization_shapes_and_errors():
    layer = layers.TextVectorization(output_sequence_length=5, vocabulary=["a"])
    symbolic = layer(lamina.Input(shape=(1,), dtype="string"))
    assert symbolic.shape == (None, 5) and symbolic.dtype == "int64"
    np.testing.assert_array_equal(layer("a b").numpy(), [2, 1, 0, 0, 0])  # one string
    with pytest.raises(ValueError, match="shape"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="output_sequence_length"):
        layers.TextVectorization(output_mode="multi_hot", output_sequence_length=3)
    with pytest.raises(ValueError, match="standardize"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(RuntimeError, match="adapt"):
        layers.TextVectorization(output_mode="count")(["a"])
    with pytest.raises(ValueError, match="cannot adapt"):
        layers.TextVectorization(vocabulary=["a"]).adapt(["b"])


# --- StringLookup / IntegerLookup -------------------------------------------------------

VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]


def test_string_lookup_keras_docs_examples():
    np.testing.assert_array_equal(layers.StringLookup(vocabulary=VOCAB)(DATA).numpy(),
                                  [[1, 3, 4, 4], [4, 0, 2, 0]])
    two_oov = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    np.testing.assert_array_equal(two_oov([["a", "c", "d"], ["m", "z", "b"]]).numpy(),
                                  [[2, 4, 5], [0, 1, 3]])  # FarmHash buckets of "m", "z"
    one_hot = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(["a", "z"]).numpy(), [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    multi = layers.StringLookup(vocabulary=VOCAB, output_mode="multi_hot")
    np.testing.assert_array_equal(multi(DATA).numpy(), [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]])
    count = layers.StringLookup(vocabulary=VOCAB, output_mode="count")
    np.testing.assert_array_equal(count(DATA).numpy(), [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]])
    tfidf = layers.StringLookup(output_mode="tf_idf")
    tfidf.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(DATA).numpy(), [[0, 0.25, 0, 0.6, 0.8],
                                                     [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    tfidf.set_vocabulary(["[UNK]"] + VOCAB, idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(DATA).numpy()[1], [1.8, 0, 0.75, 0, 0.4], rtol=1e-6)


def test_string_lookup_mask_invert_and_round_trip():
    masked = layers.StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    ids = masked([["a", "", "z"]])
    np.testing.assert_array_equal(ids.numpy(), [[2, 0, 1]])
    inverse = layers.StringLookup(vocabulary=masked.get_vocabulary(), mask_token="", invert=True)
    assert inverse(ids).numpy().tolist() == [["a", "", "[UNK]"]]
    plain_inverse = layers.StringLookup(vocabulary=VOCAB, invert=True)
    assert plain_inverse([[1, 3, 4], [4, 0, 2]]).numpy().tolist() == [["a", "c", "d"],
                                                                       ["d", "[UNK]", "b"]]
    assert masked(np.array([b"b", b"d"])).numpy().tolist() == [3, 5]  # bytes are decoded
    symbolic = inverse(lamina.Input(shape=(3,), dtype="int64"))
    assert symbolic.dtype == "string"


def test_string_lookup_adapt_and_errors():
    layer = layers.StringLookup(max_tokens=4)
    layer.adapt([["a", "b", "b"], ["c", "c", "c"], ["a", "d", "e"]])
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "a"]  # a/b tie: decreasing token
    strict = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)
    np.testing.assert_array_equal(strict(["d", "a"]).numpy(), [3, 0])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        strict(["a", "zz"])
    with pytest.raises(ValueError, match="repeats"):
        layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="max_tokens"):
        layers.StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="invert"):
        layers.StringLookup(invert=True, output_mode="multi_hot")
    with pytest.raises(TypeError, match="strings"):
        layers.StringLookup(vocabulary=VOCAB)(np.array([1.5]))


def test_integer_lookup_keras_docs_examples():
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    layer = layers.IntegerLookup(vocabulary=vocab)
    ids = layer(data)
    np.testing.assert_array_equal(ids.numpy(), [[1, 3, 4], [4, 0, 2]])
    assert layer.get_vocabulary() == [-1, 12, 36, 1138, 42]
    inverse = layers.IntegerLookup(vocabulary=layer.get_vocabulary(), invert=True)
    np.testing.assert_array_equal(inverse(ids).numpy(), [[12, 1138, 42], [42, -1, 36]])
    two_oov = layers.IntegerLookup(vocabulary=vocab, num_oov_indices=2)
    np.testing.assert_array_equal(two_oov(np.array([[12, 1138, 42], [37, 1000, 36]])).numpy(),
                                  [[2, 4, 5], [1, 0, 3]])  # 37 % 2, 1000 % 2
    masked = layers.IntegerLookup(vocabulary=vocab, mask_token=0)
    np.testing.assert_array_equal(masked(np.array([[12, 0, 7]])).numpy(), [[2, 0, 1]])
    tfidf = layers.IntegerLookup(output_mode="tf_idf", vocabulary=vocab,
                                 idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tfidf(np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])).numpy(),
                               [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], rtol=1e-6)
    adapted = layers.IntegerLookup()
    adapted.adapt(np.array([5, 3, 5, 9, 3, 7]))
    assert adapted.get_vocabulary() == [-1, 5, 3, 9, 7]


# --- CategoryEncoding, Hashing, Discretization ------------------------------------------

def test_category_encoding_keras_docs_examples():
    one_hot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot([3, 2, 0, 1]).numpy(), np.eye(4)[[3, 2, 0, 1]])
    multi = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    np.testing.assert_array_equal(multi([[0, 1], [0, 0], [1, 2], [3, 1]]).numpy(),
                                  [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    count = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(count([[0, 1], [0, 0], [1, 2], [3, 1]], count_weights=weights)
                               .numpy(), [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0],
                                          [0, .2, 0, .4]], rtol=1e-6)
    assert one_hot(np.array([[1], [2]])).shape == (2, 4)
    assert multi(lamina.Input(shape=(3,), dtype="int64")).shape == (None, 4)
    with pytest.raises(ValueError, match="num_tokens=4"):
        multi([[0, 4]])


def test_hash_functions_match_reference_values():
    # FarmHash Fingerprint64 (pyfarmhash) and SipHash-2-4 (siphashc), one value per code path
    fp = {b"": 11160318154034397263, b"A": 16915294056622060564, b"abc": 2640714258260161385,
          b"hello world": 6381520714923946011, b"the quick brown fox": 12567127514430074161,
          b"the quick brown fox jumps over the lazy dog": 12423751071000433619,
          b"0123456789" * 13: 10720775057524481284}
    for data, value in fp.items():
        assert fingerprint64(data) == value, data
    sip = {b"": 4928313950774450900, b"A": 11957819678194627024,
           b"hello world": 3672456908529363296, b"0123456789" * 3: 15475032839144217809}
    for data, value in sip.items():
        assert siphash64(133, 137, data) == value, data


def test_hashing_keras_docs_examples():
    inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
    out = layers.Hashing(num_bins=3)(inp)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy().ravel(), [1, 0, 1, 1, 2])
    masked = layers.Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]])
    np.testing.assert_array_equal(masked.numpy().ravel(), [1, 1, 0, 2, 2])
    salted = layers.Hashing(num_bins=3, salt=[133, 137])(inp)
    np.testing.assert_array_equal(salted.numpy().ravel(), [1, 2, 1, 0, 2])
    one_salt = layers.Hashing(num_bins=3, salt=133)(inp)
    np.testing.assert_array_equal(one_salt.numpy().ravel(), [0, 0, 2, 1, 0])


def test_hashing_integers_as_decimal_strings_and_encodings():
    out = layers.Hashing(num_bins=7)(np.array([[1], [42], [-7], [42]]))
    np.testing.assert_array_equal(out.numpy().ravel(), [5, 6, 2, 6])  # FarmHash of "1", "42", "-7"
    floats = layers.Hashing(num_bins=7)(np.array([1.9, 42.2]))
    np.testing.assert_array_equal(floats.numpy(), [5, 6])  # truncated to 1 and 42
    one_hot = layers.Hashing(num_bins=7, output_mode="one_hot")([["cat"], ["dog"]])
    assert one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(7)[[0, 5]])
    multi = layers.Hashing(num_bins=7, output_mode="multi_hot")([["cat", "dog", "cat"]])
    np.testing.assert_array_equal(multi.numpy(), [[1, 0, 0, 0, 0, 1, 0]])


def test_discretization_keras_docs_examples():
    x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    layer = layers.Discretization(bin_boundaries=[0., 1., 2.])
    out = layer(x)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [[0, 2, 3, 1], [1, 3, 2, 1]])
    adapted = layers.Discretization(num_bins=4, epsilon=0.01)
    adapted.adapt(x)
    np.testing.assert_array_equal(adapted(x).numpy(), [[0, 2, 3, 2], [1, 3, 3, 1]])
    np.testing.assert_allclose(adapted.bin_boundaries, [0.0, 0.5, 1.3], rtol=1e-6)
    quartiles = layers.Discretization(num_bins=4)
    quartiles.adapt(np.arange(1000, dtype=np.float32))
    # Keras's summary keeps every 10th sorted value (10, 20, ..., 990, weight 10 each) and
    # interpolates the cumulative weights k / 99 at 1/4, 1/2, 3/4: value 990 p
    np.testing.assert_allclose(quartiles.bin_boundaries, [247.5, 495.0, 742.5], rtol=1e-6)
    one_hot = layers.Discretization(bin_boundaries=[0.0], output_mode="one_hot")
    np.testing.assert_array_equal(one_hot(np.array([-1.0, 2.0])).numpy(), [[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[0.0], num_bins=2)


# --- configs ----------------------------------------------------------------------------

CONFIG_CASES = [
    lambda: layers.TextVectorization(max_tokens=10, ngrams=2, output_sequence_length=4,
                                     vocabulary=["a", "b"]),
    lambda: layers.StringLookup(vocabulary=VOCAB, mask_token="", num_oov_indices=2),
    lambda: layers.StringLookup(output_mode="tf_idf", vocabulary=VOCAB,
                                idf_weights=[0.1, 0.2, 0.3, 0.4]),
    lambda: layers.IntegerLookup(vocabulary=[3, 9], mask_token=0, invert=True),
    lambda: layers.CategoryEncoding(num_tokens=5, output_mode="count"),
    lambda: layers.Hashing(num_bins=4, salt=(1, 2), mask_value="", output_mode="multi_hot"),
    lambda: layers.Discretization(bin_boundaries=[0.5, 1.5]),
]


@pytest.mark.parametrize("make", CONFIG_CASES)
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = lamina.saving.deserialize_keras_object(
        json.loads(json.dumps(lamina.saving.serialize_keras_object(layer))))
    assert type(clone) is type(layer) and clone.get_config() == json.loads(json.dumps(config))


def test_config_of_adapted_layers():
    layer = layers.TextVectorization(max_tokens=10)
    layer.adapt(["a b b"])
    config = layer.get_config()
    assert config["vocabulary"] is None and config["vocabulary_size"] == 4  # vocab is an asset
    assert set(config) - {"name", "trainable", "dtype"} == {
        "max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
        "pad_to_max_tokens", "sparse", "ragged", "vocabulary", "idf_weights", "encoding",
        "vocabulary_size"}
    disc = layers.Discretization(num_bins=2)
    disc.adapt(np.arange(10.0))
    clone = layers.Discretization.from_config(disc.get_config())
    assert clone.bin_boundaries == disc.bin_boundaries and clone.num_bins == 2


# --- saving -----------------------------------------------------------------------------

def _text_model(vectorizer):
    inputs = lamina.Input(shape=(1,), dtype="string")
    x = vectorizer(inputs)
    x = layers.Embedding(vectorizer.vocabulary_size(), 4)(x)
    x = layers.GlobalAveragePooling1D()(x)
    return lamina.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


def test_keras_file_round_trip_with_adapted_text_vectorization(tmp_path):
    texts = np.array([["good movie"], ["bad film"], ["great great plot"], ["dull plot"]])
    vectorizer = layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    vectorizer.adapt(texts[:, 0])
    model = _text_model(vectorizer)
    path = tmp_path / "text.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        vocab_text = zf.read("assets/layers/text_vectorization/vocabulary.txt").decode("utf-8")
    assert vocab_text == "\n".join(vectorizer.get_vocabulary())  # Keras's asset format
    loaded = lamina.models.load_model(path)
    assert loaded.layers[1].get_vocabulary() == vectorizer.get_vocabulary()
    np.testing.assert_array_equal(loaded.layers[1](texts).numpy(), vectorizer(texts).numpy())
    np.testing.assert_allclose(loaded.predict(texts, verbose=0), model.predict(texts, verbose=0),
                               rtol=1e-6)


def test_keras_file_round_trip_with_given_vocabulary_and_tf_idf(tmp_path):
    given = layers.TextVectorization(vocabulary=["good", "bad"], output_sequence_length=3)
    path = tmp_path / "given.keras"
    _text_model(given).save(path)
    with zipfile.ZipFile(path) as zf:
        assert not [n for n in zf.namelist() if n.startswith("assets/")]  # vocab in config
    assert lamina.models.load_model(path).layers[1].get_vocabulary() == ["", "[UNK]", "good", "bad"]

    lookup = layers.StringLookup(output_mode="tf_idf")
    lookup.adapt([["x", "y"], ["x", "x"], ["z", "x"]])
    inputs = lamina.Input(shape=(2,), dtype="string")
    model = lamina.Model(inputs, layers.Dense(1)(lookup(inputs)))
    data = np.array([["x", "q"], ["z", "y"]])
    model.save(tmp_path / "tfidf.keras")
    loaded = lamina.models.load_model(tmp_path / "tfidf.keras")
    restored = loaded.layers[1]
    assert restored.get_vocabulary() == lookup.get_vocabulary()
    np.testing.assert_array_equal(restored.idf_weights, lookup.idf_weights)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_vocabulary_is_read_from_the_asset_member(tmp_path):
    lookup = layers.StringLookup()
    lookup.adapt(["a", "b", "b"])
    inputs = lamina.Input(shape=(2,), dtype="string")
    lamina.Model(inputs, lookup(inputs)).save(tmp_path / "lookup.keras")
    edited = tmp_path / "edited.keras"
    with zipfile.ZipFile(tmp_path / "lookup.keras") as src, zipfile.ZipFile(edited, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("vocabulary.txt"):
                data = "[UNK]\nz\ny\nx".encode("utf-8")  # as a Keras-written file would hold
            dst.writestr(info, data)
        dst.writestr("assets/../outside.txt", b"ignored: names with '..' are refused")
    loaded = lamina.models.load_model(edited)
    assert loaded.layers[1].get_vocabulary() == ["[UNK]", "z", "y", "x"]
    np.testing.assert_array_equal(loaded.predict(np.array([["x", "b"]]), verbose=0), [[3, 0]])


def test_models_without_assets_keep_keras_three_members(tmp_path):
    model = lamina.Sequential([lamina.Input(shape=(3,)), layers.Dense(2)])
    model.save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as zf:
        names = zf.namelist()
    # Keras's three, plus lamina's random state (which Keras ignores); no assets
    assert names[:2] == ["metadata.json", "config.json"] and len(names) == 4
    assert names[3] == "lamina_random_state.json"


def test_keras_asset_api_on_folders(tmp_path):
    layer = layers.StringLookup()
    layer.adapt(["b", "a", "b"])
    layer.save_assets(str(tmp_path))
    assert (tmp_path / "vocabulary.txt").read_text(encoding="utf-8") == "[UNK]\nb\na"
    fresh = layers.StringLookup()
    fresh.load_assets(str(tmp_path))
    assert fresh.get_vocabulary() == ["[UNK]", "b", "a"]


# --- training ---------------------------------------------------------------------------

def _corpus(n, rng):
    positive = ["great", "superb", "lovely", "brilliant", "fun"]
    negative = ["awful", "boring", "dull", "terrible", "bad"]
    filler = ["the", "movie", "film", "was", "a", "plot", "actors", "story", "and", "it"]
    labels = rng.integers(0, 2, n)
    texts = []
    for label in labels:
        words = list(rng.choice(filler, rng.integers(4, 9)))
        words += list(rng.choice(positive if label else negative, rng.integers(1, 3)))
        rng.shuffle(words)
        texts.append(" ".join(words).capitalize() + "!")
    return np.array(texts), labels.astype(np.float32)


def test_tiny_text_classifier_learns():
    lamina.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    texts, labels = _corpus(300, rng)
    vectorizer = layers.TextVectorization(max_tokens=40, output_sequence_length=10)
    vectorizer.adapt(texts[:240])
    model = lamina.Sequential([vectorizer, layers.Embedding(40, 8),
                               layers.GlobalAveragePooling1D(),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lamina.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(texts[:240], labels[:240], epochs=15, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(texts[240:], labels[240:], verbose=0)
    assert accuracy >= 0.95
