"""Image galleries of `keras.visualization` (matplotlib, imported when a gallery is made).

`plot_image_gallery` lays out rows x cols images (default: a near-square grid of the batch)
with optional "Label: ... Pred: ..." titles; `plot_bounding_box_gallery` draws the true and
predicted boxes first, `plot_segmentation_mask_gallery` shows each image beside its true and
predicted masks (one row per image). As Keras, the figure is saved to `path`, or shown when
`show` (the default without a path); lamina also returns the matplotlib Figure.
"""
import functools
import math

import numpy as np

from lamina.backend import image_data_format
from lamina.engine.tensor import data_of
from lamina.visualization.drawing import draw_bounding_boxes, draw_segmentation_masks


def _pyplot(who):
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415  (optional, slow to import)
    except ImportError as e:
        raise ImportError(f"{who} needs matplotlib: pip install matplotlib") from e
    return plt


def _to_255(images, value_range):
    low, high = value_range
    if (low, high) == (0, 255):
        return images
    return (images.astype(np.float32) - low) / (high - low) * 255.0


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """A grid of images (batch, H, W, C); returns the Figure."""
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_image_gallery: set either `path` or `show=True`, not both")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("plot_image_gallery: `y_true` / `y_pred` need a `label_map`")
    show = show if show is not None else path is None
    x = np.asarray(data_of(images))
    if x.ndim != 4:
        raise ValueError(f"plot_image_gallery: `images` must be a batch (rank 4), got shape {x.shape}")
    if (data_format or image_data_format()) == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    batch = x.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch)))
    cols = cols or max(1, int(math.ceil(batch // rows)))
    x = _to_255(x[:rows * cols], value_range)
    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                             frameon=False, layout="tight", squeeze=False, sharex="row",
                             sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    y_true = None if y_true is None else np.asarray(data_of(y_true))
    y_pred = None if y_pred is None else np.asarray(data_of(y_pred))
    for r in range(rows):
        for c in range(cols):
            index, ax = r * cols + c, axes[r, c]
            ax.axis("off")
            if index >= len(x):
                continue
            img = np.clip(x[index], 0, 255).astype("uint8")
            ax.imshow(img[..., 0] if img.shape[-1] == 1 else img,
                      cmap="gray" if img.shape[-1] == 1 else None)
            ax.margins(x=0, y=0)
            parts = []
            if y_true is not None and index < len(y_true):
                parts.append(f"Label: {label_map.get(y_true[index].item(), 'Unknown')}")
            if y_pred is not None and index < len(y_pred):
                parts.append(f"Pred: {label_map.get(y_pred[index].item(), 'Unknown')}")
            if parts:
                ax.set_title("  ".join(parts), fontsize=8)
    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close(fig)
    elif show:
        plt.show()
        plt.close(fig)
    return fig


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None,
                              rows=None, cols=None, data_format=None, **kwargs):
    """`plot_image_gallery` of the images with the true and predicted boxes drawn."""
    _pyplot("plot_bounding_box_gallery")
    x = np.asarray(data_of(images))
    if x.ndim != 4:
        raise ValueError(f"plot_bounding_box_gallery: `images` must be a batch (rank 4), got "
                         f"shape {x.shape}")
    if (data_format or image_data_format()) == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    draw = functools.partial(draw_bounding_boxes, bounding_box_format=bounding_box_format,
                             line_thickness=line_thickness, text_thickness=text_thickness,
                             font_scale=font_scale, data_format="channels_last")
    if y_true is not None:
        x = draw(x, y_true, color=true_color, class_mapping=ground_truth_mapping or class_mapping)
    if y_pred is not None:
        x = draw(x, y_pred, color=pred_color, class_mapping=prediction_mapping or class_mapping)
    if legend:
        if legend_handles:
            raise ValueError("plot_bounding_box_gallery: pass `legend` or `legend_handles`, "
                             "not both")
        from matplotlib import patches  # noqa: PLC0415  (optional)

        legend_handles = [patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    return plot_image_gallery(x, value_range=value_range, legend_handles=legend_handles,
                              rows=rows, cols=cols, data_format="channels_last", **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """One row per image: the image, then its true and predicted masks drawn on it."""
    x = np.asarray(data_of(images))
    if x.ndim != 4:
        raise ValueError(f"plot_segmentation_mask_gallery: `images` must be a batch (rank 4), "
                         f"got shape {x.shape}")
    first = (data_format or image_data_format()) == "channels_first"
    if first:
        x = x.transpose(0, 2, 3, 1)
    draw = functools.partial(draw_segmentation_masks, num_classes=num_classes,
                             color_mapping=color_mapping, alpha=alpha, ignore_index=ignore_index,
                             blend=blend, data_format="channels_last")
    columns = [x]
    for masks in (y_true, y_pred):
        if masks is not None:
            m = np.asarray(data_of(masks)).astype(np.int32)
            columns.append(draw(x, m.transpose(0, 2, 3, 1) if first else m))
    gallery = np.stack([col[i].astype(np.float32) for i in range(len(x)) for col in columns])
    return plot_image_gallery(gallery, value_range=value_range, rows=len(x), cols=len(columns),
                              data_format="channels_last", **kwargs)
