"""The per-frame pipeline: frame -> crop or letterbox -> inference -> decode -> smoothing -> FrameResult.

One :class:`Pipeline` owns one loaded model. It is not thread-safe: the GUI's worker
thread and the CLI each drive their own.

Single-pose models follow Google's TF.js MoveNet detector (detector.ts ``estimateSinglePose``):
the crop region of :class:`~.cropping.CropTracker` is cut out with ``crop_and_resize``, the
model runs, a pose scoring below 0.25 resets the tracker and the smoother and is not
reported, the keypoints are mapped back to the frame, smoothed with the One Euro filter of
:class:`~.smoothing.KeypointSmoother`, and the smoothed keypoints set the next crop region.
With crop tracking off the whole frame is letterboxed instead.
"""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from types import MappingProxyType

import numpy as np

from .backends import Backend, create_backend
from .classify.classification import FrameClassifier
from .tracking.cropping import CropMeasurement, CropTracker, determine_crop_region
from .preprocessing.crop import crop_and_resize, load_crop_kernel
from .preprocessing.mapping import CropRegion
from .tracking.still_crop import refine_still_crop
from .decoding.keypoint_sets import keypoint_set_for
from .decoding.pose import Pose, pose_score
from .decoding.output_decode import DecodedOutput
from .models.model_io import output_decoder
from .models.resolve import resolve_model
from .models.catalog import ModelSpec
from .decoding.multipose import decode_multipose
from .preprocessing.multipose_input import multipose_input_size
from .pipeline_config import PipelineConfig
from .pipeline_description import PipelineDescription, file_size
from .preprocessing.mapping import InputMapping
from .preprocessing.profile import cut_region, prepare_model_input, prepare_multipose_input
from .tracking.smoothing import KeypointSmoother, OneEuroConfig
from .media.sources import Frame
from .tracking.track_ids import create_tracker
from .frame_result import FrameResult, TrackingState

class Pipeline:
    """Runs one MoveNet model on frames.

    Args:
        config: model, backend, threads and options.
        crop_kernel: when a crop-tracking pipeline loads numba's compiled crop kernel
            (:func:`~.cropping.load_crop_kernel`, about 0.5-1 s once per process): ``now``, with
            the model (commands that run many frames); ``background``, on a daemon thread,
            cropping with the bit-identical numpy port until it is ready (the window: its first
            frame comes sooner); ``off``, never (a still photo: one crop). Results are the same.

    Attributes:
        model: the resolved model file.
        backend: the model loaded in its runtime (:class:`~.backends.Backend`).
        classifier: an optional classification stage run on the final poses of every frame
            (:class:`~.classification.FrameClassifier`; timed as ``classify``); reset with
            the pipeline. Set it after construction; it is not part of the configuration, so
            changing it never reloads the model.

    Raises:
        ModelError: the model cannot be resolved or is not MoveNet.
        BackendError: the runtime cannot load it.
    """

    def __init__(self, config: PipelineConfig = PipelineConfig(), *, crop_kernel: str = "now"):
        self.config = config
        self.model: ModelSpec = resolve_model(config.model, config.backend)
        if config.input_range is not None and self.model.io is not None and self.model.io.input.dtype == "float32":
            self.model = replace(self.model, io=self.model.io.with_input_range(config.input_range))
        self.backend: Backend = self._create_backend(config.heads)
        # The decoder for this file's output kind, chosen once (the one place a frame is decoded).
        self._decoder = output_decoder(self.model)
        # The runtime built for the other heads setting, kept after a set_heads() switch.
        self._other_backend: Backend | None = None
        self._tracker = create_tracker(config.tracker, smoothing=config.smoothing) if self.model.is_multipose else None
        single = not self.model.is_multipose
        self._crop = CropTracker(first_crop=config.first_crop) if single and config.crop and config.preprocess.allows_crop_tracking else None
        if self._crop is not None and crop_kernel != "off":
            # with the model, not on the first frames (a realtime player would skip frames)
            load_crop_kernel(wait=crop_kernel == "now")
        self._smoother = KeypointSmoother() if single and config.smoothing else None
        self.classifier: FrameClassifier | None = None
        self.set_one_euro(config.one_euro)

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        """Names of the keypoints this model reports, in output order (COCO-17 or ST's 13)."""
        return keypoint_set_for(self.model.num_keypoints).names

    def set_one_euro(self, config: OneEuroConfig) -> None:
        """Smooth the next frames with these One Euro parameters, keeping the model, the crop
        tracker and the filter state (the window tunes the filter live this way).

        The crop tracker follows the *smoothed* keypoints, so the filter also changes the
        next frame's crop region (and so what the model sees).

        Raises:
            ValueError: a cut-off <= 0 or a negative beta.
        """
        if self._smoother is not None:
            self._smoother.set_config(config)
        if self._tracker is not None:
            self._tracker.set_one_euro(config)
        self.config = replace(self.config, one_euro=config)

    def _create_backend(self, heads: bool) -> Backend:
        config = self.config
        return create_backend(self.model, config.backend if config.backend != "auto" else None,
                              threads=config.threads, heads=heads, provider=config.provider)

    def set_heads(self, on: bool) -> None:
        """Read the four heads after each inference, or stop reading them, keeping every
        per-source state (crop region, One Euro filters, MultiPose tracks).

        A runtime that can expose its head tensors is built the first time heads are asked for
        (TFLite: an interpreter with ``experimental_preserve_all_tensors``; ONNX Runtime: a
        session whose graph also outputs the heads) and both runtimes are kept, so switching
        back and forth later loads nothing. Their model outputs are bit-identical (measured on
        pose_1.mp4 for Lightning and Thunder on TFLite and ONNX Runtime, and MultiPose), so
        the keypoints do not change when heads are switched.

        Raises:
            BackendError: the runtime with heads cannot be built (this pipeline is unchanged).
        """
        on = bool(on)
        if on == self.config.heads:
            return
        if self._other_backend is None:
            self._other_backend = self._create_backend(on)
        self.backend, self._other_backend = self._other_backend, self.backend
        self.config = replace(self.config, heads=on)

    def with_heads(self, frame: Frame, result: FrameResult) -> FrameResult:
        """`result` (made by this pipeline from `frame`) with its heads and decode steps.

        Runs the model again on ``result.model_input``, the exact input `result` came from
        (same crop region or letterbox), and reads the heads; keypoints, scores, crop region,
        crop measurement and every per-source state are left as they were, so the frame
        shows what it first showed. Used when a paused frame needs its heads (a head overlay
        was switched on). Without heads (``config.heads`` off, or a graph without them) the
        result comes back with ``heads`` None.

        Raises:
            BackendError: the runtime failed.
        """
        if not self.config.heads:
            return replace(result, heads=None, decode=None)
        outputs = self.backend.invoke(result.model_input)
        start = time.perf_counter()
        decoded = self._decode(outputs)
        heads, decode = decoded.heads, decoded.steps
        timings = dict(result.timings_ms)
        timings["heads"] = (time.perf_counter() - start) * 1000
        timings["total"] = sum(v for k, v in timings.items() if k != "total")
        return replace(result, heads=heads, decode=decode, timings_ms=MappingProxyType(timings))

    def input_size(self, frame_shape: tuple[int, ...]) -> tuple[int, int]:
        """Model input (height, width) for a frame of `frame_shape` (MultiPose files with a
        dynamic input take the longer side 256 and the other rounded up to a multiple of 32)."""
        if self.model.is_multipose:
            return multipose_input_size(frame_shape, self.model.input_size)
        return self.model.input_size

    def process(self, frame: Frame) -> FrameResult:
        """Run the model on one frame.

        Raises:
            BackendError: the runtime failed on this frame.
        """
        start = time.perf_counter()
        if frame.still:
            self.reset()
            if self._crop is not None:
                return self._process_still(frame)
        height, width = frame.rgb.shape[:2]
        input_size = self.input_size(frame.rgb.shape)
        region = self._crop.current(height, width) if self._crop else None
        if region is not None:
            model_input, mapping = self._cut(frame.rgb, region, input_size)
        elif self.model.is_multipose:
            model_input, mapping = prepare_multipose_input(frame.rgb, input_size, self.config.preprocess)
        else:
            model_input, mapping = prepare_model_input(frame.rgb, input_size, self.config.preprocess)
        return self._run(frame, model_input, mapping, region, (time.perf_counter() - start) * 1000, update_crop=True)

    def _cut(self, rgb: np.ndarray, region: CropRegion, input_size: tuple[int, int]
             ) -> tuple[np.ndarray, InputMapping]:
        """The model input cut from `rgb` with `region` (in the profile's channel order) and its mapping."""
        model_input = crop_and_resize(rgb, region, *input_size)
        if self.config.preprocess.channels == "bgr":
            model_input = np.ascontiguousarray(model_input[..., ::-1])
        return model_input, InputMapping(region.as_tuple(), rgb.shape[:2], input_size)

    def _process_still(self, frame: Frame) -> FrameResult:
        """A still image with crop tracking on: the whole image padded to a square, then the crop
        region refined from its own keypoints on the same image (:mod:`.tracking.still_crop`),
        each pass resampled as the letterbox is (:func:`~.preprocessing.profile.cut_region`: the
        first pass is exactly the ``--no-crop`` input). The answer's stage timings are the sums
        over every pass (the frame was read once); its ``crop_passes`` lists the passes."""
        height, width = frame.rgb.shape[:2]
        input_size = self.input_size(frame.rgb.shape)
        classifier, self.classifier = self.classifier, None  # classify the answer only
        totals: dict[str, float] = {"read": frame.read_ms}

        def run_pass(region: CropRegion):
            start = time.perf_counter()
            self.reset()  # every pass starts clean: nothing carries between crops of one image
            model_input, mapping = cut_region(frame.rgb, region, input_size, self.config.preprocess)
            result = self._run(frame, model_input, mapping, region, (time.perf_counter() - start) * 1000,
                               update_crop=False)
            for key, value in result.timings_ms.items():
                if key not in ("read", "total"):
                    totals[key] = totals.get(key, 0.0) + value
            scores = result.raw_output.reshape(self.model.num_keypoints, 3)[:, 2]
            return result, (result.poses[0].keypoints if result.poses else None), pose_score(scores)

        try:
            answer, passes = refine_still_crop(run_pass, height, width)
        finally:
            self.classifier = classifier
        measurement = None
        if answer.poses:
            keypoints = answer.poses[0].keypoints
            _, measurement = determine_crop_region(keypoints[:, 1::-1], keypoints[:, 2], height, width)
        classification = None
        if classifier is not None:
            start = time.perf_counter()
            classification = classifier.classify(answer.poses, frame.timestamp_ms)
            totals["classify"] = (time.perf_counter() - start) * 1000
        totals["total"] = sum(totals.values())
        return replace(answer, crop_measurement=measurement, crop_passes=passes, classification=classification,
                       timings_ms=MappingProxyType(totals))

    def process_input(self, frame: Frame, model_input: np.ndarray, mapping: InputMapping,
                      crop_region: CropRegion | None = None, preprocess_ms: float = 0.0) -> FrameResult:
        """Run the model on a model input prepared elsewhere (e.g. by another pipeline).

        Everything after preprocessing runs as in :meth:`process` (inference, heads, decode,
        the low-score reset rule when crop tracking is on, smoothing, MultiPose tracking),
        but this pipeline's own crop tracker is neither asked for a region nor updated, so
        :attr:`FrameResult.crop_measurement` is None. Used by :mod:`.compare` to run model B on
        exactly what model A saw.

        Args:
            frame: the frame `model_input` was made from (timestamp, index, read time).
            model_input: uint8 [h, w, 3] RGB at :meth:`input_size` of this model.
            mapping: how `model_input` maps to `frame` pixels.
            crop_region: the crop region `model_input` was cut with (None when letterboxed);
                only recorded in the result.
            preprocess_ms: time spent making `model_input`, reported as the preprocess stage.

        Raises:
            ValueError: `model_input` does not have this model's input size.
            BackendError: the runtime failed on this frame.
        """
        expected = self.input_size(frame.rgb.shape)
        if tuple(model_input.shape[:2]) != tuple(expected) or tuple(mapping.input_size) != tuple(expected):
            raise ValueError(f"model input {tuple(model_input.shape[:2])} (mapping {tuple(mapping.input_size)}) "
                             f"does not fit {self.model.key}'s input size {tuple(expected)}")
        if frame.still:
            self.reset()
        return self._run(frame, model_input, mapping, crop_region, float(preprocess_ms), update_crop=False)

    def _run(self, frame: Frame, model_input: np.ndarray, mapping: InputMapping, region: CropRegion | None,
             preprocess_ms: float, *, update_crop: bool) -> FrameResult:
        """Inference onwards, shared by :meth:`process` and :meth:`process_input`."""
        height, width = frame.rgb.shape[:2]
        t_pre = time.perf_counter()
        outputs = self.backend.invoke(model_input)
        t_inf = time.perf_counter()
        timings = {"read": frame.read_ms, "preprocess": preprocess_ms, "inference": (t_inf - t_pre) * 1000}
        decoded = self._decode(outputs)  # with heads on: reads them and decodes their steps (timed as "heads")
        raw, heads, decode = decoded.raw, None, None
        if self.config.heads:
            heads, decode = decoded.heads, decoded.steps
            t_heads = time.perf_counter()
            timings["heads"] = (t_heads - t_inf) * 1000
            t_inf = t_heads
        if self.model.is_multipose:
            poses = decode_multipose(raw, mapping, self.config.min_pose_score)
            t_post = time.perf_counter()
            if self._tracker is not None:
                poses = self._tracker.apply(poses, frame.timestamp_ms, (height, width))
            measurement, reset, unsmoothed = None, False, None
        else:
            yxs = raw.reshape(self.model.num_keypoints, 3).astype(np.float64)
            t_post = time.perf_counter()
            poses, measurement, reset, unsmoothed = self._single_pose(yxs, mapping, frame.timestamp_ms, update_crop)
        t_smooth = time.perf_counter()
        timings["postprocess"] = (t_post - t_inf) * 1000
        timings["smoothing"] = (t_smooth - t_post) * 1000
        classifier, classification = self.classifier, None
        if classifier is not None:
            classification = classifier.classify(poses, frame.timestamp_ms)
            timings["classify"] = (time.perf_counter() - t_smooth) * 1000
        timings["total"] = sum(timings.values())
        smoothing = self.config.smoothing and (self._smoother is not None or self._tracker is not None)
        smoothed_by = self.config.one_euro if smoothing else None
        return FrameResult(frame.index, frame.timestamp_ms, frame.rgb, poses, MappingProxyType(timings),
                           model_input, mapping, raw, self.model.key, region, measurement, reset, heads, decode,
                           classification=classification, raw_keypoints=unsmoothed, one_euro=smoothed_by,
                           captured_s=frame.captured_s)

    def _decode(self, outputs: tuple[np.ndarray, ...]) -> DecodedOutput:
        """The decoder's output for one invoke: keypoints (or MultiPose rows), checked, and with
        heads on, the heads (the graph's, read from the backend, or the file's own maps) and
        their decode steps.

        Raises:
            ModelOutputError: the output cannot be MoveNet's.
            BackendError: reading the head tensors failed.
        """
        graph_heads = self.backend.heads() if self.config.heads and not self._decoder.maps_from_outputs else None
        return self._decoder.decode(outputs, graph_heads)

    def _single_pose(self, yxs: np.ndarray, mapping: InputMapping, timestamp_ms: float,
                     update_crop: bool = True
                     ) -> tuple[tuple[Pose, ...], CropMeasurement | None, bool, np.ndarray | None]:
        """Score, (reset,) map back, smooth, and update the crop region: TF.js ``estimateSinglePose``.

        With ``update_crop=False`` (input made elsewhere) the crop tracker is left alone.
        Returns the poses, the crop measurement, the reset flag and the keypoints before smoothing.
        """
        scores = yxs[:, 2]
        score = pose_score(scores)
        height, width = mapping.frame_size
        if self._crop is not None and score < self._crop.min_pose_score:
            measurement = (self._crop.update(yxs[:, :2] * 0, scores, height, width)  # resets the tracker
                           if update_crop else None)
            if self._smoother is not None:
                self._smoother.reset()
            return (), measurement, True, None
        # One mapping: model-input (y, x) -> frame pixels (y = (ymin + y_n * height) * H), kept
        # in float32, the dtype the keypoints are reported in; smoothing (normalised to the
        # frame, as TF.js) and the next crop region work from those pixels in float64. (Skipping
        # the float32 step changes no pixel by more than 3e-5 but, through the crop feedback,
        # moves the TF.js agreement on pose_1.mp4 from 0.357 to 0.498 px mean: chaotic, not better.)
        ymin, xmin, ymax, xmax = mapping.box
        yx = yxs[:, :2] * (ymax - ymin, xmax - xmin)
        yx += (ymin, xmin)
        frame_scale = (float(height), float(width))
        keypoints = np.empty((len(yxs), 3), dtype=np.float32)  # (x, y, score) in pixels; K = 17 or 13
        keypoints[:, 2] = scores
        keypoints[:, 1::-1] = yx * frame_scale
        unsmoothed = keypoints
        yx_px = keypoints[:, 1::-1].astype(np.float64)
        if self._smoother is not None:
            unsmoothed = keypoints.copy()
            yx_px = self._smoother.apply(yx_px / frame_scale, timestamp_ms) * frame_scale
            keypoints[:, 1::-1] = yx_px
        measurement = self._crop.update(yx_px, scores, height, width) if self._crop and update_crop else None
        return (Pose(keypoints, score),), measurement, False, unsmoothed

    @property
    def heads_available(self) -> bool:
        """True when heads are on and this model's graph has recognisable MoveNet heads."""
        return bool(self.config.heads and self.backend.heads_available)

    def describe(self) -> PipelineDescription:
        """What this pipeline runs now: model, configuration, backend, device, provider, note,
        runtime version, heads found, file size and signature (the signature is read from the
        file once per backend; the file size is stat'ed on each call)."""
        backend = self.backend
        return PipelineDescription(self.model, self.config, backend.name, backend.device, backend.provider,
                                   backend.note, backend.runtime_version, self.heads_available,
                                   file_size(self.model), backend.signature)

    def tracking_state(self) -> TrackingState:
        """A copy of this pipeline's per-source state now (crop tracker, keypoint filter,
        MultiPose tracks); this pipeline and the copy never share anything mutable."""
        return TrackingState(*(copy.deepcopy(s) for s in (self._crop, self._smoother, self._tracker)))

    def adopt(self, state: TrackingState) -> tuple[str, ...]:
        """Carry on from `state` (taken from this or another pipeline on the same source):
        the crop region and edge filters, the One Euro filter (with this pipeline's own
        parameters) and the MultiPose tracks are copied in where this pipeline keeps the same
        kind of state; whatever this pipeline keeps that `state` does not have starts afresh.

        Crop regions are normalised to the frame and the filters hold frame-normalised
        keypoints, so they carry across models of another input size; a filter seeded with
        another keypoint count starts afresh on its first frame (:class:`KeypointsOneEuroFilter`).

        Returns:
            What starts afresh, as short phrases for the user (empty when everything this
            pipeline tracks carried on): ``"crop tracker"`` (the next frame starts from the
            first-frame crop region) and/or ``"MultiPose tracks"`` (new track ids).
        """
        fresh = []
        if self._crop is not None:
            if state.crop is not None:
                self._crop = copy.deepcopy(state.crop)
            else:
                self._crop.reset()
                fresh.append("crop tracker")
        if self._smoother is not None:
            if state.smoother is not None:
                self._smoother = copy.deepcopy(state.smoother)
                self._smoother.set_config(self.config.one_euro)
            else:
                self._smoother.reset()
        if self._tracker is not None:
            if state.tracker is not None and type(state.tracker) is type(self._tracker):
                self._tracker = copy.deepcopy(state.tracker)
                self._tracker.set_one_euro(self.config.one_euro)
            else:
                self._tracker.reset()
                fresh.append("MultiPose tracks")
        return tuple(fresh)

    def rerun(self, frame: Frame, before: TrackingState) -> tuple[FrameResult, tuple[str, ...]]:
        """Run this pipeline on a frame another pipeline (or this one) already processed,
        starting from the state that pipeline had before it (`before`, taken just before
        that frame): a paused frame after a switch of runtime, provider, threads, precision
        or model.

        The frame is cut with the crop region it was cut with (the state's region), resized to
        this model's own input size, or letterboxed as before; so a switch that keeps the
        input size runs on the frame's own model input, byte for byte, and a model of
        another input size sees the same region of the frame. This pipeline's state then is
        what it would be after that frame (ready for the next one). A still image is judged
        afresh (:meth:`process`).

        Returns:
            (result, what started afresh: see :meth:`adopt`).

        Raises:
            BackendError: the runtime failed on this frame.
        """
        fresh = () if frame.still else self.adopt(before)
        return self.process(frame), fresh

    def reset(self) -> None:
        """Forget per-source state (call when the source changes or seeks)."""
        for state in (self._tracker, self._crop, self._smoother, self.classifier):
            if state is not None:
                state.reset()

    def close(self) -> None:
        """Release the runtime (both, after a :meth:`set_heads` switch)."""
        self.backend.close()
        if self._other_backend is not None:
            self._other_backend.close()
