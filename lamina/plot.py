"""`lamina.plot`: the course's training figures (matplotlib, optional and imported lazily).

- `plot_history(history, metrics=("loss", "accuracy"))`: training as dots, validation as
  a line, one panel per metric ("Training and validation loss").
- `plot_cv_curves(result, metric)`: a per-epoch curve averaged across cross-validation
  folds, with a ± one standard deviation band ("Validation MAE by epoch").
- `plot_comparison({"Original": h1, "L2": h2}, metric="val_loss")`: several runs on one
  axis (the regularization figures).

Each returns the matplotlib `Figure`. With `path`, the figure is drawn without pyplot
(works headless, no display or GUI backend involved), saved there, and not registered with
pyplot; without `path` it is a pyplot figure, so `plt.show()` displays it.
"""
import difflib

import numpy as np

_INSTALL = "lamina.plot needs matplotlib: pip install matplotlib (or pip install 'lamina[plot]')"


def have_matplotlib():
    """True when matplotlib can be imported (the demo skips its figure otherwise)."""
    try:
        import matplotlib  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def _new_figure(path, ncols=1, figsize=None):
    """A figure with `ncols` side-by-side axes: pyplot-free when saving to `path`."""
    try:
        if path is not None:
            from matplotlib.figure import Figure  # noqa: PLC0415  (optional: matplotlib)

            fig = Figure(figsize=figsize or (5.0 * ncols, 4.0))
        else:
            import matplotlib.pyplot as plt  # noqa: PLC0415  (optional: matplotlib)

            fig = plt.figure(figsize=figsize or (5.0 * ncols, 4.0))
    except ImportError as e:
        raise ImportError(_INSTALL) from e
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _history_dict(history, name="history"):
    if hasattr(history, "history") and isinstance(history.history, dict):
        return history.history
    if isinstance(history, dict):
        return history
    raise TypeError(f"{name} must be a History (what fit returns) or its .history dict, "
                    f"got {type(history).__name__}")


def _missing(metric, keys):
    present = ", ".join(sorted(keys)) or "(none: the history is empty)"
    close = difflib.get_close_matches(metric, list(keys), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"{metric!r} is not in the history; the keys present are: {present}.{hint}")


def _x(values, n_epochs):
    """Epoch numbers (1-based) for a series; validation run every few epochs
    (`validation_freq`) has fewer values and is placed at the epochs it was computed."""
    n = len(values)
    step = n_epochs // n if n and n_epochs % n == 0 else 1
    return np.arange(1, n + 1) * step


_ACRONYMS = {"mae", "mse", "rmse", "msle", "mape", "auc"}


def _label(metric):
    """"mae" -> "MAE", "binary_accuracy" -> "binary accuracy"."""
    return " ".join(w.upper() if w in _ACRONYMS else w for w in metric.split("_"))


def _pretty(metric):
    """"val_mae" -> "Validation MAE", "loss" -> "Loss"."""
    if metric.startswith("val_"):
        return "Validation " + _label(metric[4:])
    text = _label(metric)
    return text[:1].upper() + text[1:]


def plot_history(history, metrics=("loss", "accuracy"), path=None, title=None, figsize=None):
    """One panel per metric: training values as dots, validation values as a line.

    history: a `History` (what `fit` returns) or its `.history` dict. metrics: base names
    ("loss", "accuracy", "mae"); "val_x" plots only the validation line. A metric absent
    from the history raises ValueError listing the keys present. Returns the Figure; saved
    as PNG (or per the extension) to `path` when given.
    """
    logs = _history_dict(history)
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = list(metrics)
    if not metrics:
        raise ValueError("metrics is empty: name at least one, e.g. metrics=('loss',)")
    for m in metrics:
        if m not in logs and "val_" + m not in logs:
            raise _missing(m, logs)
    n_epochs = max(len(v) for v in logs.values())
    fig, axes = _new_figure(path, len(metrics), figsize)
    for ax, m in zip(axes, metrics):
        name = m.removeprefix("val_")
        if not m.startswith("val_") and m in logs:
            ax.plot(_x(logs[m], n_epochs), logs[m], "bo", label=f"Training {_label(name)}")
        val = m if m.startswith("val_") else "val_" + m
        if val in logs:
            ax.plot(_x(logs[val], n_epochs), logs[val], "b", label=f"Validation {_label(name)}")
        ax.set_title(title or f"Training and validation {_label(name)}")
        ax.set_xlabel("Epochs")
        ax.set_ylabel(_pretty(name))
        ax.legend()
    return _finish(fig, path)


def _smooth(values, factor):
    """Exponential moving average (the course's `smooth_curve`), factor in [0, 1)."""
    if not factor:
        return np.asarray(values, float)
    out = np.empty(len(values))
    acc = values[0]
    for i, v in enumerate(values):
        acc = acc * factor + v * (1 - factor)
        out[i] = acc
    return out


def plot_cv_curves(result, metric=None, path=None, skip_first=0, smoothing=0.0, show_folds=False,
                   title=None, figsize=None):
    """Mean across folds of a per-epoch curve, with a ± one std band.

    result: a `CrossValidationResult`. metric: a history key ("val_mae", "loss", ...);
    default the first validation metric other than the loss (else "val_loss").
    skip_first: drop the first epochs, whose scale dwarfs the rest (the course drops 10).
    smoothing: exponential moving average factor (the course's 0.9), 0 for none.
    show_folds: also draw each fold's curve thinly. Returns the Figure.
    """
    curves = getattr(result, "curves", None)
    if curves is None:
        raise TypeError(f"result must be what cross_validate returns, got {type(result).__name__}")
    if metric is None:
        val = [key for key in curves if key.startswith("val_") and key != "val_loss"]
        metric = val[0] if val else "val_loss"
    if metric not in curves:
        raise _missing(metric, curves)
    mean, std = curves[metric], result.curves_std[metric]
    skip_first = int(skip_first)
    if not 0 <= skip_first < len(mean):
        raise ValueError(f"skip_first={skip_first} leaves no epoch of the {len(mean)} to plot")
    epochs = np.arange(1, len(mean) + 1)[skip_first:]
    mean_s = _smooth(mean[skip_first:], smoothing)
    std = std[skip_first:]
    fig, (ax,) = _new_figure(path, 1, figsize)
    if show_folds:
        for i, h in enumerate(result.histories):
            values = np.asarray(h.get(metric, []), float)[skip_first:]
            ax.plot(epochs[: len(values)], _smooth(values, smoothing), color="0.7", linewidth=0.7,
                    label="Each fold" if i == 0 else None)
    ax.fill_between(epochs, mean_s - std, mean_s + std, color="C0", alpha=0.25,
                    label="± 1 std across folds")
    ax.plot(epochs, mean_s, "C0", label=f"Mean over {len(result.histories)} folds")
    ax.set_xlabel("Epochs")
    ax.set_ylabel(_pretty(metric))
    ax.set_title(title or f"{_pretty(metric)} by epoch ({result.k}-fold cross-validation)")
    ax.legend()
    return _finish(fig, path)


_MARKERS = ("o", "+", "x", "s", "^", "d", "v", "*")


def plot_comparison(histories, metric="val_loss", path=None, title=None, figsize=None):
    """One curve per run of `metric` against epochs, on one axis.

    histories: a dict name -> `History` (or `.history` dict), in legend order, e.g.
    `{"Original model": h0, "L2-regularized model": h1, "Dropout-regularized model": h2}`.
    Returns the Figure.
    """
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a non-empty dict: name -> History")
    logs = {name: _history_dict(h, f"histories[{name!r}]") for name, h in histories.items()}
    for name, log in logs.items():
        if metric not in log:
            raise ValueError(f"run {name!r}: {_missing(metric, log).args[0]}")
    fig, (ax,) = _new_figure(path, 1, figsize)
    for i, (name, log) in enumerate(logs.items()):
        values = log[metric]
        ax.plot(np.arange(1, len(values) + 1), values, marker=_MARKERS[i % len(_MARKERS)],
                linestyle="-" if i == 0 else "--", label=name)
    ax.set_xlabel("Epochs")
    ax.set_ylabel(_pretty(metric))
    ax.set_title(title or f"{_pretty(metric)}: comparison")
    ax.legend()
    return _finish(fig, path)


__all__ = ["have_matplotlib", "plot_comparison", "plot_cv_curves", "plot_history"]
