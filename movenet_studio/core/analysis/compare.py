"""Compare two model configurations frame by frame on the same model input.

A comparison runs configuration A and configuration B (each a
:class:`~.pipeline.PipelineConfig`: model, backend, provider, threads ...) on every frame
and measures how far apart their keypoints are. Both see the same part of the frame:

* **A drives the preprocessing.** A runs :meth:`Pipeline.process` as usual: with crop
  tracking its own crop tracker (fed by A's smoothed keypoints) picks the region; without it
  (or for MultiPose) the whole frame is letterboxed / padded.
* **B runs on exactly A's model input** (the same uint8 array) when the two input sizes
  match, e.g. ``lightning-float16`` vs ``lightning-int8`` or TFLite vs ONNX.
* **Otherwise B runs on the same frame region resized to B's input size**: A's crop region
  cut with :func:`~.cropping.crop_and_resize` at B's size, or, when A letterboxed, the whole
  frame letterboxed (single-pose) / padded (MultiPose) at B's size, which shows the same
  frame region. e.g. ``lightning`` (192) vs ``thunder`` (256).

B runs through :meth:`Pipeline.process_input`, so B's own crop tracker never moves; B's
smoothing, low-score reset and MultiPose tracking still follow B's config and only affect
B's reported poses (:attr:`CompareFrame.b`), not the distances.

**Distances** are between the models' own keypoints on that shared input, mapped to frame
pixels, *before* smoothing and tracking, so they measure the models and not the filters:
single-pose: the 17 keypoints of each model's raw output (always present, whatever the
scores); MultiPose: the instances decoded with each config's ``min_pose_score``, paired
greedily by box IoU >= :data:`MATCH_MIN_IOU` (unpaired instances are counted, not measured).
Comparing a single-pose with a MultiPose model is refused.

**Configuration B** is A's configuration with B's own model, backend, threads, provider and
heads (:func:`config_b_from`); whenever A's other options change, B follows
(:func:`follow_a`). One policy, so the same SPEC gives the same B in the CLI and the window.

No Qt here: the CLI ``compare`` command and the GUI's compare mode both use
:class:`ComparePipeline`, :func:`config_b_from` and :class:`~.compare_stats.CompareStats`.
"""

from __future__ import annotations

import time
from dataclasses import fields, replace
from typing import Iterable

import numpy as np

from ..backends import available_backends
from .compare_frame import CompareFrame
from .compare_stats import CompareStats
from ..preprocessing.crop import crop_and_resize
from ..errors import ModelError
from ..decoding.keypoint_sets import keypoint_set_for
from ..decoding.keypoints import NUM_KEYPOINTS
from ..decoding.multipose import decode_multipose
from ..frame_result import FrameResult
from ..pipeline import Pipeline
from ..pipeline_config import PipelineConfig
from ..preprocessing.mapping import InputMapping
from ..preprocessing.profile import prepare_model_input, prepare_multipose_input
from ..media.sources import Frame
from ..tracking.track_ids import box_iou

#: MultiPose instances of A and B are paired when their boxes overlap at least this much.
MATCH_MIN_IOU = 0.3


def parse_spec(spec: str, default_backend: str = "tflite") -> tuple[str, str]:
    """Split ``model[:backend]`` into (model, backend).

    ``thunder-int8`` -> (``thunder-int8``, `default_backend`); ``lightning-float16:onnx`` ->
    (``lightning-float16``, ``onnx``). Only a suffix naming a known backend is split off,
    so paths with a colon (``C:\\models\\m.onnx``) stay whole; a model path ending in
    ``.onnx`` defaults to the onnx backend.

    Raises:
        ModelError: empty model name.
    """
    text = spec.strip()
    model, backend = text, None
    if ":" in text:
        head, tail = text.rsplit(":", 1)
        if tail.lower() in available_backends():
            model, backend = head, tail.lower()
    if not model:
        raise ModelError(f"empty model in '{spec}': use model[:backend], e.g. lightning-float16:onnx")
    if backend is None:
        backend = "onnx" if model.lower().endswith(".onnx") else default_backend
    return model, backend


def _model_keypoints(result: FrameResult, min_pose_score: float) -> tuple[np.ndarray, np.ndarray | None]:
    """(float32 [N, 17, 3] keypoints in frame px before smoothing, float [N, 4] boxes or None).

    A 13-keypoint model's keypoints sit in their COCO slots (ST's head point in the nose's);
    the slots it does not have (eyes, ears) are NaN, so models of different keypoint sets
    are compared on the keypoints both have.
    """
    raw = np.asarray(result.raw_output, dtype=np.float32)
    if raw.shape[-1] == 56:  # MultiPose
        poses = decode_multipose(raw, result.mapping, min_pose_score)
        if not poses:
            return np.zeros((0, NUM_KEYPOINTS, 3), np.float32), np.zeros((0, 4))
        return (np.stack([p.keypoints for p in poses]).astype(np.float32),
                np.stack([p.box for p in poses]).astype(np.float64))
    yxs = raw.reshape(-1, 3)
    xy = result.mapping.to_frame(yxs[:, :2])
    keypoints = np.concatenate([xy, yxs[:, 2:3]], axis=1).astype(np.float32)
    if len(keypoints) != NUM_KEYPOINTS:
        slots = np.full((NUM_KEYPOINTS, 3), np.nan, np.float32)
        slots[list(keypoint_set_for(len(keypoints)).coco_index)] = keypoints
        keypoints = slots
    return keypoints[None], None


def match_instances(boxes_a: np.ndarray, boxes_b: np.ndarray, min_iou: float = MATCH_MIN_IOU) -> list[tuple[int, int]]:
    """Pair MultiPose instances greedily by box IoU, best overlap first.

    Args:
        boxes_a: float [N, 4] (x0, y0, x1, y1).
        boxes_b: float [M, 4] in the same unit.
        min_iou: pairs overlapping less are not made.

    Returns:
        (index in A, index in B) pairs, sorted by the index in A.
    """
    if len(boxes_a) == 0 or len(boxes_b) == 0:
        return []
    iou = box_iou(boxes_a, boxes_b)
    pairs = []
    used_a, used_b = set(), set()
    for flat in np.argsort(-iou, axis=None, kind="stable"):
        i, j = divmod(int(flat), iou.shape[1])
        if iou[i, j] < min_iou:
            break
        if i in used_a or j in used_b:
            continue
        pairs.append((i, j))
        used_a.add(i)
        used_b.add(j)
    return sorted(pairs)


class ComparePipeline:
    """Runs configuration A and configuration B on the same frames (see the module docstring).

    Args:
        a: configuration A (drives the preprocessing: crop region or letterbox).
        b: configuration B.

    Attributes:
        a, b: the two :class:`~.pipeline.Pipeline` objects (:meth:`~.pipeline.Pipeline.describe`
            says what each runs).

    Raises:
        ModelError: a model cannot be resolved, or one is single-pose and the other MultiPose.
        BackendError: a runtime cannot load its model.
    """

    def __init__(self, a: PipelineConfig, b: PipelineConfig):
        pipeline_a = Pipeline(a)
        try:
            pipeline_b = Pipeline(b)
        except BaseException:
            pipeline_a.close()
            raise
        try:
            self._join(pipeline_a, pipeline_b)
        except ModelError:
            self.close()
            raise

    @property
    def config_a(self) -> PipelineConfig:
        """Configuration A (as A runs now: heads may have been switched)."""
        return self.a.config

    @property
    def config_b(self) -> PipelineConfig:
        """Configuration B."""
        return self.b.config

    @classmethod
    def from_pipelines(cls, a: Pipeline, b: Pipeline) -> "ComparePipeline":
        """Compare two pipelines already built; `a` keeps its per-source state (crop region,
        filters), so turning compare mode on does not change what A shows.

        Raises:
            ModelError: one is single-pose and the other MultiPose (`b` is closed, `a` is not).
        """
        pair = cls.__new__(cls)
        try:
            pair._join(a, b)
        except ModelError:
            b.close()
            raise
        return pair

    def _join(self, a: Pipeline, b: Pipeline) -> None:
        self.a, self.b = a, b
        if self.a.model.is_multipose != self.b.model.is_multipose:
            kinds = {True: "MultiPose", False: "single-pose"}
            raise ModelError(f"cannot compare a {kinds[self.a.model.is_multipose]} model ({self.a.model.key}) "
                             f"with a {kinds[self.b.model.is_multipose]} model ({self.b.model.key})")

    def process(self, frame: Frame) -> CompareFrame:
        """Run A, then B on the same region, and measure the keypoint distances.

        Raises:
            BackendError: a runtime failed on this frame.
        """
        return self.compare(frame, self.a.process(frame))

    def compare(self, frame: Frame, result_a: FrameResult) -> CompareFrame:
        """Run B on the region A's `result_a` was made from (a frame A processed already) and
        measure the keypoint distances; A is not run again.

        Raises:
            BackendError: B's runtime failed on this frame.
        """
        size_b = self.b.input_size(frame.rgb.shape)
        shared = tuple(result_a.model_input.shape[:2]) == tuple(size_b)
        start = time.perf_counter()
        if shared:
            model_input, mapping = result_a.model_input, result_a.mapping
        elif result_a.crop_region is not None:
            height, width = frame.rgb.shape[:2]
            model_input = crop_and_resize(frame.rgb, result_a.crop_region, *size_b)
            mapping = InputMapping(result_a.crop_region.as_tuple(), (height, width), size_b)
            if self.config_a.preprocess.channels == "bgr":
                model_input = np.ascontiguousarray(model_input[..., ::-1])
        elif self.b.model.is_multipose:
            model_input, mapping = prepare_multipose_input(frame.rgb, size_b, self.config_a.preprocess)
        else:  # A's preprocessing profile, at B's size
            model_input, mapping = prepare_model_input(frame.rgb, size_b, self.config_a.preprocess)
        pre_ms = 0.0 if shared else (time.perf_counter() - start) * 1000
        result_b = self.b.process_input(frame, model_input, mapping, result_a.crop_region, pre_ms)
        kp_a, boxes_a = _model_keypoints(result_a, self.config_a.min_pose_score)
        kp_b, boxes_b = _model_keypoints(result_b, self.config_b.min_pose_score)
        if boxes_a is None:  # single-pose: one pair, always
            pairs = [(0, 0)]
        else:
            pairs = match_instances(boxes_a, boxes_b)
        ia = [i for i, _ in pairs]
        ib = [j for _, j in pairs]
        kp_a, kp_b, unmatched_a, unmatched_b = kp_a[ia], kp_b[ib], len(kp_a) - len(ia), len(kp_b) - len(ib)
        distances = np.linalg.norm(kp_a[..., :2].astype(np.float64) - kp_b[..., :2], axis=-1).astype(np.float32)
        return CompareFrame(result_a, result_b, shared, kp_a, kp_b, distances, unmatched_a, unmatched_b)

    def reset(self) -> None:
        """Forget per-source state of both pipelines (source change or seek)."""
        self.a.reset()
        self.b.reset()

    def close(self) -> None:
        """Release both runtimes."""
        self.a.close()
        self.b.close()

    def __enter__(self) -> "ComparePipeline":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def compare_frames(a: PipelineConfig, b: PipelineConfig, frames: Iterable[Frame],
                   max_frames: int | None = None) -> tuple[CompareStats, dict, dict]:
    """Run a whole comparison (convenience for scripts and tests).

    Returns:
        (stats, description of A, description of B) (:meth:`PipelineDescription.to_json
        <movenet_studio.core.pipeline_description.PipelineDescription.to_json>` of each side).
    """
    stats = CompareStats()
    with ComparePipeline(a, b) as pipeline:
        for frame in frames:
            stats.add(pipeline.process(frame))
            if max_frames and stats.frames >= max_frames:
                break
        return stats, pipeline.a.describe().to_json(), pipeline.b.describe().to_json()


def config_for(spec: str, base: PipelineConfig) -> PipelineConfig:
    """`base` with the model and backend of a ``model[:backend]`` spec (see :func:`parse_spec`)."""
    model, backend = parse_spec(spec, base.backend)
    return replace(base, model=model, backend=backend)


#: Options configuration B sets for itself; every other :class:`~.pipeline.PipelineConfig`
#: field B takes from A (:data:`FOLLOWED_OPTIONS`).
OWN_OPTIONS = ("model", "backend", "threads", "provider", "heads")
#: Options B takes from A and keeps in step with A's (crop, smoothing and its One Euro
#: parameters, tracker, minimum pose score, preprocessing, float input range): both report
#: poses the same way, so the distances and the two skeletons differ only by the models.
FOLLOWED_OPTIONS = tuple(f.name for f in fields(PipelineConfig) if f.name not in OWN_OPTIONS)


def config_b_from(a: PipelineConfig, model: str, backend: str, *, threads: int | None = None,
                  provider: str | None = None, heads: bool = False) -> PipelineConfig:
    """Configuration B beside configuration `a`: A's :data:`FOLLOWED_OPTIONS` with B's own.

    The one policy of the CLI's ``compare`` and ``layers`` and the window's compare mode.

    Args:
        a: configuration A.
        model, backend: B's model (catalog key or file path) and runtime (e.g. from :func:`parse_spec`).
        threads: B's runtime threads (None: A's).
        provider: B's ONNX Runtime execution provider (None: A's when both run on ONNX, else
            the best available); ignored unless B runs on ONNX.
        heads: B reads its prediction heads too.
    """
    if backend != "onnx":
        provider = None
    elif provider is None and a.backend == "onnx":
        provider = a.provider
    return replace(a, model=model, backend=backend, threads=a.threads if threads is None else threads,
                   provider=provider, heads=heads)


def follow_a(b: PipelineConfig, a: PipelineConfig) -> PipelineConfig:
    """`b` with A's :data:`FOLLOWED_OPTIONS` (after A's options changed); B's own stay."""
    return replace(b, **{name: getattr(a, name) for name in FOLLOWED_OPTIONS})
