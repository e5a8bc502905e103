"""Text classification from folders of raw text files as the course writes it (aclImdb):
`text_dataset_from_directory` with a validation split, `TextVectorization` as bags of words
(multi_hot unigrams, multi_hot bigrams, tf_idf bigrams) mapped over the datasets, a sequence
model (int tokens, masked Embedding, Bidirectional LSTM), and an inference model that takes
raw strings, saved and reloaded.

The stand-in reviews make the book's point about word order: a fifth of the verdicts are
negated ("not bad" is positive, "not good" negative), which a bag of unigrams cannot read
(it tops out near 0.8) while a bag of bigrams reads all of them."""
import os

import numpy as np
import pytest

import lamina as keras
from lamina import layers

POSITIVE = ["very good", "not bad"]
NEGATIVE = ["very bad", "not good"]
FILLER = ["the plot", "this film", "an actor", "the ending", "some scenes", "its music",
          "a story", "the cast", "my friend", "the director"]
VERBS = ["was", "seemed", "felt", "looked"]


def _review(rng, label):
    """One review: a verdict sentence (negated in a fifth of them) and a neutral one."""
    negated = rng.random() < 0.2
    verdict = {("pos", False): "very good", ("pos", True): "not bad",
               ("neg", False): "very bad", ("neg", True): "not good"}[label, negated]
    sentences = [f"{rng.choice(FILLER)} {rng.choice(VERBS)} {verdict}",
                 f"{rng.choice(FILLER)} {rng.choice(VERBS)} {rng.choice(VERBS)} long"]
    rng.shuffle(sentences)
    return ". ".join(s.capitalize() for s in sentences) + "."


def _write_acl_imdb(base, rng):
    for split, n in (("train", 240), ("test", 80)):
        for label in ("pos", "neg"):
            os.makedirs(base / split / label)
            for i in range(n):
                (base / split / label / f"{i}_{rng.integers(1, 11)}.txt").write_text(
                    _review(rng, label))
    os.makedirs(base / "train" / "unsup")  # the real archive has it; the book deletes it
    (base / "train" / "unsup" / "0_0.txt").write_text("unlabelled")


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    import shutil  # noqa: PLC0415  (the book's own import)

    base = tmp_path_factory.mktemp("imdb") / "aclImdb"
    _write_acl_imdb(base, np.random.default_rng(0))
    shutil.rmtree(base / "train" / "unsup")
    batch_size = 32
    train_ds = keras.utils.text_dataset_from_directory(
        base / "train", batch_size=batch_size, validation_split=0.2, subset="training",
        seed=1337)
    val_ds = keras.utils.text_dataset_from_directory(
        base / "train", batch_size=batch_size, validation_split=0.2, subset="validation",
        seed=1337)
    test_ds = keras.utils.text_dataset_from_directory(base / "test", batch_size=batch_size)
    return train_ds, val_ds, test_ds


def get_model(max_tokens=20000, hidden_dim=16):
    inputs = keras.Input(shape=(max_tokens,))
    x = layers.Dense(hidden_dim, activation="relu")(inputs)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_directory_datasets_split_the_files(datasets):
    train_ds, val_ds, test_ds = datasets
    assert train_ds.class_names == ["neg", "pos"]
    train_texts = [t for x, _ in train_ds for t in x]
    val_texts = [t for x, _ in val_ds for t in x]
    assert len(train_texts) == 384 and len(val_texts) == 96
    assert sum(len(np.asarray(y)) for _, y in train_ds) == 384
    labels = np.concatenate([np.asarray(y) for _, y in test_ds])
    assert labels.shape == (160,) and labels.sum() == 80
    for inputs, targets in train_ds:
        assert inputs.shape == (32,) and targets.shape == (32,) and targets.dtype == "int32"
        assert isinstance(inputs[0], str) and inputs[0].endswith(".")
        break


def _fit_bag_of_words(text_vectorization, datasets, tmp_path, name, epochs):
    train_ds, val_ds, test_ds = datasets
    text_only_train_ds = train_ds.map(lambda x, y: x)
    text_vectorization.adapt(text_only_train_ds)
    train = train_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    val = val_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    test = test_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    keras.utils.set_random_seed(0)
    model = get_model(max_tokens=text_vectorization.vocabulary_size())
    path = str(tmp_path / f"{name}.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(path, save_best_only=True)]
    model.fit(train.cache(), validation_data=val.cache(), epochs=epochs, callbacks=callbacks,
              verbose=0)
    model = keras.models.load_model(path)
    return model, model.evaluate(test, verbose=0)[1]


def test_bags_of_words_bigrams_read_the_negations(datasets, tmp_path):
    unigrams = layers.TextVectorization(max_tokens=20000, output_mode="multi_hot")
    _, acc_1gram = _fit_bag_of_words(unigrams, datasets, tmp_path, "binary_1gram", 25)
    assert 0.65 < acc_1gram < 0.9, acc_1gram  # "good" means positive unless negated

    bigrams = layers.TextVectorization(ngrams=2, max_tokens=20000, output_mode="multi_hot")
    model, acc_2gram = _fit_bag_of_words(bigrams, datasets, tmp_path, "binary_2gram", 25)
    # the negated verdicts are a fifth of ~400 reviews: the bigrams read most of them
    assert acc_2gram > max(0.88, acc_1gram + 0.05), (acc_1gram, acc_2gram)
    vocab = bigrams.get_vocabulary()
    assert vocab[0] == "[UNK]" and "very good" in vocab and "not bad" in vocab

    tf_idf = layers.TextVectorization(ngrams=2, max_tokens=20000, output_mode="tf_idf")
    tf_idf_model, acc_tfidf = _fit_bag_of_words(tf_idf, datasets, tmp_path, "tfidf_2gram", 25)
    assert acc_tfidf > max(0.88, acc_1gram + 0.05), (acc_1gram, acc_tfidf)
    # tf_idf counts: a repeated bigram weighs twice as much
    weights = tf_idf(["very good very good"])
    idx = {w: i for i, w in enumerate(tf_idf.get_vocabulary())}
    assert float(weights[0, idx["very good"]]) == pytest.approx(
        2 * float(tf_idf(["very good"])[0, idx["very good"]]), rel=1e-6)

    # strings in, probabilities out; the saved file keeps the adapted vocabulary
    inputs = keras.Input(shape=(1,), dtype="string")
    processed_inputs = bigrams(inputs)
    outputs = model(processed_inputs)
    inference_model = keras.Model(inputs, outputs)
    raw_text_data = np.array([["The cast was very good. The plot seemed long."],
                              ["The cast was very bad. The plot seemed long."]])
    predictions = inference_model(raw_text_data)
    p = np.asarray(predictions)[:, 0]
    assert p[0] > 0.8 and p[1] < 0.2, p
    assert f"{float(predictions[0, 0] * 100):.2f} percent positive".endswith("percent positive")
    path = str(tmp_path / "inference_model.keras")
    inference_model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(reloaded(raw_text_data)), np.asarray(predictions),
                               rtol=1e-6)
    assert reloaded.layers[1].get_vocabulary() == vocab


def test_sequence_model_with_masked_embedding_and_bidirectional_lstm(datasets, tmp_path):
    train_ds, val_ds, test_ds = datasets
    max_length = 16
    max_tokens = 200
    text_vectorization = layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                                  output_sequence_length=max_length)
    text_only_train_ds = train_ds.map(lambda x, y: x)
    text_vectorization.adapt(text_only_train_ds)
    int_train_ds = train_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    int_val_ds = val_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    int_test_ds = test_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    for x, _ in int_train_ds:
        assert x.shape == (32, max_length) and x.dtype == "int64"
        assert np.all(np.asarray(x)[:, -1] == 0)  # reviews are shorter: padded with zeros
        break

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int64")
    embedded = layers.Embedding(input_dim=max_tokens, output_dim=16, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(16))(embedded)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "embeddings_bidir_lstm_with_masking.keras")
    callbacks = [keras.callbacks.ModelCheckpoint(path, save_best_only=True)]
    history = model.fit(int_train_ds, validation_data=int_val_ds, epochs=12,
                        callbacks=callbacks, verbose=0)
    model = keras.models.load_model(path)
    test_acc = model.evaluate(int_test_ds, verbose=0)[1]
    # in a dozen short epochs the LSTM learns the words (about 0.8), not yet the negation
    assert test_acc > 0.7, (test_acc, history.history)

    # the mask makes the padding invisible: more zeros at the end change nothing
    batch = np.asarray(text_vectorization(["The cast was very good. The plot felt long."]))
    longer = np.pad(batch, ((0, 0), (0, 20)))
    np.testing.assert_allclose(model.predict(batch, verbose=0), model.predict(longer, verbose=0),
                               rtol=1e-5)
