"""Draw the window's overlays on a numpy frame: the export renderer (numpy + OpenCV, no Qt).

:func:`render_overlays` draws exactly what the video view shows, so an exported video or
picture matches the screen. The look is defined in :mod:`.render_style` and the GUI reads the
same constants and helpers (:data:`~.render_style.KEYPOINT_COLOUR`,
:func:`~.render_style.track_colour`, :func:`~.render_style.line_width`,
:func:`~.render_style.keypoint_radius`, :func:`~.render_style.timing_caption`) and the colour
maps of :mod:`.colormaps`; the layers are drawn by :mod:`.render_layers`.

Layers, bottom to top (each only when enabled in :class:`OverlayOptions` *and* present in
the :class:`~.frame_result.FrameResult`; anything missing is skipped silently, see
:func:`~.render_layers.unavailable_overlays`). Optional data is read from the result's fields
``heads``, ``crop_region`` and ``decode`` (None when absent):

1. ``heatmaps``: the heatmap of one keypoint, or the max over the 17 keypoints, coloured
   through the colour map with levels fixed at 0..1, alpha-blended with an alpha that rises
   with the value (:func:`~.colormaps.colormap_rgba_lut`) times the overlay's opacity
   over the rectangle :func:`~.heads.heatmap_rect_in_frame` gives; cells are drawn as
   nearest-neighbour blocks (no smoothing), like a pyqtgraph ``ImageItem``. Needs
   ``result.heads`` (:class:`~.heads.Heads`).
2. ``centre``: the person-centre heatmap, the same way with its own opacity.
3. ``crop``: the crop square, ``result.crop_region`` (a :class:`~.cropping.CropRegion` or a
   (ymin, xmin, ymax, xmax) tuple normalised to the frame), and from ``result.crop_measurement`` (the
   :class:`~.cropping.CropMeasurement` of this frame) a cross at the measured centre and the
   torso (dashed) and body (dotted) ranges as rectangles around it.
4. ``regression``, ``offsets``, ``decode``: the single-pose decode steps (centre cell ->
   rough keypoints; arrows chosen cell -> final keypoint; markers for the centre cell, the
   rough keypoints, the chosen cells and the decoded keypoints), from
   ``result.decode`` (:class:`~.decode.DecodeSteps`) or, for single-pose heads,
   :func:`~.decode.decode_singlepose` of ``result.heads``; ``offsets`` with
   ``offset_field`` draws the offset head of one keypoint at every confident cell instead
   (heads only, MultiPose too). Heatmap-index positions are placed like the heatmap image
   (:data:`~.heads.HEATMAP_CELL_CENTRE`). All positions come from :mod:`.overlay_geometry`,
   which the window draws from too.
5. ``boxes``: MultiPose boxes, in the pose's :func:`~.render_style.track_colour`.
6. ``skeleton``: the edges of the pose's keypoint set (COCO-17: the 18 edges in
   :data:`~.keypoints.EDGE_COLOURS`; ST's 13: 14 edges, :mod:`.keypoint_sets`), an edge when both its
   keypoints score above the threshold.
7. ``keypoints``: dots for keypoints scoring above the threshold.
8. ``ids``: ``#<track id> <pose score>`` labels (:func:`~.render_style.pose_label`; only for poses that have a
   track id).
9. ``timing``: a caption with the model and the stage timings, top left.
10. ``classification``: each pose's top class and probability above it, and the repetition
    count top right (from ``result.classification``; look: :mod:`.classification_render`).

Geometry: frame pixel ``i`` spans ``[i, i + 1)`` (keypoints at ``x = 10.0`` sit on the
left edge of pixel 10, as in pyqtgraph's image coordinates). Lines are antialiased
(``cv2.LINE_AA``) at sub-pixel precision; widths scale with the frame size.
"""

from __future__ import annotations

import cv2
import numpy as np

from .overlay_options import OverlayOptions
from .render_layers import Canvas, draw_crop, draw_decode, draw_heatmaps, draw_poses
from .render_style import FONT, font_scale, timing_caption

__all__ = ["render_overlays"]

def render_overlays(frame_rgb: np.ndarray, result, options: OverlayOptions = OverlayOptions()) -> np.ndarray:
    """Draw the overlays of `result` on a copy of `frame_rgb`.

    Args:
        frame_rgb: uint8 [H, W, 3] RGB; normally ``result.frame``. It may be a resized
            copy: coordinates (in the pixels of ``result.mapping.frame_size``) are scaled
            to its size. Not modified.
        result: a :class:`~.frame_result.FrameResult` (poses in frame pixels; optional
            ``heads``, ``crop_region``, ``decode``).
        options: which layers to draw (see the module docstring for order and look).

    Returns:
        A new uint8 [H, W, 3] RGB array.

    Raises:
        ValueError: `frame_rgb` is not uint8 [H, W, 3].
    """
    frame_rgb = np.asarray(frame_rgb)
    if frame_rgb.dtype != np.uint8 or frame_rgb.ndim != 3 or frame_rgb.shape[2] != 3:
        raise ValueError(f"frame must be uint8 [H, W, 3] RGB, got {frame_rgb.dtype} {frame_rgb.shape}")
    image = np.array(frame_rgb, dtype=np.uint8, order="C", copy=True)
    mapping = getattr(result, "mapping", None)
    frame_size = tuple(mapping.frame_size) if mapping is not None else image.shape[:2]
    canvas = Canvas(image, frame_size)
    if options.heatmaps or options.centre:
        draw_heatmaps(canvas, result, options)
    if options.crop:
        draw_crop(canvas, result)
    if options.regression or options.offsets or options.decode:
        draw_decode(canvas, result, options)
    draw_poses(canvas, result, options)
    if options.classification:
        from .classification_render import draw_classification

        draw_classification(canvas, result, options.keypoint_threshold, font_scale(image.shape), FONT, options.ids)
    if options.timing:
        caption = timing_caption(result)
        scale = font_scale(image.shape) * 0.8
        limit = image.shape[1] - 16
        for _ in range(20):  # shrink a long caption to the frame width (Hershey widths are not linear in scale)
            width = cv2.getTextSize(caption, FONT, scale, max(1, round(scale * 2)))[0][0]
            if width <= limit or scale <= 0.25:
                break
            scale = max(0.25, scale * min(0.98, limit / width))
        canvas.text(caption, 4, 4, (255, 255, 255), scale)
    return image
