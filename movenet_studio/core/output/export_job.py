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

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from ..atomic import atomic_output
from ..classify.classification import ClassifierSpec
from .export import ExportError, ExportSummary, check_output_path, coco_image_ids, export_video, write_keypoints
from ..files import check_outputs
from ..pipeline import FrameResult, Pipeline
from ..pipeline_config import PipelineConfig
from ..progress import JobControl
from ..drawing.render import render_overlays
from ..drawing.overlay_options import OverlayOptions
from ..media.opener import open_source

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
    """

    kind: str
    source: str
    path: Path
    frames: range | None
    config: PipelineConfig
    options: OverlayOptions
    force: bool = False
    classifier: ClassifierSpec | None = None


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What a finished export wrote.

    Attributes:
        request: what was asked.
        summary: the core's summary (frames, size, fps, seconds).
        records: pose records (JSON) or rows (CSV) written for a keypoints export, else 0.
    """

    request: ExportRequest
    summary: ExportSummary
    records: int = 0


def export_config(config: PipelineConfig, options: OverlayOptions, kind: str) -> PipelineConfig:
    """The pipeline to export with: the window's `config`, with heads read only when the
    video's overlays draw them (keypoint files never need them)."""
    return replace(config, heads=kind == "video" and options.needs_heads)


def run_export(request: ExportRequest, control: JobControl | None = None) -> ExportOutcome:
    """Run `request` in the calling thread (in the window: the worker thread of a
    :class:`~movenet_studio.gui.background.BackgroundTask`).

    Opens the source, builds the pipeline, runs :func:`~movenet_studio.core.output.export.export_video`
    (writing the video, or only collecting poses for a keypoints file) and writes the
    keypoints file. Progress (frames) and cancel go through `control` (:mod:`..progress`).

    Raises:
        Cancelled: `control` was cancelled; nothing was written.
        ExportError, SourceError, ModelError, BackendError: with a one-line reason.
    """
    control = control if control is not None else JobControl()
    # Fail before loading anything; never over the source (or a file of its folder) or the model.
    check_outputs({"": request.path}, [request.source, request.config.model], force=bool(request.force))
    with open_source(request.source) as source:
        image_ids = coco_image_ids(source) if request.kind == "keypoints" and \
            request.path.suffix.lower() == ".json" else None
        pipeline = Pipeline(request.config)
        try:
            if request.classifier is not None:
                pipeline.classifier = request.classifier.build(strict=False)
            control.raise_if_cancelled("export cancelled before the first frame; nothing was written")
            video = request.path if request.kind == "video" else None
            summary = export_video(source, pipeline, video, request.options, request.frames, control, request.force)
        finally:
            pipeline.close()
    records = 0
    if request.kind == "keypoints":
        records = write_keypoints(summary.frames, request.path, image_ids, force=request.force)
    return ExportOutcome(request, summary, records)
