"""What a pipeline runs: :class:`PipelineConfig` (model, backend, heads, tracking, preprocessing)."""

from __future__ import annotations

from dataclasses import dataclass

from .preprocessing.profile import PreprocessProfile
from .tracking.smoothing import MOVENET_KEYPOINT_FILTER_CONFIG, OneEuroConfig

#: MultiPose instances below this score are dropped (TF.js default).
MIN_POSE_SCORE = 0.25


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """What to run.

    Attributes:
        model: catalog key (``lightning``, ``thunder-int8``, ``multipose``) or a model file path.
        backend: backend name (``tflite``: LiteRT, ``onnx``: ONNX Runtime; ``auto``: the file's format).
        threads: CPU threads for the runtime.
        provider: ONNX Runtime execution provider, or None for the best available.
        heads: read the four prediction heads after each inference (costs time and memory).
        min_pose_score: MultiPose instances below this score are dropped.
        tracker: MultiPose track ids: ``none``, ``boxes`` (IoU, the TF.js default) or
            ``keypoints`` (OKS); with a tracker, keypoints are smoothed per track.
        crop: single-pose crop-region tracking (TF.js); off: letterbox the whole frame. A still
            image (:attr:`Frame.still <.media.sources.Frame.still>`) is instead cropped from the
            whole image padded to a square, refined on its own keypoints (:mod:`.tracking.still_crop`).
        first_crop: a video's first crop region (and after a reset): ``centre`` (TF.js's centred
            square inside the frame) or ``pad`` (the whole frame padded to a square).
        smoothing: One Euro keypoint smoothing driven by frame timestamps.
        one_euro: the One Euro filter's parameters (default: TF.js's ``KEYPOINT_FILTER_CONFIG``);
            :meth:`Pipeline.set_one_euro` changes them without rebuilding the pipeline.
        preprocess: channel order, resize mode and interpolation of the model input
            (:class:`~.preprocess_profile.PreprocessProfile`; MultiPose follows it too, its
            letterbox being TF.js's top-left one); a resize other than letterbox turns crop
            tracking off.
        input_range: the value range a float32-input model file expects pixel 0..255 mapped
            to, e.g. (-1, 1); None: the file's default (0..255). Ignored for integer inputs.
    """

    model: str = "lightning"
    backend: str = "tflite"
    threads: int = 2
    provider: str | None = None
    heads: bool = False
    min_pose_score: float = MIN_POSE_SCORE
    tracker: str = "boxes"
    crop: bool = True
    first_crop: str = "centre"
    smoothing: bool = True
    one_euro: OneEuroConfig = MOVENET_KEYPOINT_FILTER_CONFIG
    preprocess: PreprocessProfile = PreprocessProfile()
    input_range: tuple[float, float] | None = None
