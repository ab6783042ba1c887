"""One export job: a source through a pipeline into an annotated video and/or a keypoints
file, run in the calling thread (the window runs it on a background thread); and Save
frame's pure part, the frame on screen with its overlays as a PNG or JPEG file.

The job opens its own reader on the source and builds its own
:class:`~movenet_studio.core.pipeline.Pipeline` from the configuration it is given (heads added
when the overlays need them, :func:`export_config`). The writers write beside the target and
rename at the end (:mod:`movenet_studio.core.output.export`), so a cancelled or failed export leaves
no file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ..atomic import atomic_output
from ..classify.classification import ClassifierSpec
from .export import ExportError, ExportSummary, check_output_path, coco_image_ids, export_video, write_keypoints
from ..files import check_outputs
from ..frame_result import FrameResult
from ..pipeline import Pipeline
from ..pipeline_config import PipelineConfig
from ..progress import JobControl
from ..drawing.render import render_overlays
from ..drawing.overlay_options import OverlayOptions
from ..media.live import LiveOptions
from ..stream import ClassifierFiles, attach_classifier, open_request_source
from .infer_run import live_summary

#: Image types of Save frame, by extension.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
#: JPEG quality of Save frame.
JPEG_QUALITY = 95


# --- save frame -----------------------------------------------------------------------------

def annotated_frame(result: FrameResult, options: OverlayOptions, raw_beside: bool = False) -> np.ndarray:
    """The frame of `result` with `options`' overlays at its own resolution.

    Args:
        result: the pipeline result (its ``frame`` is drawn on, not modified).
        options: the overlays (normally :meth:`VideoView.overlay_options`).
        raw_beside: put the raw frame on the left: ``[raw | annotated]``, twice as wide.

    Returns:
        uint8 [H, W, 3] RGB (or [H, 2W, 3] with `raw_beside`), a new array.
    """
    image = render_overlays(result.frame, result, options)
    if raw_beside:
        image = np.concatenate([np.asarray(result.frame, dtype=np.uint8), image], axis=1)
    return image


def write_image(path: Path | str, rgb: np.ndarray, *, force: bool = True) -> Path:
    """Write uint8 RGB `rgb` as PNG or JPEG (by `path`'s extension), atomically.

    Raises:
        ExportError: another extension, `path` exists without `force`, the folder is not
            writable, or encoding failed. Nothing is left under `path` on failure.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_EXTENSIONS:
        raise ExportError(f"{path.name}: save the frame as .png or .jpg")
    check_output_path(path, force)
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if suffix != ".png" else []
    ok, data = cv2.imencode(".png" if suffix == ".png" else ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ExportError(f"{path.name}: could not encode the image")
    try:
        with atomic_output(path, "wb") as handle:
            handle.write(data.tobytes())
    except OSError as exc:
        raise ExportError(f"{path}: cannot write in folder {path.parent} ({exc.strerror or exc})") from None
    return path


# --- export job -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExportRequest:
    """One export to run in the background.

    Attributes:
        kind: ``video`` or ``keypoints``.
        source: the source spec to read (a path; cameras cannot be exported).
        path: the output file (.mp4/.mov/.avi for video; .json/.csv for keypoints).
        frames: source frame indices (step 1), or None for the whole source.
        config: the pipeline configuration to build (on the worker thread).
        options: overlays drawn on the video.
        force: replace an existing `path`.
        classifier: the window's pose classifier and its settings (a twin stage is built for
            the export, so the video carries the class captions), or None.
        keypoints: a video export also writes this keypoints file (.json/.csv) from the same
            pass, before the video is renamed into place (``export --out V --keypoints K``).
        fps: frame rate to write instead of the source's.
        annotations: COCO annotations whose image ids a .json keypoints file uses.
        live: how a live source opens and reports (``export``'s live options), or None.
        duration: a live source stops after this many seconds.
        classifier_files: a classifier to load strictly (``export --classifier``; a frame that
            cannot be classified fails the export), instead of `classifier`.
    """

    kind: str
    source: str
    path: Path
    frames: range | None
    config: PipelineConfig
    options: OverlayOptions
    force: bool = False
    classifier: ClassifierSpec | None = None
    keypoints: Path | None = None
    fps: float | None = None
    annotations: Path | None = None
    live: LiveOptions | None = None
    duration: float | None = None
    classifier_files: ClassifierFiles | None = None


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What a finished export wrote.

    Attributes:
        request: what was asked.
        summary: the core's summary (frames, size, fps, seconds).
        records: pose records (JSON) or rows (CSV) written to the keypoints file, else 0.
        live: a live source's figures (frames, drops, reconnects, failure), None for files.
        classifier: the strict classification stage of ``classifier_files`` (its summary), or None.
        image_ids: frame index -> COCO image id of a .json keypoints file, or None.
    """

    request: ExportRequest
    summary: ExportSummary
    records: int = 0
    live: dict | None = None
    classifier: object | None = None
    image_ids: dict | None = None


def export_config(config: PipelineConfig, options: OverlayOptions, kind: str) -> PipelineConfig:
    """The pipeline to export with: the window's `config`, with heads read only when the
    video's overlays draw them (keypoint files never need them)."""
    return replace(config, heads=kind == "video" and options.needs_heads)


def run_export(request: ExportRequest, control: JobControl | None = None, *,
               on_result: Callable[[FrameResult], None] | None = None,
               on_source: Callable[[object], None] | None = None) -> ExportOutcome:
    """Run `request` in the calling thread (``export``; in the window: the worker thread of a
    :class:`~movenet_studio.gui.background.BackgroundTask`).

    Loads the classifier, opens the source (a live one bounded by the frame range's length and
    ``duration``), builds the pipeline, runs the stream loop through
    :func:`~movenet_studio.core.output.export.export_video` (writing the video, or only
    collecting poses for a keypoints file) and writes the keypoints file. Progress (frames)
    and cancel go through `control` (:mod:`..progress`); `on_source` is called with the open
    source, `on_result` with every result before it is drawn.

    Raises:
        Cancelled: `control` was cancelled; nothing was written.
        ExportError, SourceError, ModelError, BackendError: with a one-line reason.
    """
    control = control if control is not None else JobControl()
    # Fail before loading anything; never over the source (or a file of its folder) or the model.
    check_outputs({"": request.path, "--keypoints": request.keypoints}, [request.source, request.config.model],
                  force=bool(request.force))
    stage = request.classifier_files.build() if request.classifier_files is not None else None
    live_count = None  # a live source: frames A:B exports B - A frames as they come
    if request.frames is not None and request.frames.stop != sys.maxsize:
        live_count = len(request.frames)
    keypoints = request.path if request.kind == "keypoints" else request.keypoints
    with open_request_source(request.source, request.live, live_count, request.duration) as source:
        if on_source is not None:
            on_source(source)
        frames = range(0, live_count or sys.maxsize) if source.is_live else request.frames
        image_ids = coco_image_ids(source, request.annotations) \
            if keypoints is not None and keypoints.suffix.lower() == ".json" else None
        pipeline = Pipeline(request.config)
        written: list[int] = []

        def write_keypoints_file(poses) -> None:  # before the video is renamed into place
            written.append(write_keypoints(poses, keypoints, image_ids, force=request.force))

        attach_classifier(pipeline, stage)  # a model without 17 keypoints: closed, raises
        try:
            if request.classifier is not None and stage is None:
                pipeline.classifier = request.classifier.build(strict=False)
            control.raise_if_cancelled("export cancelled before the first frame; nothing was written")
            video = request.path if request.kind == "video" else None
            summary = export_video(source, pipeline, video, request.options, frames, control, request.force,
                                   fps=request.fps, on_result=on_result,
                                   before_commit=write_keypoints_file if video is not None and keypoints is not None
                                   else None)
        finally:
            pipeline.close()
        live = live_summary(source)
    records = 0
    if keypoints is not None:
        records = written[0] if written else write_keypoints(summary.frames, keypoints, image_ids,
                                                             force=request.force)
    return ExportOutcome(request, summary, records, live, stage, image_ids)
