"""`draw_bounding_boxes` and `draw_segmentation_masks`, as Keras 3 (NumPy; no OpenCV).

Boxes: converted to corners (x1, y1, x2, y2) from `bounding_box_format` ("xyxy", "yxyx",
"xywh", "center_xywh", "center_yxhw" and their "rel_" forms, fractions of the image size),
truncated to integers; each box of a label other than -1 gets an outline of `color`: every
pixel within line_thickness // 2 of an edge (OpenCV's centred line). Labels found in
`class_mapping` are written above the box (below its top edge near the image top) with
Pillow's default font when Pillow is installed. Float images in [0, 1] are scaled to 0-255;
the result is uint8.

Masks: each pixel of class k (not `ignore_index`) takes colour k (`color_mapping`, or
Keras's palette ((k * (2^25 - 1, 2^15 - 1, 2^21 - 1)) % 255)); with `blend` the image is
mixed: image * (1 - alpha) + colour * alpha, cast to uint8.
"""
import numpy as np

from lamina.backend import image_data_format
from lamina.engine.tensor import data_of

BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
               "rel_xywh", "rel_center_xywh", "rel_center_yxhw")


def to_xyxy(boxes, bounding_box_format, height, width):
    """Boxes (..., 4) in `bounding_box_format` as absolute (x1, y1, x2, y2) float64."""
    if bounding_box_format not in BOX_FORMATS:
        raise ValueError(f"bounding_box_format must be one of {BOX_FORMATS}, got "
                         f"{bounding_box_format!r}")
    b = np.asarray(data_of(boxes), np.float64)
    fmt = bounding_box_format
    if fmt.startswith("rel_"):
        fmt = fmt[4:]
        scale = np.array([width, height, width, height], np.float64)
        b = b * (scale if fmt in ("xyxy", "xywh", "center_xywh") else scale[[1, 0, 3, 2]])
    p, q, r, s = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    if fmt == "xyxy":
        out = (p, q, r, s)
    elif fmt == "yxyx":
        out = (q, p, s, r)
    elif fmt == "xywh":
        out = (p, q, p + r, q + s)
    elif fmt == "center_xywh":
        out = (p - r / 2, q - s / 2, p + r / 2, q + s / 2)
    else:  # center_yxhw
        out = (q - s / 2, p - r / 2, q + s / 2, p + r / 2)
    return np.stack(out, axis=-1)


def _as_uint8_batch(images, data_format, what="images"):
    x = np.asarray(data_of(images))
    if x.ndim != 4:
        raise ValueError(f"`{what}` must be a batched 4D array, got shape {x.shape}")
    if (data_format or image_data_format()) == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    if x.dtype.kind == "f" and x.size:
        x = np.clip(x, 0, 1) * 255 if x.max() <= 1.0 else np.clip(x, 0, 255)
    return np.ascontiguousarray(x.astype(np.uint8))


def _outline(image, x1, y1, x2, y2, color, thickness):
    h, w = image.shape[:2]
    half = max(thickness, 1) // 2
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    color = np.asarray(color, np.uint8)[: image.shape[2]]
    rows = slice(max(y1 - half, 0), min(y2 + half + 1, h))
    cols = slice(max(x1 - half, 0), min(x2 + half + 1, w))
    for y in (y1, y2):  # horizontal edges
        image[max(y - half, 0):min(y + half + 1, h), cols] = color
    for x in (x1, x2):  # vertical edges
        image[rows, max(x - half, 0):min(x + half + 1, w)] = color


def _text(image, label, x, y, color, font_scale, thickness):
    try:
        from PIL import Image, ImageDraw  # noqa: PLC0415  (optional: only for labels)
    except ImportError as e:
        raise ImportError("draw_bounding_boxes writes class names with Pillow: pip install "
                          "pillow (or pass no class_mapping)") from e
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        x_text, y_base = x, y - 8
    else:
        x_text, y_base = x + 3, y + 2 * font_height + thickness + 3
    pil = Image.fromarray(image.squeeze(-1) if image.shape[2] == 1 else image)
    fill = tuple(int(c) for c in color)[: image.shape[2]]
    ImageDraw.Draw(pil).text((x_text, y_base - font_height), label,
                             fill=fill[0] if len(fill) == 1 else fill)
    image[...] = np.asarray(pil).reshape(image.shape)


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None,
                        color=(128, 128, 128), line_thickness=2, text_thickness=1,
                        font_scale=1.0, data_format=None):
    """uint8 (batch, H, W, C) images with the boxes of `bounding_boxes` ({"boxes" (batch, n,
    4), "labels" (batch, n)[, "confidences"]}) drawn on them (see the module docstring)."""
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"`bounding_boxes` should be a dict, got {type(bounding_boxes).__name__}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError("`bounding_boxes` should be a dict with 'boxes' and 'labels' keys, got "
                         f"keys {sorted(bounding_boxes)}")
    out = _as_uint8_batch(images, data_format)
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    h, w = out.shape[1:3]
    boxes = to_xyxy(bounding_boxes["boxes"], bounding_box_format, h, w).astype(np.int32)
    labels = np.asarray(data_of(bounding_boxes["labels"])).astype(np.int32)
    conf = bounding_boxes.get("confidences")
    conf = None if conf is None else np.asarray(data_of(conf))
    for i in range(out.shape[0]):
        for j in range(boxes.shape[1]):
            c = int(labels[i, j])
            if c == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in boxes[i, j])
            _outline(out[i], x1, y1, x2, y2, color, line_thickness)
            if c in class_mapping:
                label = str(class_mapping[c])
                if conf is not None:
                    label = f"{label} | {conf[i][j]:.2f}"
                _text(out[i], label, x1, y1, color, font_scale, text_thickness)
    return out


def palette(num_classes):
    """Keras's default class colours: (k * (2^25 - 1, 2^15 - 1, 2^21 - 1)) % 255."""
    base = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [((k * base) % 255).tolist() for k in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Images (batch, H, W, C) with each class of `segmentation_masks` (batch, H, W, 1),
    integers) painted in its colour (see the module docstring)."""
    x = np.asarray(data_of(images))
    m = np.asarray(data_of(segmentation_masks))
    if x.ndim != 4:
        raise ValueError(f"`images` must be a batched 4D array, got shape {x.shape}")
    if (data_format or image_data_format()) == "channels_first":
        x, m = x.transpose(0, 2, 3, 1), m.transpose(0, 2, 3, 1)
    if m.dtype.kind not in "iu":
        raise TypeError(f"`segmentation_masks` must be integers, got dtype {m.dtype}")
    m = m[..., 0]
    x = x.astype(np.float32)
    if num_classes is None:
        valid = m[m != ignore_index]
        num_classes = max(1, int(valid.max()) + 1 if valid.size else 1)
    colors = palette(num_classes) if color_mapping is None else \
        [color_mapping[k] for k in range(num_classes)]
    painted = x.copy()
    for k, color in enumerate(colors):
        painted[m == k] = np.asarray(color, np.float32)
    if not blend:
        return painted
    mixed = x * (1 - alpha) + painted * alpha
    return np.where((m != ignore_index)[..., None], mixed, x).astype(np.uint8)
