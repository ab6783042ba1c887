"""A preprocessing profile, to reproduce a board's pipeline exactly.

Deployment pipelines prepare the model input in their own way: ST's model zoo evaluates
its MoveNet heatmap models with a *stretch* resize and *nearest* interpolation, NXP's i.MX
example feeds OpenCV's *BGR* frames. A :class:`PreprocessProfile` says

* ``channels``: ``rgb`` (MoveNet's training order) or ``bgr`` (R and B swapped);
* ``resize``: ``letterbox`` (keep the aspect ratio, pad with black; the default, and the
  only mode under which the TF.js crop tracker runs), ``stretch`` (the whole frame squeezed
  to the input) or ``centre-crop`` (the largest centred square, resized);
* ``interpolation``: ``auto`` (area when shrinking, bilinear when enlarging: the default),
  ``bilinear``, ``nearest`` or ``area`` (OpenCV's ``INTER_LINEAR``, ``INTER_NEAREST``,
  ``INTER_AREA``).

:func:`prepare_model_input` makes the model input and its :class:`~.preprocess.InputMapping`
(so keypoints and heatmaps map back to the frame whatever the resize);
:func:`prepare_multipose_input` does the same for MultiPose, whose letterbox is TF.js's
top-left one.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .multipose_input import preprocess_multipose
from .letterbox import letterbox
from .mapping import CropRegion, InputMapping

CHANNELS = ("rgb", "bgr")
RESIZE_MODES = ("letterbox", "stretch", "centre-crop")
INTERPOLATIONS = ("auto", "bilinear", "nearest", "area")
_CV2 = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST, "area": cv2.INTER_AREA}


@dataclass(frozen=True, slots=True)
class PreprocessProfile:
    """How the model input is made (see the module docstring).

    Raises:
        ValueError: an unknown channel order, resize mode or interpolation.
    """

    channels: str = "rgb"
    resize: str = "letterbox"
    interpolation: str = "auto"

    def __post_init__(self) -> None:
        for value, allowed, what in ((self.channels, CHANNELS, "channels"), (self.resize, RESIZE_MODES, "resize"),
                                     (self.interpolation, INTERPOLATIONS, "interpolation")):
            if value not in allowed:
                raise ValueError(f"{what} '{value}': use {', '.join(allowed)}")

    @property
    def is_default(self) -> bool:
        """True for MoveNet's own preprocessing (RGB, letterbox, auto interpolation)."""
        return self == PreprocessProfile()

    @property
    def allows_crop_tracking(self) -> bool:
        """Crop tracking runs only with the letterbox resize (it replaces it frame by frame)."""
        return self.resize == "letterbox"

    def describe(self) -> str:
        """E.g. ``BGR, stretch, nearest``."""
        return f"{self.channels.upper()}, {self.resize}, {self.interpolation}"

    def to_json(self) -> dict:
        """``{"channels", "resize", "interpolation"}``."""
        return {"channels": self.channels, "resize": self.resize, "interpolation": self.interpolation}


def _resize(image: np.ndarray, width: int, height: int, interpolation: str) -> np.ndarray:
    if interpolation == "auto":
        shrinking = width < image.shape[1] or height < image.shape[0]
        flag = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    else:
        flag = _CV2[interpolation]
    return cv2.resize(image, (width, height), interpolation=flag)


def prepare_model_input(frame: np.ndarray, input_size: tuple[int, int],
                        profile: PreprocessProfile) -> tuple[np.ndarray, InputMapping]:
    """The model input for `frame` under `profile` (channel order applied last).

    Args:
        frame: uint8 [H, W, 3] RGB.
        input_size: (height, width) of the model input.
        profile: the profile.

    Returns:
        (uint8 [in_h, in_w, 3] model input, the mapping back to the frame).
    """
    h, w = frame.shape[:2]
    in_h, in_w = input_size
    if profile.resize == "letterbox":
        if profile.interpolation == "auto":
            image, mapping = letterbox(frame, input_size)
        else:
            scale = min(in_w / w, in_h / h)
            new_w, new_h = max(1, min(in_w, round(w * scale))), max(1, min(in_h, round(h * scale)))
            pad_x, pad_y = (in_w - new_w) // 2, (in_h - new_h) // 2
            image = np.zeros((in_h, in_w, 3), dtype=np.uint8)
            image[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = _resize(frame, new_w, new_h, profile.interpolation)
            box = (-pad_y / new_h, -pad_x / new_w, (in_h - pad_y) / new_h, (in_w - pad_x) / new_w)
            mapping = InputMapping(box, (h, w), (in_h, in_w))
    elif profile.resize == "stretch":
        image = _resize(frame, in_w, in_h, profile.interpolation)
        mapping = InputMapping((0.0, 0.0, 1.0, 1.0), (h, w), (in_h, in_w))
    else:  # centre-crop: the largest centred region with the input's aspect ratio
        crop_w = min(w, round(h * in_w / in_h))
        crop_h = min(h, round(w * in_h / in_w))
        x0, y0 = (w - crop_w) // 2, (h - crop_h) // 2
        image = _resize(frame[y0:y0 + crop_h, x0:x0 + crop_w], in_w, in_h, profile.interpolation)
        mapping = InputMapping((y0 / h, x0 / w, (y0 + crop_h) / h, (x0 + crop_w) / w), (h, w), (in_h, in_w))
    if profile.channels == "bgr":
        image = np.ascontiguousarray(image[..., ::-1])
    return image, mapping


def cut_region(frame: np.ndarray, region: CropRegion, input_size: tuple[int, int],
               profile: PreprocessProfile) -> tuple[np.ndarray, InputMapping]:
    """The model input for the crop `region` of a still image, resampled as the letterbox is.

    Video crops go through TF.js's ``cropAndResize`` (bilinear sampling, no antialiasing:
    :func:`~.crop.crop_and_resize`), which is what TF.js agreement needs. A still image has no
    such constraint: the part of `region` inside the image is resized with the profile's
    interpolation (``auto``: area when shrinking) and placed on black, so the whole image
    padded to a square gives exactly the ``--no-crop`` letterbox input.

    Args:
        frame: uint8 [H, W, 3] RGB.
        region: the crop region (normalised to the frame; may extend beyond it).
        input_size: (height, width) of the model input.
        profile: channel order and interpolation.

    Returns:
        (uint8 [in_h, in_w, 3] model input, the :class:`InputMapping` of where the image's
        pixels were placed: exact after the rounding of the placed part to whole pixels).
    """
    h, w = frame.shape[:2]
    in_h, in_w = input_size
    x0, y0, x1, y1 = region.to_pixels(h, w)
    sx, sy = in_w / max(x1 - x0, 1e-6), in_h / max(y1 - y0, 1e-6)
    ix0, iy0 = min(w, max(0, round(x0))), min(h, max(0, round(y0)))
    ix1, iy1 = max(ix0, min(w, round(x1))), max(iy0, min(h, round(y1)))
    ox, oy = min(in_w - 1, max(0, round((ix0 - x0) * sx))), min(in_h - 1, max(0, round((iy0 - y0) * sy)))
    nw, nh = min(in_w - ox, round((ix1 - ix0) * sx)), min(in_h - oy, round((iy1 - iy0) * sy))
    image = np.zeros((in_h, in_w, 3), dtype=np.uint8)
    if nw < 1 or nh < 1:  # the region holds no pixel of the image
        return image, InputMapping(region.as_tuple(), (h, w), (in_h, in_w))
    image[oy:oy + nh, ox:ox + nw] = _resize(frame[iy0:iy1, ix0:ix1], nw, nh, profile.interpolation)
    if profile.channels == "bgr":
        image = np.ascontiguousarray(image[..., ::-1])
    # model pixel u holds image pixel ix0 + (u - ox) * (ix1 - ix0) / nw (and so for y)
    px, py = (ix1 - ix0) / nw, (iy1 - iy0) / nh
    box = ((iy0 - oy * py) / h, (ix0 - ox * px) / w, (iy0 + (in_h - oy) * py) / h, (ix0 + (in_w - ox) * px) / w)
    return image, InputMapping(box, (h, w), (in_h, in_w))


def prepare_multipose_input(frame: np.ndarray, input_size: tuple[int, int],
                            profile: PreprocessProfile) -> tuple[np.ndarray, InputMapping]:
    """MultiPose's model input for `frame` under `profile`: ``letterbox`` is MultiPose's own
    fit (the frame at the top-left, padded bottom / right, as TF.js pads:
    :func:`~.decoding.multipose.preprocess_multipose`), ``stretch`` and ``centre-crop`` as
    :func:`prepare_model_input`; interpolation and channel order as the profile says. The
    default profile gives exactly ``preprocess_multipose``'s input.

    Args:
        frame: uint8 [H, W, 3] RGB.
        input_size: (height, width) of the model input (``multipose_input_size``).
        profile: the profile.

    Returns:
        (uint8 [in_h, in_w, 3] model input, the mapping back to the frame).

    Raises:
        ValueError: the frame is not [H, W, 3] or is empty.
    """
    if profile.resize != "letterbox":
        return prepare_model_input(frame, input_size, profile)
    image, mapping = preprocess_multipose(frame, input_size, _CV2.get(profile.interpolation))
    if profile.channels == "bgr":
        image = np.ascontiguousarray(image[..., ::-1])
    return image, mapping
