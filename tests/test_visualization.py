"""keras.visualization: pixel values of drawn boxes and masks, box formats, and galleries
with the right number of axes (matplotlib, Agg)."""
import numpy as np
import pytest

import lamina
from lamina import visualization as vis


def test_draw_bounding_boxes_pixels_and_formats():
    images = np.zeros((2, 20, 30, 3), "uint8")
    boxes = {"boxes": np.array([[[2, 3, 12, 10], [0, 0, 5, 5]], [[10, 5, 25, 18], [1, 1, 2, 2]]], "float32"),
             "labels": np.array([[1, -1], [0, -1]])}
    out = vis.draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0), line_thickness=1)
    assert out.dtype == np.uint8 and out.shape == images.shape
    red = (out[0] == [255, 0, 0]).all(-1)
    # the outline of (2, 3)-(12, 10): rows 3 and 10 for x in 2..12, columns 2 and 12 for y in 3..10
    expect = np.zeros((20, 30), bool)
    expect[[3, 10], 2:13] = True
    expect[3:11, [2, 12]] = True
    np.testing.assert_array_equal(red, expect)  # the label -1 box is not drawn
    thick = vis.draw_bounding_boxes(images, boxes, "xyxy", color=(9, 9, 9), line_thickness=3)
    assert (thick[0, 2:5, 5] == 9).all() and thick[0, 6, 5].sum() == 0  # 3-pixel edge at row 3
    # the same boxes in other formats draw the same pixels
    xyxy = boxes["boxes"]
    formats = {
        "yxyx": xyxy[..., [1, 0, 3, 2]],
        "xywh": np.concatenate([xyxy[..., :2], xyxy[..., 2:] - xyxy[..., :2]], -1),
        "center_xywh": np.concatenate([(xyxy[..., :2] + xyxy[..., 2:]) / 2,
                                       xyxy[..., 2:] - xyxy[..., :2]], -1),
        "rel_xyxy": xyxy / np.array([30, 20, 30, 20]) + 1e-6,  # fractions (not truncated below)
    }
    for fmt, b in formats.items():
        got = vis.draw_bounding_boxes(images, {"boxes": b, "labels": boxes["labels"]}, fmt,
                                      color=(255, 0, 0), line_thickness=1)
        np.testing.assert_array_equal(got, out, err_msg=fmt)
    # float images in [0, 1] are scaled to 0-255; a class name is written near the box
    pytest.importorskip("PIL")
    floats = np.full((1, 60, 60, 3), 0.5, "float32")
    named = vis.draw_bounding_boxes(floats, {"boxes": np.array([[[5, 35, 50, 55]]]), "labels": np.array([[0]])},
                                    "xyxy", class_mapping={0: "cat"}, color=(0, 255, 0), line_thickness=1)
    assert named[0, 0, 0, 0] == 127
    text = (named[0, :34, :, 1] > 160) & (named[0, :34, :, 0] < 100)
    assert text.sum() > 5 and np.nonzero(text)[0].max() < 28  # the label above the box
    with pytest.raises(ValueError, match="bounding_box_format"):
        vis.draw_bounding_boxes(images, boxes, "xyxz")


def test_draw_segmentation_masks_values():
    images = np.full((1, 2, 3, 3), 100.0, "float32")
    masks = np.array([[[0, 1, 2], [-1, 1, 0]]])[..., None]
    out = vis.draw_segmentation_masks(images, masks, alpha=0.5)
    assert out.dtype == np.uint8
    colors = np.array([((k * np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])) % 255) for k in range(3)])
    np.testing.assert_array_equal(out[0, 0, 1], (100 * 0.5 + colors[1] * 0.5).astype("uint8"))
    np.testing.assert_array_equal(out[0, 0, 0], [50, 50, 50])  # class 0 is black
    np.testing.assert_array_equal(out[0, 1, 0], [100, 100, 100])  # ignored pixel
    mapped = vis.draw_segmentation_masks(images, masks, num_classes=3, blend=False,
                                         color_mapping={0: (1, 2, 3), 1: (4, 5, 6), 2: (7, 8, 9)})
    np.testing.assert_array_equal(mapped[0, 0], [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    with pytest.raises(TypeError, match="integers"):
        vis.draw_segmentation_masks(images, masks.astype("float32"))


def test_galleries_make_figures(tmp_path):
    pytest.importorskip("matplotlib")
    images = np.random.default_rng(0).integers(0, 255, (6, 8, 8, 3)).astype("float32")
    fig = vis.plot_image_gallery(images, y_true=np.arange(6) % 2, label_map={0: "a", 1: "b"},
                                 show=False)
    assert len(fig.axes) == 6  # ceil(sqrt(6)) = 3 rows of 6 // 3 = 2 (Keras's grid)
    assert fig.axes[0].get_title() == "Label: a"
    path = tmp_path / "g.png"
    vis.plot_image_gallery(images, rows=2, cols=3, path=str(path))
    assert path.stat().st_size > 0
    boxes = {"boxes": np.array([[[1, 1, 6, 6]]] * 6, "float32"), "labels": np.ones((6, 1), "int32")}
    fig = vis.plot_bounding_box_gallery(images, "xyxy", y_true=boxes, y_pred=boxes, legend=True,
                                        rows=2, cols=3, show=False)
    assert len(fig.axes) == 6 and len(fig.legends) == 1
    masks = np.zeros((6, 8, 8, 1), "int32")
    fig = vis.plot_segmentation_mask_gallery(images, num_classes=2, y_true=masks, y_pred=masks,
                                             show=False)
    assert len(fig.axes) == 18  # one row per image: image, true, predicted
    assert lamina.visualization.plot_image_gallery is vis.plot_image_gallery
