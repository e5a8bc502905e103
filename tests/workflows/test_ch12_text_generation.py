"""Character-level text generation as the course writes it: one-hot windows of `maxlen`
characters (boolean arrays) and the next character, an LSTM with a softmax over the
characters, RMSprop(learning_rate=0.01), and sampling with a temperature (the book's NumPy
`sample` and `keras.random.categorical` on reweighted logits).

The stand-in corpus: sentences from a small grammar ("the cat sat on the mat. a dog ran to
the park. ..."), so generated text can be checked word by word against the grammar."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers

SUBJECTS = ["the cat", "a dog", "the bird", "my friend"]
VERBS = ["sat on", "ran to", "looked at", "slept near"]
PLACES = ["the mat", "the park", "the house", "a tree"]


def _corpus(n_sentences, rng):
    return " ".join(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(PLACES)}."
                    for _ in range(n_sentences))


def sample(preds, temperature=1.0):
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


def reweight_distribution(original_distribution, temperature=0.5):
    distribution = np.log(original_distribution) / temperature
    distribution = np.exp(distribution)
    return distribution / np.sum(distribution)


def test_reweighting_sharpens_and_flattens():
    p = np.array([0.5, 0.3, 0.2])
    cold, hot = reweight_distribution(p, 0.2), reweight_distribution(p, 5.0)
    np.testing.assert_allclose(cold, p ** 5 / np.sum(p ** 5))
    assert cold[0] > 0.9 and np.ptp(hot) < 0.07
    np.random.seed(0)
    draws = np.bincount([sample(p, 1.0) for _ in range(4000)], minlength=3) / 4000
    np.testing.assert_allclose(draws, p, atol=0.03)
    # keras.random.categorical draws from softmax(logits): logits log(p) / T give the same law
    logits = np.log(p)[None] / 0.5
    ids = keras.random.categorical(logits, 4000, seed=1)
    freq = np.bincount(np.asarray(ids)[0], minlength=3) / 4000
    np.testing.assert_allclose(freq, reweight_distribution(p, 0.5), atol=0.03)


def _words_ok(generated):
    """Share of generated words that belong to the grammar's vocabulary."""
    vocab = set(" ".join(SUBJECTS + VERBS + PLACES).split())
    words = generated.replace(".", " ").split()[1:-1]  # the ends may be cut
    return np.mean([w in vocab for w in words]) if words else 0.0


def test_character_lstm_learns_the_corpus_and_samples_it_at_low_temperature():
    text = _corpus(260, np.random.default_rng(0))
    maxlen = 20
    step = 3
    sentences = []
    next_chars = []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i: i + maxlen])
        next_chars.append(text[i + maxlen])
    chars = sorted(list(set(text)))
    char_indices = dict((char, chars.index(char)) for char in chars)
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)
    y = np.zeros((len(sentences), len(chars)), dtype=bool)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1
    assert len(chars) == 22 and x.shape == (len(sentences), maxlen, 22)  # 20 letters, " ", "."

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(maxlen, len(chars))),
        layers.LSTM(64),
        layers.Dense(len(chars), activation="softmax"),
    ])
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)
    history = model.fit(x, y, batch_size=128, epochs=14, verbose=0)
    losses = history.history["loss"]
    # the corpus' own entropy: 3 choices among 4 per sentence of ~27 characters,
    # 3 ln 4 / 27 = 0.154 nats per character (measured: 0.16-0.19 from epoch 10 on)
    assert losses[-1] < 0.25, losses

    def generate(seed_text, temperature, length=160, use_keras_random=False):
        generated = seed_text
        sentence = seed_text
        for i in range(length):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.0
            preds = model.predict(x_pred, verbose=0)[0]
            if use_keras_random:
                logits = np.log(preds)[None] / temperature
                next_index = int(np.asarray(keras.random.categorical(logits, 1, seed=i))[0, 0])
            else:
                next_index = sample(preds, temperature)
            next_char = chars[next_index]
            sentence = sentence[1:] + next_char
            generated += next_char
        return generated

    np.random.seed(0)
    seed_text = text[:maxlen]
    cold = generate(seed_text, 0.2)
    cold_keras = generate(seed_text, 0.2, use_keras_random=True)
    hot = generate(seed_text, 3.0)
    # at 0.2 the text follows the grammar: known words, sentences of the right length
    assert _words_ok(cold) > 0.95, cold
    assert _words_ok(cold_keras) > 0.95, cold_keras
    sentence_words = [len(s.split()) for s in cold[maxlen:].split(".")[1:-1]]
    assert sentence_words and all(5 <= n <= 6 for n in sentence_words), cold
    # a high temperature flattens the distribution: many made-up words
    assert _words_ok(hot) < _words_ok(cold) - 0.2, (cold, hot)
