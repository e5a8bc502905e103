"""Boston house prices: regression with 4-fold cross-validation (chapter 4).

    python examples/boston_kfold.py                 # folds one after another
    python examples/boston_kfold.py --workers 2     # folds in 2 processes, same scores

Only 404 training houses: a single validation split would give a noisy score, so each of
4 folds validates a fresh model trained on the other 3, and the scores are averaged. The
features are standardized with statistics of the training data only. The per-epoch
validation MAE averaged over the folds (saved as a figure) shows when overfitting starts;
the final model trains on all the training data for that long (~130 epochs in the book).
The data ships with lamina: this runs offline.
"""
import argparse

import lamina as keras
from lamina import layers
from lamina.preprocessing import Standardizer
from lamina.validation import cross_validate, process_pool


def build_model():
    """A fresh compiled model; module-level so worker processes can call it."""
    model = keras.Sequential([
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=100, help="epochs per fold")
    parser.add_argument("--final-epochs", type=int, default=130)
    parser.add_argument("--workers", type=int, default=0, help="processes for the folds")
    parser.add_argument("--output", default="boston_kfold.png", help="figure ('' to skip)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    (train_data, train_targets), (test_data, test_targets) = (
        keras.datasets.boston_housing.load_data())
    scaler = Standardizer().fit(train_data)
    train_data, test_data = scaler.transform(train_data), scaler.transform(test_data)

    fit_kwargs = {"epochs": args.epochs, "batch_size": 16}
    if args.workers:
        with process_pool(args.workers) as pool:
            result = cross_validate(build_model, train_data, train_targets, k=args.k,
                                    fit_kwargs=fit_kwargs, seed=args.seed, executor=pool)
    else:
        result = cross_validate(build_model, train_data, train_targets, k=args.k,
                                fit_kwargs=fit_kwargs, seed=args.seed)
    print("validation MAE per fold:", " ".join(f"{s:.2f}" for s in result.scores["val_mae"]))
    print(f"mean validation MAE: {result.mean['val_mae']:.2f} ± {result.std['val_mae']:.2f}")

    if args.output:
        from lamina.plot import have_matplotlib

        if have_matplotlib():
            result.plot("val_mae", path=args.output, skip_first=min(10, args.epochs // 10))
            print(f"saved {args.output}")

    keras.utils.set_random_seed(args.seed)
    model = build_model()
    model.fit(train_data, train_targets, epochs=args.final_epochs, batch_size=16, verbose=0)
    test_mse, test_mae = model.evaluate(test_data, test_targets, verbose=0)
    print(f"test_mae: {test_mae:.2f}")
    return {"cv": result, "test_mae": test_mae, "test_mse": test_mse}


if __name__ == "__main__":
    main()
