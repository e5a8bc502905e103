"""Trigger-word detection as sequence labelling (the course's "activate" trigger word case).

Each sample is a sequence of feature frames (a stand-in for spectrogram columns): noise,
with "words" (short patterns of frames) inserted at random places. One fixed pattern is the
trigger; the others are distractors, including the trigger's own frames in another order,
so that detecting it needs the order of the frames, not just their presence. The label
sequence is 0 everywhere except `ONES` ones right after each trigger ends (the course
labels the 50 output steps after "activate").

Model: GRU(return_sequences) -> GRU(return_sequences) -> TimeDistributed(Dense(1, sigmoid)),
binary cross-entropy per step. Reported on freshly generated test sequences: per-step
accuracy, the all-zeros baseline (the fraction of 0 labels), and the recall/precision of
the positive steps.

    python examples/trigger_word.py [--quick]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import lamina as keras  # noqa: E402
from lamina import layers  # noqa: E402

STEPS, FEATURES, WORD, ONES = 60, 8, 4, 8  # frames per sequence / per frame / per word; label run
NOISE = 1.0  # background noise (std) added to every frame


def vocabulary(seed=0):
    """The trigger (WORD frames) and distractor words; fixed, shared by train and test."""
    rng = np.random.default_rng(seed)
    trigger = rng.standard_normal((WORD, FEATURES)) * 1.5
    distractors = [trigger[::-1], trigger[[1, 0, 3, 2]], trigger[[2, 3, 0, 1]]]  # same frames
    distractors += [rng.standard_normal((WORD, FEATURES)) * 1.5 for _ in range(3)]
    return trigger, distractors


def make_dataset(n, seed, vocab=None):
    """x (n, STEPS, FEATURES) float32, y (n, STEPS, 1) float32 labels."""
    trigger, distractors = vocab or vocabulary()
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, STEPS, FEATURES)) * NOISE).astype("float32")
    y = np.zeros((n, STEPS, 1), "float32")
    slot = WORD + ONES + 3  # a word, its label run and a gap: words never overlap
    for i in range(n):
        chosen = rng.choice(STEPS // slot, size=rng.integers(1, STEPS // slot + 1), replace=False)
        for j in chosen:
            s = j * slot + rng.integers(0, slot - WORD - ONES + 1)
            if rng.random() < 0.5:
                x[i, s:s + WORD] += trigger
                y[i, s + WORD:s + WORD + ONES] = 1.0
            else:
                x[i, s:s + WORD] += distractors[rng.integers(len(distractors))]
    return x, y


def build_model(units=32):
    model = keras.Sequential([
        keras.Input(shape=(None, FEATURES)),
        layers.GRU(units, return_sequences=True),
        layers.GRU(units, return_sequences=True),
        layers.TimeDistributed(layers.Dense(1, activation="sigmoid")),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def evaluate(model, x, y):
    """Per-step accuracy, all-zeros baseline, recall and precision of the positive steps."""
    pred = model.predict(x, batch_size=256, verbose=0) > 0.5
    truth = y > 0.5
    tp = np.sum(pred & truth)
    return {
        "per_step_accuracy": float(np.mean(pred == truth)),
        "all_zeros_baseline": float(np.mean(~truth)),
        "recall": float(tp / max(truth.sum(), 1)),
        "precision": float(tp / max(pred.sum(), 1)),
    }


def run(quick=False, seed=0):
    keras.utils.set_random_seed(seed)
    n_train, n_test, epochs = (1200, 400, 6) if quick else (6000, 2000, 12)
    vocab = vocabulary()
    x, y = make_dataset(n_train, seed=1, vocab=vocab)
    x_test, y_test = make_dataset(n_test, seed=2, vocab=vocab)
    model = build_model()
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return evaluate(model, x_test, y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, few epochs (tests)")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(f"all-zeros baseline: {result['all_zeros_baseline']:.4f}")
    print(f"positive steps: recall {result['recall']:.4f}, precision {result['precision']:.4f}")
    print(f"per-step accuracy: {result['per_step_accuracy']:.4f}")
    return result


if __name__ == "__main__":
    main()
