"""MoveNet MultiPose: decode of the [1, 6, 56] output and box mapping (the model input is
made by :mod:`~movenet_studio.core.preprocessing.multipose_input`).

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

import numpy as np

from .keypoints import NUM_KEYPOINTS
from .pose import Pose
from ..preprocessing.mapping import InputMapping

__all__ = [
    "BOX_INDEX",
    "INSTANCE_SCORE_INDEX",
    "INSTANCE_SIZE",
    "MIN_POSE_SCORE",
    "decode_multipose",
]

#: Values per instance in the output: 17 x 3 keypoint values + 4 box values + 1 score.
INSTANCE_SIZE = NUM_KEYPOINTS * 3 + 5
#: Offset of (ymin, xmin, ymax, xmax) in an instance.
BOX_INDEX = NUM_KEYPOINTS * 3
#: Offset of the instance score in an instance.
INSTANCE_SCORE_INDEX = BOX_INDEX + 4
#: Instances below this score are dropped (TF.js ``DEFAULT_MIN_POSE_SCORE``).
MIN_POSE_SCORE = 0.25


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
