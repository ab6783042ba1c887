"""Which overlays to draw, and how: :class:`OverlayOptions`, Qt-free, and the overlay names and defaults.

The window's overlay controls hold one; the export renderer (:func:`~.render.render_overlays`)
draws from it, so an exported video or picture matches the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .colormaps import DEFAULT_CENTRE_COLORMAP, DEFAULT_COLORMAP, colormap_names
from ..decoding.keypoints import NUM_KEYPOINTS

__all__ = [
    "DEFAULT_HEATMAP_OPACITY", "DEFAULT_KEYPOINT_THRESHOLD", "DEFAULT_OFFSET_SCALE", "HEAD_LAYERS",
    "MAX_OFFSET_SCALE", "OVERLAY_NAMES", "OverlayOptions",
]

#: Overlay names accepted by :meth:`OverlayOptions.from_names` (and the CLI's --overlays).
OVERLAY_NAMES: tuple[str, ...] = (
    "skeleton", "keypoints", "heatmaps", "centre", "crop", "regression", "offsets", "decode",
    "boxes", "ids", "timing", "classification",
)
#: Layers drawn from the model's heads (:attr:`OverlayOptions.needs_heads`; a pipeline reads heads
#: only while one of them is on).
HEAD_LAYERS: tuple[str, ...] = ("heatmaps", "centre", "regression", "offsets", "decode")

#: Default keypoint score threshold for drawing: the one default of the window, the renderer and
#: ``export --threshold`` (0.3, the drawing threshold of Google's TF.js pose-detection demo;
#: the crop tracker's own 0.2 is a different constant, see :mod:`.cropping`).
DEFAULT_KEYPOINT_THRESHOLD = 0.3
#: Default heatmap opacity.
DEFAULT_HEATMAP_OPACITY = 0.85  # scales the value-weighted alpha of colormap_rgba_lut
#: Offset arrows are drawn this many times their length unless told otherwise (visible at fit zoom).
DEFAULT_OFFSET_SCALE = 3.0
#: Largest offset-arrow scale (OverlayOptions.offset_scale).
MAX_OFFSET_SCALE = 20.0


@dataclass(frozen=True, slots=True)
class OverlayOptions:
    """Which overlays to draw, and how. The window's overlay controls hold one of these.

    Attributes:
        skeleton: skeleton edges.
        keypoints: keypoint dots.
        keypoint_threshold: keypoints (and edges touching them) scoring at or below this
            are not drawn; 0..1 (default :data:`DEFAULT_KEYPOINT_THRESHOLD`, 0.3).
        heatmaps: keypoint heatmap overlay.
        heatmap_keypoint: keypoint index 0..16 to show, or None for the max over all keypoints.
        heatmap_opacity: opacity 0..1 of the keypoint heatmap overlay.
        centre: person-centre heatmap overlay.
        centre_opacity: opacity 0..1 of the centre heatmap overlay.
        crop: crop square (when the pipeline tracks a crop region), with the centre and the
            torso (dashed) and body (dotted) ranges the tracker measured on the frame.
        regression: lines from the centre cell to each rough keypoint (centre + regression).
        offsets: arrows from each chosen heatmap cell to the final keypoint (cell + offset);
            with ``offset_field``, the offset head as a field instead.
        decode: decode markers (centre-cell cross, rough-keypoint circles, chosen-cell squares,
            decoded-keypoint crosses).
        boxes: MultiPose boxes.
        ids: track-id labels.
        timing: timing caption.
        classification: the pose classifier's top class per pose and the repetition count.
        colormap: colour-map name for keypoint heatmaps (:func:`~.colormaps.colormap_names`).
        centre_colormap: colour-map name for the centre heatmap (default viridis, distinct
            from the keypoint heatmaps' inferno).
        offset_scale: offset arrows are drawn this many times their length (1..20; 1: from
            the cell to the keypoint). Offsets are under about one heatmap cell, a few screen
            pixels at fit zoom; the default :data:`DEFAULT_OFFSET_SCALE` (3) makes them visible.
        offset_field: draw ``offsets`` as a field: an arrow at every cell where the heatmap
            of ``heatmap_keypoint`` (None: the strongest keypoint of the cell) is at least
            :data:`~.overlay_geometry.OFFSET_FIELD_MIN_SCORE` (needs heads, not the decode;
            works for MultiPose).

    Raises:
        ValueError: (on construction) a threshold or opacity outside 0..1, a keypoint index
            outside 0..16, an offset scale outside 1..20, or an unknown colour map.
    """

    skeleton: bool = True
    keypoints: bool = True
    keypoint_threshold: float = DEFAULT_KEYPOINT_THRESHOLD
    heatmaps: bool = False
    heatmap_keypoint: int | None = None
    heatmap_opacity: float = DEFAULT_HEATMAP_OPACITY
    centre: bool = False
    centre_opacity: float = DEFAULT_HEATMAP_OPACITY
    crop: bool = False
    regression: bool = False
    offsets: bool = False
    decode: bool = False
    boxes: bool = True
    ids: bool = True
    timing: bool = False
    classification: bool = True
    colormap: str = DEFAULT_COLORMAP
    offset_field: bool = False
    centre_colormap: str = DEFAULT_CENTRE_COLORMAP
    offset_scale: float = DEFAULT_OFFSET_SCALE

    def __post_init__(self) -> None:
        for name in ("keypoint_threshold", "heatmap_opacity", "centre_opacity"):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        if self.heatmap_keypoint is not None and not 0 <= int(self.heatmap_keypoint) < NUM_KEYPOINTS:
            raise ValueError(f"heatmap_keypoint must be 0..{NUM_KEYPOINTS - 1} or None, got {self.heatmap_keypoint}")
        for name in (self.colormap, self.centre_colormap):
            if name.lower() not in colormap_names():
                raise ValueError(f"unknown colour map '{name}'; known: {', '.join(colormap_names())}")
        if not 1.0 <= float(self.offset_scale) <= MAX_OFFSET_SCALE:
            raise ValueError(f"offset_scale must be within 1..{MAX_OFFSET_SCALE:g}, got {self.offset_scale}")

    @classmethod
    def from_names(cls, names: str | list[str] | tuple[str, ...], **settings: Any) -> "OverlayOptions":
        """Options with exactly the overlays `names` on (every other layer off).

        Args:
            names: overlay names (:data:`OVERLAY_NAMES`), a list or one comma-separated
                string such as ``"skeleton,heatmaps,crop"``; ``all`` turns every layer on,
                an empty string none. ``center`` is accepted for ``centre``.
            settings: other fields (``keypoint_threshold``, ``heatmap_keypoint``, ``colormap`` ...).

        Raises:
            ValueError: an unknown overlay name (the message lists the known ones), or a
                bad setting.
        """
        if isinstance(names, str):
            names = [n for n in names.split(",")]
        chosen = {n.strip().lower() for n in names if n.strip()}
        if "all" in chosen:
            chosen = set(OVERLAY_NAMES)
        chosen = {"centre" if n == "center" else n for n in chosen}
        unknown = sorted(chosen - set(OVERLAY_NAMES))
        if unknown:
            raise ValueError(f"unknown overlay {', '.join(unknown)}; known: {', '.join(OVERLAY_NAMES)}, all")
        return cls(**{name: name in chosen for name in OVERLAY_NAMES}, **settings)

    def enabled(self) -> tuple[str, ...]:
        """Names of the layers switched on, in :data:`OVERLAY_NAMES` order."""
        return tuple(name for name in OVERLAY_NAMES if getattr(self, name))

    @property
    def needs_heads(self) -> bool:
        """True when a layer drawn from the model's heads (:data:`HEAD_LAYERS`) is on."""
        return any(getattr(self, name) for name in HEAD_LAYERS)
