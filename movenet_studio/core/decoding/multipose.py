"""MoveNet MultiPose: model-input preparation, decode of the [1, 6, 56] output, box mapping.

Ported from Google's ``tensorflow/tfjs-models`` (Apache-2.0), not copied:
``pose-detection/src/movenet/detector.ts`` (``estimateMultiplePoses``,
``runMultiPersonPoseModel``) and ``pose-detection/src/movenet/constants.ts``.

What TF.js does, and where this module differs:

- Input: the frame is resized so its longer side is 256 (``multiPoseMaxDimension``) keeping
  the aspect ratio (other side ``round(256 * short / long)``), then padded with zeros on the
  bottom / right only, up to a multiple of 32. Files with a fixed input (the bundled
  MultiPose files take 256x256) are padded up to that size instead, the same way. TF.js
  resizes with plain bilinear; like :func:`~.preprocess.letterbox` this module uses area
  interpolation when shrinking (less aliasing), bilinear when enlarging.
- Output: ``[1, N, 56]`` (N = 6): per instance 17 x (y, x, score) normalised to the model
  input, then the box (ymin, xmin, ymax, xmax) at 51..54 normalised to the model input,
  then the instance score at 55. Instances scoring below the minimum pose score (TF.js
  ``DEFAULT_MIN_POSE_SCORE`` 0.25; kept iff ``score >= min``) are dropped.
- Mapping back: TF.js rescales the keypoints by ``padded / resized`` but leaves the box in
  padded-input coordinates (so boxes are wrong whenever there is padding). Here keypoints
  *and* boxes go through the same :class:`~.preprocess.InputMapping` to frame pixels.
- TF.js treats ``minPoseScore: 0`` as "not set" (a falsy check) and uses 0.25; here 0 keeps
  every instance.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .keypoints import NUM_KEYPOINTS
from .pose import Pose
from ..preprocessing.letterbox import InputMapping

__all__ = [
    "BOX_INDEX",
    "DIMENSION_DIVISOR",
    "INSTANCE_SCORE_INDEX",
    "INSTANCE_SIZE",
    "MAX_DIMENSION",
    "MIN_POSE_SCORE",
    "decode_multipose",
    "multipose_input_size",
    "preprocess_multipose",
]

#: Longer side of the model input for files with a dynamic input (TF.js ``MOVENET_MULTIPOSE_DEFAULT_MAX_DIMENSION``).
MAX_DIMENSION = 256
#: Dynamic-input sides are padded up to a multiple of this.
DIMENSION_DIVISOR = 32
#: Values per instance in the output: 17 x 3 keypoint values + 4 box values + 1 score.
INSTANCE_SIZE = NUM_KEYPOINTS * 3 + 5
#: Offset of (ymin, xmin, ymax, xmax) in an instance.
BOX_INDEX = NUM_KEYPOINTS * 3
#: Offset of the instance score in an instance.
INSTANCE_SCORE_INDEX = BOX_INDEX + 4
#: Instances below this score are dropped (TF.js ``DEFAULT_MIN_POSE_SCORE``).
MIN_POSE_SCORE = 0.25


def _resized_size(frame_size: tuple[int, int], max_dimension: int) -> tuple[int, int]:
    """(height, width) of the frame resized so its longer side is `max_dimension` (TF.js rounding)."""
    h, w = frame_size
    if w > h:
        return max(1, round(max_dimension * h / w)), max_dimension
    return max_dimension, max(1, round(max_dimension * w / h))


def multipose_input_size(frame_shape: tuple[int, ...], model_input_size: tuple[int, int] = (-1, -1),
                         max_dimension: int = MAX_DIMENSION) -> tuple[int, int]:
    """Model-input (height, width) for a frame.

    Args:
        frame_shape: the frame's shape; only (height, width) = ``frame_shape[:2]`` is used.
        model_input_size: the file's declared (height, width); a positive size is returned
            as is (the bundled files: 256x256), (-1, -1) means a dynamic input.
        max_dimension: longer side for dynamic inputs, a multiple of 32 (TF.js default 256).

    Returns:
        (height, width) in pixels. Dynamic inputs: the longer frame side becomes
        `max_dimension`, the shorter ``round(max_dimension * short / long)`` rounded up to a
        multiple of 32 (as TF.js ``estimateMultiplePoses``).

    Raises:
        ValueError: `max_dimension` is not a positive multiple of 32, or the frame is empty.
    """
    if model_input_size[0] > 0 and model_input_size[1] > 0:
        return int(model_input_size[0]), int(model_input_size[1])
    if max_dimension < DIMENSION_DIVISOR or max_dimension % DIMENSION_DIVISOR:
        raise ValueError(f"max_dimension must be a positive multiple of {DIMENSION_DIVISOR}, got {max_dimension}")
    h, w = int(frame_shape[0]), int(frame_shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"empty frame of shape {tuple(frame_shape)}")
    rh, rw = _resized_size((h, w), max_dimension)
    return (math.ceil(rh / DIMENSION_DIVISOR) * DIMENSION_DIVISOR,
            math.ceil(rw / DIMENSION_DIVISOR) * DIMENSION_DIVISOR)


def preprocess_multipose(frame: np.ndarray, input_size: tuple[int, int],
                         interpolation: int | None = None) -> tuple[np.ndarray, InputMapping]:
    """Resize `frame` into the MultiPose input keeping its aspect ratio; pad bottom / right.

    The frame is scaled so it fits `input_size` (its longer side fills the matching input
    side; the other side is ``round(side * scale)``), placed at the top-left corner, and the
    rest is black, as TF.js pads. Area interpolation when shrinking, bilinear when enlarging,
    unless `interpolation` (an OpenCV ``INTER_*`` flag) says otherwise.

    Args:
        frame: uint8 [H, W, 3] RGB.
        input_size: (height, width) of the model input in pixels, e.g. from
            :func:`multipose_input_size`.
        interpolation: OpenCV interpolation flag; None: area / bilinear as above.

    Returns:
        (uint8 [in_h, in_w, 3] model input, the :class:`~.preprocess.InputMapping` from
        model-input coordinates back to the frame).

    Raises:
        ValueError: the frame is not [H, W, 3] or is empty.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape[0] < 1 or frame.shape[1] < 1:
        raise ValueError(f"frame must be [H, W, 3], got shape {frame.shape}")
    h, w = frame.shape[:2]
    in_h, in_w = int(input_size[0]), int(input_size[1])
    scale = min(in_w / w, in_h / h)
    new_w = max(1, min(in_w, round(w * scale)))
    new_h = max(1, min(in_h, round(h * scale)))
    if interpolation is None:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    image = np.zeros((in_h, in_w, 3), dtype=np.uint8)
    image[:new_h, :new_w] = cv2.resize(frame, (new_w, new_h), interpolation=interpolation)
    # The resized frame spans rows 0..new_h and columns 0..new_w of the input exactly, so the
    # whole input (0..1) shows the frame box (0, 0) .. (in_h / new_h, in_w / new_w).
    box = (0.0, 0.0, in_h / new_h, in_w / new_w)
    return image, InputMapping(box, (h, w), (in_h, in_w))


def decode_multipose(raw: np.ndarray, mapping: InputMapping,
                     min_pose_score: float = MIN_POSE_SCORE) -> tuple[Pose, ...]:
    """Turn the MultiPose output into poses in frame pixels.

    Args:
        raw: float [1, N, 56] model output (N = 6 for the official files): per instance
            17 x (y, x, score) normalised to the model input, box (ymin, xmin, ymax, xmax)
            normalised to the model input at 51..54, instance score at 55.
        mapping: model input -> frame, from :func:`preprocess_multipose`.
        min_pose_score: instances with score < this are dropped (0..1; TF.js default 0.25).

    Returns:
        Poses sorted by instance score, best first (the order the trackers expect), each with
        float32 [17, 3] keypoints (x, y, score) in frame pixels, ``score`` = instance score,
        ``box`` = float32 [4] (x0, y0, x1, y1) in frame pixels (not clipped to the frame),
        ``track_id`` None.

    Raises:
        ValueError: `raw` does not hold whole 56-value instances, or `min_pose_score` is
            outside 0..1.
    """
    if not 0.0 <= min_pose_score <= 1.0:
        raise ValueError(f"min_pose_score must be in 0..1, got {min_pose_score}")
    raw = np.asarray(raw, dtype=np.float32)
    if raw.size % INSTANCE_SIZE or raw.shape[-1] != INSTANCE_SIZE:
        raise ValueError(f"MultiPose output must be [1, N, {INSTANCE_SIZE}], got shape {raw.shape}")
    instances = raw.reshape(-1, INSTANCE_SIZE)
    scores = instances[:, INSTANCE_SCORE_INDEX]
    order = np.argsort(-scores, kind="stable")
    poses = []
    for i in order:
        score = float(scores[i])
        if not score >= min_pose_score:  # also drops NaN
            continue
        yxs = instances[i, :BOX_INDEX].reshape(NUM_KEYPOINTS, 3)
        keypoints = np.concatenate([mapping.to_frame(yxs[:, :2]), yxs[:, 2:3]], axis=1).astype(np.float32)
        # (ymin, xmin), (ymax, xmax) -> (x0, y0), (x1, y1) in frame pixels.
        corners = mapping.to_frame(instances[i, BOX_INDEX:INSTANCE_SCORE_INDEX].reshape(2, 2))
        poses.append(Pose(keypoints, score, box=corners.reshape(4).astype(np.float32)))
    return tuple(poses)
