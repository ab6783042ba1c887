"""The overlay state's Qt-free parts the window's settings, command line and widgets share: the
layers the Overlays controls own, what the window shows by default, the ``--overlays`` list
and the keypoint threshold. The state itself is a
:class:`~movenet_studio.core.drawing.overlay_options.OverlayOptions` (the export renderer's own).
"""

from __future__ import annotations

from dataclasses import replace

from ..core.drawing.overlay_options import DEFAULT_KEYPOINT_THRESHOLD, OVERLAY_NAMES, OverlayOptions

#: The layers the Overlays controls own (fields of OverlayOptions); everything else in an
#: OverlayOptions (threshold, boxes, ids, timing) belongs to other controls.
OWN_LAYERS = ("skeleton", "keypoints", "heatmaps", "centre", "crop", "regression", "offsets", "decode")
#: What the window shows when nothing was chosen: the skeleton only.
DEFAULT_OVERLAYS = OverlayOptions.from_names("skeleton,keypoints,boxes,ids")
#: Default score threshold below which keypoints (and edges touching them) are hidden: the
#: renderer's :data:`~movenet_studio.core.drawing.overlay_options.DEFAULT_KEYPOINT_THRESHOLD` (one constant).
DEFAULT_THRESHOLD = DEFAULT_KEYPOINT_THRESHOLD


def parse_overlays(text: str, base: OverlayOptions = DEFAULT_OVERLAYS) -> OverlayOptions:
    """The overlay state that a ``--overlays`` list describes.

    Names are :data:`~movenet_studio.core.drawing.overlay_options.OVERLAY_NAMES`
    (``skeleton,heatmaps,centre,offsets,regression,decode,crop`` ...; ``all``; ``center``).
    The window draws keypoints with the skeleton, so ``skeleton`` or ``keypoints`` turns
    both on. Layers the Overlays controls do not own (boxes, ids, timing) and the heatmap keypoint,
    opacities and colour map keep their values from `base`.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    chosen = OverlayOptions.from_names(text)
    pose = chosen.skeleton or chosen.keypoints
    layers = {name: getattr(chosen, name) for name in OWN_LAYERS}
    layers.update(skeleton=pose, keypoints=pose)
    return replace(base, **layers)


def overlay_names(options: OverlayOptions) -> str:
    """The ``--overlays`` list of the layers of `options` the Overlays controls own, e.g. ``skeleton,heatmaps``."""
    names = [name for name in OVERLAY_NAMES if name in OWN_LAYERS and name != "keypoints" and getattr(options, name)]
    return ",".join(names)
