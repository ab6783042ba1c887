"""Run A's and B's capture on the same model inputs and pool the per-pair figures.

:class:`LayerCapturePair` is what the window uses (it gets the model input the engine
already made); :class:`LayerComparison` adds the frame loop of the ``layers`` command:
A's pipeline picks the crop or letterbox exactly as in ``compare``
(:class:`~..compare.ComparePipeline`), B receives A's model input (or A's frame region
at B's input size when the sizes differ), and the keypoint distances of ``compare`` are
pooled too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..analysis.compare import ComparePipeline
from ..errors import ModelError
from ..pipeline import Pipeline
from ..pipeline_config import PipelineConfig
from ..progress import JobControl
from ..media.sources import Frame, Source
from ..models.graph import read_signature
from ..models.model_io import input_problem
from ..stream import stream_results
from .capture import open_capture
from .matching import SAME, TRANSPOSES, match_by_values, match_tensors, resolve_alternatives
from .metrics import PairSums

#: A matched tensor whose SQNR falls below this many dB is where B has diverged (default).
DEFAULT_THRESHOLD_DB = 15.0


@dataclass(frozen=True, slots=True)
class LayerFrame:
    """One model input through both captures.

    Attributes:
        sums: per matched pair (in :attr:`LayerCapturePair.pairs` order), this frame's sums.
        values_a: float32 arrays of A's captured tensors (every tensor, in A's order).
        values_b: float32 arrays of B's captured tensors, in B's order and layout.
        capture_ms: wall time of both captures and the figures, in ms.
    """

    sums: tuple[PairSums, ...]
    values_a: list[np.ndarray]
    values_b: list[np.ndarray]
    capture_ms: float


class LayerCapturePair:
    """A's and B's capture runners, their tensor matching and the pooled figures.

    Args:
        path_a, format_a: A's model file and format (``tflite`` / ``onnx``).
        path_b, format_b: B's.

    Attributes:
        capture_a, capture_b: the two runners (:mod:`.capture`).
        pairs: matched pairs in A's graph order (:class:`~.matching.TensorPair`).
        matching: the whole :class:`~.matching.Matching` (unmatched counts).
        totals: per pair, the sums pooled over every frame added.
        frames: frames added.

    Raises:
        BackendError: a runtime cannot load its file for capture.
    """

    def __init__(self, path_a: Path, format_a: str, path_b: Path, format_b: str):
        self.path_a, self.path_b = Path(path_a), Path(path_b)
        self.capture_a = open_capture(path_a, format_a)
        try:
            self.capture_b = open_capture(path_b, format_b)
        except BaseException:
            self.capture_a.close()
            raise
        self.matching = match_tensors(self.capture_a.tensors, self.capture_b.tensors)
        self.pairs = self.matching.pairs
        self.totals = [PairSums() for _ in self.pairs]
        self.frames = 0
        self._resolved = False

    @property
    def input_size_b(self) -> tuple[int, int]:
        """(height, width) of B's model input."""
        return self.capture_b.signature.size

    def run(self, image_a: np.ndarray, image_b: np.ndarray | None = None, accumulate: bool = True) -> LayerFrame:
        """Capture both models and measure every matched pair.

        Args:
            image_a: uint8 [H, W, 3] A's model input.
            image_b: uint8 B's model input; default `image_a` (resized to B's input size
                when that differs, with ``cv2.INTER_AREA``).
            accumulate: add this frame to :attr:`totals`.

        Raises:
            BackendError: a capture run failed.
        """
        start = time.perf_counter()
        self._fit_inputs(image_a.shape[:2], None if image_b is None else image_b.shape[:2])
        if image_b is None:
            image_b = image_a
            if tuple(image_b.shape[:2]) != tuple(self.input_size_b):
                height, width = self.input_size_b
                image_b = cv2.resize(image_a, (width, height), interpolation=cv2.INTER_AREA)
        values_a = self.capture_a.run(image_a)
        values_b = self.capture_b.run(image_b)
        if not self._resolved:
            self._resolve(values_a, values_b)
        sums = tuple(PairSums.of(values_a[p.a], self.b_in_a_layout(values_b, p)) for p in self.pairs)
        if accumulate:
            for total, frame_sums in zip(self.totals, sums):
                total.add(frame_sums)
            self.frames += 1
        return LayerFrame(sums, values_a, values_b, (time.perf_counter() - start) * 1000)

    def _fit_inputs(self, size_a, size_b) -> None:
        """Reopen a capture whose dynamic input (MultiPose) has another size than this input
        (tensors, matching and pooled figures start again)."""
        size_a = tuple(int(v) for v in size_a)
        size_b = size_a if size_b is None else tuple(int(v) for v in size_b)
        reopen = False
        for side, size in (("a", size_a), ("b", size_b)):
            capture = getattr(self, f"capture_{side}")
            if getattr(capture, "dynamic", False) and tuple(capture.signature.size) != size:
                capture.close()
                setattr(self, f"capture_{side}", open_capture(getattr(self, f"path_{side}"), capture.format, size))
                reopen = True
        if reopen:
            self.matching = match_tensors(self.capture_a.tensors, self.capture_b.tensors)
            self.pairs = self.matching.pairs
            self.reset()
            self._resolved = False

    def _resolve(self, values_a: list[np.ndarray], values_b: list[np.ndarray]) -> None:
        """Settle ambiguous pairs on the first frame (:func:`~.matching.resolve_alternatives`)."""

        def error(i: int, j: int, layout: str) -> float:
            sums = PairSums.of(values_a[i], values_b[j] if layout == SAME
                               else np.transpose(values_b[j], TRANSPOSES[layout]))
            return sums.dd / sums.aa if sums.aa else sums.dd

        tensors_a, tensors_b = self.capture_a.tensors, self.capture_b.tensors
        self.matching = match_by_values(resolve_alternatives(self.matching, tensors_a, tensors_b, error),
                                        tensors_a, tensors_b, error)
        self.pairs = self.matching.pairs
        self.totals = [PairSums() for _ in self.pairs]
        self._resolved = True

    @staticmethod
    def b_in_a_layout(values_b: list[np.ndarray], pair) -> np.ndarray:
        """B's array of `pair` in A's layout."""
        value = values_b[pair.b]
        return value if pair.layout == SAME else np.transpose(value, TRANSPOSES[pair.layout])

    def reset(self) -> None:
        """Forget the pooled figures."""
        self.totals = [PairSums() for _ in self.pairs]
        self.frames = 0

    def rows(self, sums: list[PairSums] | tuple[PairSums, ...] | None = None) -> list[dict]:
        """Per matched pair, in A's graph order: ``a_name``, ``b_name``, ``op``, ``shape``,
        ``depth`` and the figures of `sums` (default: the pooled totals, see
        :meth:`~.metrics.PairSums.as_dict`)."""
        sums = self.totals if sums is None else sums
        tensors_a, tensors_b = self.capture_a.tensors, self.capture_b.tensors
        return [{"a_name": tensors_a[p.a].name, "b_name": tensors_b[p.b].name, "op": tensors_a[p.a].op,
                 "shape": list(tensors_a[p.a].shape), "depth": p.a, **s.as_dict()}
                for p, s in zip(self.pairs, sums)]

    def close(self) -> None:
        """Release both runners."""
        self.capture_a.close()
        self.capture_b.close()


def first_divergence(rows: list[dict], threshold_db: float = DEFAULT_THRESHOLD_DB) -> dict | None:
    """The first row (A's graph order) whose SQNR is below `threshold_db`, as ``a_name``,
    ``b_name``, ``depth``, ``sqnr_db``; None when every matched tensor stays above it."""
    for row in rows:
        if row["sqnr_db"] is not None and row["sqnr_db"] < threshold_db:
            return {key: row[key] for key in ("a_name", "b_name", "depth", "sqnr_db")}
    return None


class LayerComparison:
    """The ``layers`` command's loop: A's pipeline, B on A's input, both captured.

    Args:
        a, b: the two configurations (as in ``compare``).

    Attributes:
        pipeline: the :class:`~..compare.ComparePipeline` (keypoints of both), or None when
            B's file loads for capture but not as a pipeline (:attr:`b_note` says why; its
            keypoints are then not compared).
        pipeline_a: A's pipeline.
        captures: the :class:`LayerCapturePair`.
        distances_px: every keypoint distance B vs A so far, in frame pixels.
        capture_ms: per frame, the time of both captures and the figures.

    Raises:
        ModelError, BackendError: as :class:`~..compare.ComparePipeline` and the runners.
    """

    def __init__(self, a: PipelineConfig, b: PipelineConfig):
        self.b_note = ""
        self.pipeline: ComparePipeline | None = None
        self.pipeline_a: Pipeline | None = None
        try:
            self.pipeline = ComparePipeline(a, b)
            self.pipeline_a = self.pipeline.a
            path_b, format_b = self.pipeline.b.model.path, self.pipeline.b.model.format
        except ModelError as exc:
            path_b = Path(b.model).expanduser()
            if not path_b.is_file() or input_problem(read_signature(path_b), path_b.name):
                raise  # not a file, or not a MoveNet image model at all: nothing to compare
            # A file the pipeline cannot decode yet (e.g. heatmaps only): its tensors can still be compared.
            self.b_note = f"B's keypoints not compared: {exc}"
            format_b = "onnx" if path_b.suffix.lower() == ".onnx" else "tflite"
            self.pipeline_a = Pipeline(a)
        try:
            model_a = self.pipeline_a.model
            self.captures = LayerCapturePair(model_a.path, model_a.format, path_b, format_b)
        except BaseException:
            self.close_pipelines()
            raise
        self.distances_px: list[float] = []
        self.capture_ms: list[float] = []

    def process(self, frame: Frame) -> LayerFrame:
        """Run both pipelines on `frame`, then capture both on the model inputs they used
        (without B's pipeline: B's capture gets A's input, resized to B's size if needed)."""
        if self.pipeline is None:
            layer_frame = self.captures.run(self.pipeline_a.process(frame).model_input)
        else:
            result = self.pipeline.process(frame)
            self.distances_px.extend(float(d) for d in result.distances_px.reshape(-1))
            layer_frame = self.captures.run(result.a.model_input, result.b.model_input)
        self.capture_ms.append(layer_frame.capture_ms)
        return layer_frame

    def run(self, source: Source, frames: int, control: JobControl | None = None) -> int:
        """:meth:`process` the first `frames` frames of `source` (from where it is).

        Args:
            source: an open :class:`~..sources.Source` (not closed here).
            frames: frames to compare (>= 1); fewer when the source ends first.
            control: progress (frames, out of `frames` or the source's length when shorter)
                and cancel (checked per frame), :mod:`~..progress`. Nothing is written here,
                so a cancel leaves no file.

        Returns:
            Frames processed.

        Raises:
            Cancelled: `control` was cancelled.
            ModelError, BackendError: a pipeline or a capture failed.
        """
        control = control if control is not None else JobControl()
        total = frames if source.frame_count is None else max(1, min(frames, source.frame_count))
        done = 0
        control.raise_if_cancelled(f"layer comparison cancelled after {done} of {total} frames")
        for _ in stream_results(source, self, limit=frames):  # the headless stream loop
            done += 1
            control.report(done, total)
            if done < frames:  # before the next frame is read
                control.raise_if_cancelled(f"layer comparison cancelled after {done} of {total} frames")
        return done

    def _describe_b(self) -> dict:
        if self.pipeline is not None:
            return self.pipeline.b.describe().to_json()
        capture = self.captures.capture_b
        path = self.captures.path_b
        return {"model": path.name, "file": path.name, "input_size": list(capture.signature.size),
                "backend": capture.format, "device": "layer capture only", "provider": None, "note": self.b_note}

    def report(self, threshold_db: float = DEFAULT_THRESHOLD_DB) -> dict:
        """The ``layers --json`` document (docs/reference/formats.md)."""
        rows = self.captures.rows()
        distances = np.asarray(self.distances_px, dtype=np.float64)
        keypoints = ({"mean": float(distances.mean()), "p95": float(np.percentile(distances, 95)),
                      "max": float(distances.max())} if distances.size else {"mean": None, "p95": None, "max": None})
        return {
            "a": self.pipeline_a.describe().to_json(), "b": self._describe_b(),
            "frames": self.captures.frames, "threshold_db": threshold_db, "tensors": rows,
            "unmatched_a": self.captures.matching.unmatched_a, "unmatched_b": self.captures.matching.unmatched_b,
            "first_divergence": first_divergence(rows, threshold_db), "keypoints_px": keypoints,
            "capture_ms_per_frame": _mean(self.capture_ms),
        }

    def close_pipelines(self) -> None:
        """Release the pipelines."""
        (self.pipeline or self.pipeline_a).close()

    def close(self) -> None:
        """Release the pipelines and the runners."""
        self.captures.close()
        self.close_pipelines()

    def __enter__(self) -> "LayerComparison":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _mean(values: list[float]) -> float | None:
    return float(sum(values) / len(values)) if values else None
