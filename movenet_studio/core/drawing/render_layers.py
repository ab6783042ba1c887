"""The renderer's drawing: a canvas with sub-pixel antialiased primitives, what a result carries
for each layer (:func:`unavailable_overlays`), and the layers themselves (heatmaps, crop,
decode steps, poses). :func:`~.render.render_overlays` calls them in order."""

from __future__ import annotations

import cv2
import numpy as np

from .colormaps import colormap_rgba_lut, lut_indices
from ..decoding.heads import heatmap_rect_in_frame
from ..decoding.keypoint_sets import keypoint_set_for, row_of_coco
from .overlay_geometry import (arrow_barbs, crop_geometry, dash_pattern, dashed_rect, decode_geometry, offset_field,
                               scaled_arrows)
from .overlay_options import OverlayOptions
from .render_style import (BODY_RANGE_COLOUR, CROP_COLOUR, DECODE_COLOUR, FINAL_COLOUR, FONT, KEYPOINT_COLOUR,
                           OFFSET_COLOUR, REGRESSION_COLOUR, TORSO_RANGE_COLOUR, arrow_barb_length, font_scale,
                           keypoint_radius, line_width, pose_label, track_colour)

_SHIFT = 4                 # cv2 fractional bits for sub-pixel drawing
_ONE = 1 << _SHIFT


# --- what a result carries ------------------------------------------------------------------

def _extra(result, key: str):
    """Optional data of a result: the attribute `key` (e.g. ``FrameResult.crop_region``), or None."""
    return getattr(result, key, None)


def _crop_box(result) -> tuple[float, float, float, float] | None:
    crop = _extra(result, "crop_region")
    if crop is None:
        return None
    if hasattr(crop, "as_tuple"):
        crop = crop.as_tuple()
    return tuple(float(v) for v in crop)  # type: ignore[return-value]


def _is_singlepose(result) -> bool:
    raw = getattr(result, "raw_output", None)
    return raw is not None and np.asarray(raw).ndim == 4  # [1, 1, K, 3]; MultiPose is [1, 6, 56]


def _decode_steps(result):
    return _extra(result, "decode")  # the pipeline's decoder fills it; nothing is decoded here


def unavailable_overlays(result, options: OverlayOptions) -> tuple[str, ...]:
    """Layers switched on in `options` that `result` has no data for (they are skipped).

    ``heatmaps``/``centre`` need ``heads``; ``crop`` needs ``crop_region``;
    ``regression``/``offsets``/``decode`` need ``decode`` or single-pose heads; ``boxes`` needs a pose with a box; ``ids``
    a pose with a track id; ``classification`` a classified result. Skeleton, keypoints and timing are always available.
    """
    heads = _extra(result, "heads") is not None
    decode = _extra(result, "decode") is not None or (heads and _is_singlepose(result))
    has = {
        "heatmaps": heads, "centre": heads, "crop": _crop_box(result) is not None,
        "regression": decode, "offsets": heads if options.offset_field else decode, "decode": decode,
        "boxes": any(p.box is not None for p in result.poses),
        "ids": any(p.track_id is not None for p in result.poses),
        "classification": _extra(result, "classification") is not None,
    }
    return tuple(name for name in options.enabled() if not has.get(name, True))


# --- drawing --------------------------------------------------------------------------------

class Canvas:
    """An RGB image plus the scale from result coordinates (frame pixels) to its pixels."""

    def __init__(self, image: np.ndarray, frame_size: tuple[int, int]):
        self.image = image
        h, w = image.shape[:2]
        fh, fw = frame_size
        self.sx = w / fw if fw else 1.0
        self.sy = h / fh if fh else 1.0
        self.lw = line_width(image.shape)
        self.radius = keypoint_radius(image.shape)

    def pt(self, x: float, y: float) -> tuple[int, int]:
        """Frame-pixel (x, y) -> cv2 fixed-point point (pixel centres at integers)."""
        return (int(round((x * self.sx - 0.5) * _ONE)), int(round((y * self.sy - 0.5) * _ONE)))

    def line(self, a, b, colour, width: int | None = None) -> None:
        cv2.line(self.image, self.pt(*a), self.pt(*b), colour, width or self.lw, cv2.LINE_AA, _SHIFT)

    def circle(self, c, radius: float, colour, thickness: int = -1) -> None:
        cv2.circle(self.image, self.pt(*c), int(round(radius * _ONE)), colour, thickness, cv2.LINE_AA, _SHIFT)

    def rect(self, x0, y0, x1, y1, colour, width: int | None = None) -> None:
        cv2.rectangle(self.image, self.pt(x0, y0), self.pt(x1, y1), colour, width or self.lw, cv2.LINE_AA, _SHIFT)

    def blend_map(self, values: np.ndarray, rect: tuple[float, float, float, float], lut: np.ndarray,
                  opacity: float) -> None:
        """Blend probability map `values` [Sh, Sw], stretched over `rect` (x, y, w, h in frame px),
        through the RGBA table `lut` [256, 4]: each cell's alpha is its table alpha x `opacity`."""
        if opacity <= 0:
            return
        sh, sw = values.shape
        rx, ry, rw, rh = rect
        rx, rw = rx * self.sx, rw * self.sx
        ry, rh = ry * self.sy, rh * self.sy
        h, w = self.image.shape[:2]
        # Cell of each output pixel centre (nearest neighbour, as pyqtgraph paints an image).
        cols = np.floor((np.arange(w) + 0.5 - rx) * (sw / rw)).astype(np.int64)
        rows = np.floor((np.arange(h) + 0.5 - ry) * (sh / rh)).astype(np.int64)
        xs = np.flatnonzero((cols >= 0) & (cols < sw))
        ys = np.flatnonzero((rows >= 0) & (rows < sh))
        if not xs.size or not ys.size:
            return
        x0, x1, y0, y1 = xs[0], xs[-1] + 1, ys[0], ys[-1] + 1
        rows, cols = rows[y0:y1], cols[x0:x1]          # non-decreasing runs of cell indices
        block = lut[lut_indices(values[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])]  # [r, c, 4] RGBA
        # Nearest-neighbour upscale: repeat each cell over the pixels whose centres fall in it.
        rgba = np.repeat(np.repeat(block, np.bincount(rows - rows[0]), axis=0), np.bincount(cols - cols[0]), axis=1)
        region = self.image[y0:y1, x0:x1]
        # region * (1 - a) + colour * a with a = alpha / 255 * opacity, rounded to nearest.
        alpha = rgba[..., 3:4].astype(np.float32) * np.float32(opacity / 255.0)
        blended = region.astype(np.float32)
        blended += (rgba[..., :3].astype(np.float32) - blended) * alpha
        region[...] = np.rint(blended).astype(np.uint8)

    def text(self, text: str, x: float, y: float, colour, scale: float, background=(0, 0, 0)) -> None:
        """`text` with its top-left corner at image pixel (x, y), on a filled background box."""
        thickness = max(1, round(scale * 2))
        (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
        pad = max(2, round(th * 0.3))
        h, w = self.image.shape[:2]
        x = int(min(max(0, x), max(0, w - tw - 2 * pad)))
        y = int(min(max(0, y), max(0, h - th - base - 2 * pad)))
        x1, y1 = min(w, x + tw + 2 * pad), min(h, y + th + base + 2 * pad)
        region = self.image[y:y1, x:x1]
        region[...] = (region.astype(np.float32) * 0.35 + np.asarray(background, np.float32) * 0.65).astype(np.uint8)
        cv2.putText(self.image, text, (x + pad, y + pad + th), FONT, scale, colour, thickness, cv2.LINE_AA)


def draw_heatmaps(canvas: Canvas, result, options: OverlayOptions) -> None:
    heads = _extra(result, "heads")
    if heads is None:
        return
    lut = colormap_rgba_lut(options.colormap)
    rect = heatmap_rect_in_frame(result.mapping, heads.shape)
    if options.heatmaps:
        maps = np.asarray(heads.keypoint_heatmaps, dtype=np.float32)
        row = row_of_coco(maps.shape[-1], options.heatmap_keypoint)
        values = maps[..., row] if row is not None else maps.max(axis=-1)
        canvas.blend_map(values, rect, lut, options.heatmap_opacity)
    if options.centre and heads.centre is not None:
        canvas.blend_map(np.asarray(heads.centre, dtype=np.float32), rect, colormap_rgba_lut(options.centre_colormap),
                         options.centre_opacity)


def _dashed(canvas: Canvas, rect, colour, style: str, width: int) -> None:
    dash, gap = (v / canvas.sx for v in dash_pattern(width, style))  # image px -> frame px
    segments = dashed_rect(rect, dash, gap)
    for a, b in zip(segments[0::2], segments[1::2]):
        canvas.line(a, b, colour, width)


def draw_crop(canvas: Canvas, result) -> None:
    crop = crop_geometry(result)
    if crop.square is None:
        return
    canvas.rect(*crop.square, CROP_COLOUR)
    thin = max(1, canvas.lw // 2)
    if crop.torso is not None:
        _dashed(canvas, crop.torso, TORSO_RANGE_COLOUR, "dash", thin)
    if crop.body is not None:
        _dashed(canvas, crop.body, BODY_RANGE_COLOUR, "dot", thin)
    if crop.centre is not None:
        cx, cy = crop.centre
        arm = 2 * canvas.radius / canvas.sx
        canvas.line((cx - arm, cy), (cx + arm, cy), CROP_COLOUR, canvas.lw)
        canvas.line((cx, cy - arm), (cx, cy + arm), CROP_COLOUR, canvas.lw)


def _arrows(canvas: Canvas, starts, ends, colour, width: int, scale: float) -> None:
    starts, ends = scaled_arrows(starts, ends, scale)
    for start, end in zip(starts, ends):
        canvas.line(start, end, colour, width)
    barbs = arrow_barbs(starts, ends, arrow_barb_length(canvas.image.shape) / canvas.sx)
    for a, b in zip(barbs[0::2], barbs[1::2]):
        canvas.line(a, b, colour, width)


def draw_decode(canvas: Canvas, result, options: OverlayOptions) -> None:
    thin = max(1, canvas.lw // 2)
    heads = _extra(result, "heads")
    if options.offsets and options.offset_field and heads is not None:
        starts, ends = offset_field(heads, result.mapping, options.heatmap_keypoint)
        _arrows(canvas, starts, ends, OFFSET_COLOUR, thin, options.offset_scale)
    steps = _decode_steps(result)
    if steps is None:
        return
    geometry = decode_geometry(steps, result.mapping)
    marker = canvas.radius * 0.6
    if options.regression:
        for target in geometry.rough:
            canvas.line(geometry.centre, target, REGRESSION_COLOUR, thin)
    if options.regression or options.decode:
        for target in geometry.rough:
            canvas.circle(target, marker, REGRESSION_COLOUR, thin)
    if options.offsets and not options.offset_field:
        _arrows(canvas, geometry.cells, geometry.final, OFFSET_COLOUR, thin, options.offset_scale)
    if options.decode:
        hx, hy = geometry.half_cell
        for cx, cy in geometry.cells:
            canvas.rect(cx - hx, cy - hy, cx + hx, cy + hy, DECODE_COLOUR, thin)
        cross = geometry.centre_cross()
        for a, b in zip(cross[0::2], cross[1::2]):
            canvas.line(a, b, DECODE_COLOUR, canvas.lw)
        arm = marker / canvas.sx
        for x, y in geometry.final:
            canvas.line((x - arm, y - arm), (x + arm, y + arm), FINAL_COLOUR, thin)
            canvas.line((x - arm, y + arm), (x + arm, y - arm), FINAL_COLOUR, thin)


def draw_poses(canvas: Canvas, result, options: OverlayOptions) -> None:
    threshold = options.keypoint_threshold
    scale = font_scale(canvas.image.shape)
    if options.boxes:
        for pose in result.poses:
            if pose.box is not None:
                x0, y0, x1, y1 = (float(v) for v in pose.box)
                canvas.rect(x0, y0, x1, y1, track_colour(pose.track_id))
    if options.skeleton:
        for pose in result.poses:
            kp = pose.keypoints
            keypoint_set = keypoint_set_for(len(kp))
            for (a, b), colour in zip(keypoint_set.edges, keypoint_set.edge_colours):
                if kp[a, 2] > threshold and kp[b, 2] > threshold:
                    canvas.line(kp[a, :2], kp[b, :2], colour)
    if options.keypoints:
        for pose in result.poses:
            for x, y, score in pose.keypoints:
                if score > threshold:
                    canvas.circle((x, y), canvas.radius, KEYPOINT_COLOUR)
                    canvas.circle((x, y), canvas.radius, (255, 255, 255), 1)
    if options.ids:
        for pose in result.poses:
            if pose.track_id is None:
                continue
            if pose.box is not None:
                x, y = float(pose.box[0]), float(pose.box[1])
            else:
                visible = pose.keypoints[pose.keypoints[:, 2] > threshold]
                if not visible.size:
                    continue
                x, y = float(visible[:, 0].min()), float(visible[:, 1].min())
            label = pose_label(pose)
            (_, th), base = cv2.getTextSize(label, FONT, scale, max(1, round(scale * 2)))
            canvas.text(label, x * canvas.sx, y * canvas.sy - th - base - 6, (255, 255, 255), scale,
                        background=track_colour(pose.track_id))

