"""A training loop written by hand with GradientTape (chapter 7), on MNIST.

    python examples/custom_training_loop.py     # 3 epochs: validation accuracy ~0.97

What `fit` does, step by step: run the model under a tape, compute the loss, take the
gradients of the loss with respect to the trainable weights, let the optimizer apply them,
and keep running metrics, reset at each epoch. Evaluation runs the model with
`training=False` (dropout off) and updates the metrics only.
"""
import argparse

import numpy as np

import lamina as keras
from lamina import layers


def get_mnist_model():
    inputs = keras.Input(shape=(28 * 28,))
    features = layers.Dense(512, activation="relu")(inputs)
    features = layers.Dropout(0.5)(features)
    outputs = layers.Dense(10, activation="softmax")(features)
    return keras.Model(inputs, outputs)


def batches(x, y, batch_size, rng=None):
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        yield x[idx], y[idx]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, help="train on the first N digits only (quick run)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    (images, labels), _ = keras.datasets.mnist.load_data()
    images = images.reshape((60000, 28 * 28)).astype("float32") / 255
    train_images, val_images = images[10000:], images[:10000]
    train_labels, val_labels = labels[10000:], labels[:10000]
    if args.limit:
        train_images, train_labels = train_images[: args.limit], train_labels[: args.limit]

    model = get_mnist_model()
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.RMSprop()
    metrics = [keras.metrics.SparseCategoricalAccuracy()]
    loss_tracking_metric = keras.metrics.Mean()

    def train_step(inputs, targets):
        with keras.GradientTape() as tape:
            predictions = model(inputs, training=True)
            loss = loss_fn(targets, predictions)
        gradients = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(gradients, model.trainable_weights))
        logs = {}
        for metric in metrics:
            metric.update_state(targets, predictions)
            logs[metric.name] = float(metric.result())
        loss_tracking_metric.update_state(loss)
        logs["loss"] = float(loss_tracking_metric.result())
        return logs

    def test_step(inputs, targets):
        predictions = model(inputs, training=False)
        loss = loss_fn(targets, predictions)
        logs = {}
        for metric in metrics:
            metric.update_state(targets, predictions)
            logs["val_" + metric.name] = float(metric.result())
        loss_tracking_metric.update_state(loss)
        logs["val_loss"] = float(loss_tracking_metric.result())
        return logs

    def reset_metrics():
        for metric in metrics:
            metric.reset_state()
        loss_tracking_metric.reset_state()

    rng = np.random.default_rng(args.seed)
    for epoch in range(args.epochs):
        reset_metrics()
        for inputs_batch, targets_batch in batches(train_images, train_labels, args.batch_size,
                                                   rng):
            logs = train_step(inputs_batch, targets_batch)
        print(f"epoch {epoch + 1}: " + ", ".join(f"{k} {v:.4f}" for k, v in logs.items()))

    reset_metrics()
    for inputs_batch, targets_batch in batches(val_images, val_labels, 512):
        logs = test_step(inputs_batch, targets_batch)
    print("evaluation: " + ", ".join(f"{k} {v:.4f}" for k, v in logs.items()))
    print(f"val_acc: {logs['val_sparse_categorical_accuracy']:.4f}")
    return logs


if __name__ == "__main__":
    main()
