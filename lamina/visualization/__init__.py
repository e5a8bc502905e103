"""`keras.visualization`: drawing bounding boxes and segmentation masks on images (NumPy),
and image galleries (matplotlib, optional, imported when a gallery is plotted)."""
from lamina.visualization.drawing import draw_bounding_boxes, draw_segmentation_masks  # noqa: F401
from lamina.visualization.gallery import (  # noqa: F401
    plot_bounding_box_gallery, plot_image_gallery, plot_segmentation_mask_gallery,
)
