"""Face verification, identification and clustering with a triplet loss (FaceNet, as in the
course's face recognition case), on MNIST with identity = digit class.

An encoder maps an image to a unit-length embedding. It is trained on (anchor, positive,
negative) triplets: anchor and positive share an identity, the negative has another, and
`lamina.losses.TripletLoss(margin)` pushes d(a, p) + margin below d(a, n) (squared
Euclidean distances). The triplet model is `TimeDistributed(encoder)` on (batch, 3, 784):
one shared encoder applied to the three images, its (batch, 3, dim) output the loss's y_pred.

Then, on images the encoder never saw:
- verification ("is this the same person?"): same identity iff the distance between two
  embeddings is below a threshold, chosen on validation pairs and scored on test pairs;
- identification ("who is this?"): k-nearest neighbours among a labelled gallery;
- grouping ("which photos are of the same person?"): k-means on the embeddings, scored by
  cluster purity.

    LAMINA_DATASETS=../shared/datasets python examples/face_verification.py [--quick]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import lamina as keras  # noqa: E402
from lamina import layers, ops  # noqa: E402

MARGIN, DIM = 0.2, 32


def load(quick):
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255.0
    n_train, n_test = (12000, 2000) if quick else (55000, 10000)
    val = slice(55000, 60000 if not quick else 57000)  # validation: threshold and gallery
    return ((x_train[:n_train], y_train[:n_train]), (x_train[val], y_train[val]),
            (x_test[:n_test], y_test[:n_test]))


def build_encoder():
    return keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(DIM),
        layers.Lambda(lambda t: ops.normalize(t, axis=-1)),  # unit length: distances in [0, 4]
    ], name="encoder")


def sample_triplets(x, y, n, rng):
    """(n, 3, features): anchor and positive of one class, negative of another."""
    by_class = [np.flatnonzero(y == c) for c in range(10)]
    anchor_cls = rng.integers(0, 10, n)
    neg_cls = (anchor_cls + rng.integers(1, 10, n)) % 10
    idx = np.empty((n, 3), int)
    for c in range(10):
        sel = anchor_cls == c
        idx[sel, 0] = rng.choice(by_class[c], sel.sum())
        idx[sel, 1] = rng.choice(by_class[c], sel.sum())
        sel = neg_cls == c
        idx[sel, 2] = rng.choice(by_class[c], sel.sum())
    return x[idx]


def pairs(y, n, rng):
    """n index pairs, half of the same identity, half of different ones; and same/different."""
    i = rng.integers(0, len(y), n)
    by_class = [np.flatnonzero(y == c) for c in range(10)]
    j = rng.integers(0, len(y), n)
    same = np.arange(n) < n // 2
    for k in np.flatnonzero(same):
        j[k] = rng.choice(by_class[y[i[k]]])
    return i, j, y[i] == y[j]


def sq_distances(a, b):
    return np.sum((a - b) ** 2, axis=-1)


def best_threshold(d, same):
    """The distance threshold with the highest accuracy of `d < threshold` == same."""
    candidates = np.unique(d)
    acc = [np.mean((d < t) == same) for t in candidates]
    return float(candidates[int(np.argmax(acc))])


def knn_accuracy(gallery, gallery_y, probe, probe_y, k=5):
    d = -2 * probe @ gallery.T + np.sum(gallery ** 2, 1)[None]  # + |probe|^2: same ranking
    nearest = np.argpartition(d, k, axis=1)[:, :k]
    votes = gallery_y[nearest]
    pred = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    return float(np.mean(pred == probe_y))


def kmeans(x, k, rng, iters=50, restarts=4):
    """Lloyd's k-means with k-means++ seeding; the labels of the lowest-inertia restart."""
    best, best_inertia = None, np.inf
    for _ in range(restarts):
        centers = [x[rng.integers(len(x))]]
        for _ in range(1, k):
            d = np.min([sq_distances(x, c) for c in centers], axis=0)
            centers.append(x[rng.choice(len(x), p=d / d.sum())])
        centers = np.array(centers)
        for _ in range(iters):
            labels = np.argmin(((x[:, None] - centers[None]) ** 2).sum(-1), axis=1)
            new = np.array([x[labels == c].mean(0) if np.any(labels == c) else centers[c]
                            for c in range(k)])
            if np.allclose(new, centers):
                break
            centers = new
        inertia = float(np.sum((x - centers[labels]) ** 2))
        if inertia < best_inertia:
            best, best_inertia = labels, inertia
    return best


def purity(labels, y):
    return float(sum(np.bincount(y[labels == c]).max() for c in np.unique(labels)) / len(y))


def run(quick=False, seed=0):
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    (x, y), (x_val, y_val), (x_test, y_test) = load(quick)
    encoder = build_encoder()
    model = keras.Sequential([keras.Input(shape=(3, 784)), layers.TimeDistributed(encoder)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.TripletLoss(margin=MARGIN))
    epochs, per_epoch = (3, 12000) if quick else (10, 50000)
    for _ in range(epochs):  # fresh random triplets every epoch
        triplets = sample_triplets(x, y, per_epoch, rng)
        history = model.fit(triplets, np.zeros(per_epoch, "float32"), batch_size=128, epochs=1,
                            verbose=0)
    e_val = encoder.predict(x_val, batch_size=1000, verbose=0)
    e_test = encoder.predict(x_test, batch_size=1000, verbose=0)

    i, j, same = pairs(y_val, 4000, rng)
    threshold = best_threshold(sq_distances(e_val[i], e_val[j]), same)
    i, j, same = pairs(y_test, 4000, rng)
    verification = float(np.mean((sq_distances(e_test[i], e_test[j]) < threshold) == same))
    identification = knn_accuracy(e_val, y_val, e_test, y_test, k=5)
    sub = slice(0, 2000)
    cluster_purity = purity(kmeans(e_test[sub], 10, rng), y_test[sub])
    return {"final_triplet_loss": float(history.history["loss"][-1]), "threshold": threshold,
            "verification_accuracy": verification, "knn_accuracy": identification,
            "kmeans_purity": cluster_purity}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a data subset, few epochs (tests)")
    args = parser.parse_args(argv)
    r = run(quick=args.quick)
    print(f"final triplet loss: {r['final_triplet_loss']:.4f} (margin {MARGIN})")
    print(f"verification accuracy (threshold {r['threshold']:.3f} on held-out pairs): "
          f"{r['verification_accuracy']:.4f}")
    print(f"identification accuracy (5-NN): {r['knn_accuracy']:.4f}")
    print(f"k-means (k=10) cluster purity: {r['kmeans_purity']:.4f}")
    return r


if __name__ == "__main__":
    main()
