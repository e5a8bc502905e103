"""Neural style transfer with a small convnet trained on MNIST as the feature extractor.

1. A small CNN (three Conv2D blocks) is trained to classify MNIST digits; its convolutional
   feature maps then serve as the "perceptual" features (the course uses VGG-19 on
   ImageNet; the method is the same).
2. The content loss is the squared difference of the generated image's features and the
   content image's features on one (the deepest) layer; the style loss compares Gram
   matrices (channel correlations, G = F^T F / (h w)) of several layers with the style
   image's (both relative to their target's mean square); a small total-variation term
   keeps the image smooth.
3. The generated image, initialised with the content image, is a plain tensor: each step
   watches it with `GradientTape.watch`, differentiates the total loss with respect to
   its pixels, and takes an Adam step (pixels clipped to [0, 1]).

    python examples/style_transfer.py            # 20,000 training digits, 300 steps
    python examples/style_transfer.py --quick    # 3,000 training digits, 80 steps

Saves the generated image as a 28x28 PNG (and a content | style | generated panel).
The data comes from $LAMINA_DATASETS, or is downloaded once.
"""

import argparse
import os

import numpy as np

import lamina as keras
from lamina import layers, ops

STYLE_LAYERS = ("block1_conv", "block2_conv", "block3_conv")
CONTENT_LAYER = "block3_conv"


def build_classifier():
    inputs = keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(16, 3, padding="same", activation="relu", name="block1_conv")(inputs)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Conv2D(32, 3, padding="same", activation="relu", name="block2_conv")(h)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Conv2D(64, 3, padding="same", activation="relu", name="block3_conv")(h)
    h = layers.Flatten()(h)
    outputs = layers.Dense(10, activation="softmax")(h)
    return keras.Model(inputs, outputs, name="digit_classifier")


def feature_extractor(classifier):
    """A model from the classifier's input to its named conv layers' outputs (shared weights)."""
    names = sorted(set(STYLE_LAYERS + (CONTENT_LAYER,)))
    outputs = [classifier.get_layer(name).output for name in names]
    return keras.Model(classifier.inputs, outputs, name="features"), names


def gram(features):
    """(1, h, w, c) feature maps -> (c, c) channel correlations averaged over positions."""
    c = features.shape[-1]
    f = ops.reshape(features, (-1, c))
    return ops.divide(ops.matmul(ops.transpose(f), f), float(f.shape[0]))


def style_transfer_losses(extractor, names, content, style, weights):
    """A function image -> (total, content part, style part) for fixed targets.

    Each part is a relative squared error (divided by the target's mean square), so the
    weights mean the same whatever the scale of the extractor's features.
    """
    content_target = dict(zip(names, extractor(content)))[CONTENT_LAYER]
    content_scale = float(np.mean(np.square(content_target.numpy())))
    style_grams = {n: gram(t) for n, t in zip(names, extractor(style)) if n in STYLE_LAYERS}
    style_scales = {n: float(np.mean(np.square(g.numpy()))) for n, g in style_grams.items()}
    w_content, w_style, w_tv = weights

    def losses(image):
        feats = dict(zip(names, extractor(image)))
        diff = ops.subtract(feats[CONTENT_LAYER], content_target)
        c_loss = ops.divide(ops.mean(ops.square(diff)), content_scale)
        s_loss = 0.0
        for name in STYLE_LAYERS:
            err = ops.mean(ops.square(ops.subtract(gram(feats[name]), style_grams[name])))
            s_loss = ops.add(s_loss, ops.divide(err, style_scales[name] * len(STYLE_LAYERS)))
        tv = ops.add(
            ops.mean(ops.square(ops.subtract(image[:, 1:], image[:, :-1]))),
            ops.mean(ops.square(ops.subtract(image[:, :, 1:], image[:, :, :-1]))),
        )
        total = ops.add(
            ops.add(ops.multiply(w_content, c_loss), ops.multiply(w_style, s_loss)),
            ops.multiply(w_tv, tv),
        )
        return total, c_loss, s_loss

    return losses


def optimize_pixels(losses, init, steps, learning_rate=0.02):
    """Adam on the pixels of a watched tensor; returns (image, total loss per step)."""
    image = np.array(init, dtype="float32")
    m, v = np.zeros_like(image), np.zeros_like(image)
    b1, b2, eps = 0.9, 0.999, 1e-7
    history = []
    for t in range(1, steps + 1):
        x = keras.ops.convert_to_tensor(image)
        with keras.GradientTape() as tape:
            tape.watch(x)
            total, _, _ = losses(x)
        grad = tape.gradient(total, x).numpy()
        history.append(float(total.numpy()))
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        step = learning_rate * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        image = np.clip(image - step, 0.0, 1.0).astype("float32")
    final, _, _ = losses(keras.ops.convert_to_tensor(image))
    history.append(float(final.numpy()))
    return image, history


def save_images(path, content, style, generated):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.imsave(path, generated[0, ..., 0], cmap="gray", vmin=0.0, vmax=1.0)  # 28x28 pixels
    root, ext = os.path.splitext(path)
    panel = f"{root}_panel{ext or '.png'}"
    fig, axes = plt.subplots(1, 3, figsize=(7, 2.6))
    for ax, img, title in zip(axes, (content, style, generated), ("content", "style", "generated")):
        ax.imshow(img[0, ..., 0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(title)
        ax.axis("off")
    fig.savefig(panel, dpi=80)
    plt.close(fig)
    return panel


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 training digits, 80 steps")
    parser.add_argument("--limit", type=int, help="training digits for the feature extractor")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--steps", type=int, help="optimization steps on the pixels")
    parser.add_argument("--content-digit", type=int, default=7)
    parser.add_argument("--style-digit", type=int, default=8)
    parser.add_argument("--style-weight", type=float, default=3.0)
    parser.add_argument(
        "--output", default="style_transfer.png", help="where to save the generated image"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    limit = args.limit or (3000 if args.quick else 20000)
    epochs = args.epochs or (1 if args.quick else 2)
    steps = args.steps or (80 if args.quick else 300)

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train[:limit].astype("float32").reshape(-1, 28, 28, 1) / 255.0
    x_test = x_test.astype("float32").reshape(-1, 28, 28, 1) / 255.0
    classifier = build_classifier()
    classifier.compile(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    classifier.fit(x_train, y_train[:limit], epochs=epochs, batch_size=64, verbose=args.verbose)
    _, acc = classifier.evaluate(x_test[:2000], y_test[:2000], verbose=0)
    print(f"feature extractor (digit classifier) test accuracy: {acc:.4f}")

    extractor, names = feature_extractor(classifier)
    content = x_test[np.flatnonzero(y_test == args.content_digit)[0]][None]
    style = x_test[np.flatnonzero(y_test == args.style_digit)[0]][None]
    losses = style_transfer_losses(extractor, names, content, style, (1.0, args.style_weight, 0.1))
    generated, history = optimize_pixels(losses, content, steps)
    _, c_loss, s_loss = losses(keras.ops.convert_to_tensor(generated))
    panel = save_images(args.output, content, style, generated)
    print(
        f"total loss: {history[0]:.5f} -> {history[-1]:.5f} (content {float(c_loss.numpy()):.5f}, "
        f"style {float(s_loss.numpy()):.6f})"
    )
    print(f"saved the generated image to {os.path.abspath(args.output)}")
    print(f"saved content | style | generated to {os.path.abspath(panel)}")
    print(f"loss_reduction: {history[0] / history[-1]:.2f}")
    return {
        "history": history,
        "generated": generated,
        "classifier_accuracy": acc,
        "image": os.path.abspath(args.output),
        "panel": os.path.abspath(panel),
    }


if __name__ == "__main__":
    main()
