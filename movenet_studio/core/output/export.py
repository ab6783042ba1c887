"""Export: annotated video (the window's overlays burned in) and keypoint files.

- :func:`export_video` runs a :class:`~.pipeline.Pipeline` over a frame range of a
  :class:`~.sources.Source`, draws :func:`~.render.render_overlays` on every frame and writes
  a video with PyAV (:mod:`.video_writer`: ``.mp4``/``.m4v``/``.mov``: H.264; ``.avi``: MJPEG).
- :func:`write_keypoints_json`: COCO keypoint *results* (what ``pycocotools``'
  ``COCO.loadRes`` and ``COCOeval`` take).
- :func:`write_keypoints_csv`: one row per keypoint.

Every file is written to a temporary file beside its final name (``.NAME.<random>.part``,
keeping NAME's extension, which picks the container) and renamed over it only when
complete; a cancelled or failed export removes the temporary file, so nothing
half-written ever sits under the final name. An existing file is replaced only with
``force=True``.

COCO image ids (``image_id`` of the JSON): the frame index in the source by default (video:
0-based frame number; folder: position in name order). For COCO images, pass
``image_ids`` (frame index -> id); :func:`coco_image_ids` derives it from file names
the way COCO names its images (``000000000785.jpg`` -> 785).
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import cv2
import numpy as np

from ..atomic import atomic_output, create_temp_beside, replace_regular
from ..evaluation.coco_schema import load_coco
from ..errors import StudioError
from ..files import PathCheckError, check_output_file
from ..decoding.pose import Pose
from ..progress import JobControl
from ..stream import stream_results
from ..drawing.render import render_overlays
from ..drawing.overlay_options import OverlayOptions
from ..media.sources import ImageFolderSource, ImageSource
from ..media.video_writer import VIDEO_FORMATS, VideoWriter, VideoWriterError, read_video_info

__all__ = [
    "VIDEO_CODECS", "ExportError", "ExportSummary", "FramePoses", "check_output_path",
    "coco_image_ids", "export_video", "keypoints_to_coco", "write_keypoints", "write_keypoints_csv",
    "write_keypoints_json", "write_results_json", "video_size_for",
]

#: Output extensions of video exports -> (container, encoders tried in order, pixel format).
VIDEO_CODECS = VIDEO_FORMATS
#: Frame rate written when the source has none (image folders say 30).
DEFAULT_FPS = 30.0
#: CSV header of :func:`write_keypoints_csv`.
CSV_COLUMNS = ("frame", "timestamp_ms", "person", "keypoint", "x", "y", "score")

class ExportError(StudioError):
    """An export cannot start or failed (output exists, folder not writable, no frames,
    no video writer, write error). No file is left under the output name."""


@dataclass(frozen=True, slots=True)
class FramePoses:
    """The poses of one frame, without the pixels (what keypoint files need).

    Attributes:
        index: frame index in the source.
        timestamp_ms: frame timestamp in ms.
        poses: the detected poses (keypoints in frame pixels).
    """

    index: int
    timestamp_ms: float
    poses: tuple[Pose, ...]

    @classmethod
    def of(cls, result) -> "FramePoses":
        """The :class:`FramePoses` of a :class:`~.frame_result.FrameResult`."""
        return cls(int(result.index), float(result.timestamp_ms), tuple(result.poses))


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What :func:`export_video` did.

    Attributes:
        path: the video written, or None when run without one.
        frame_count: frames written (and inferred).
        first_frame, last_frame: source indices of the first and last frame (inclusive);
            -1 when no frame was processed.
        size: (width, height) of the video in pixels (the frame size, rounded up to even).
        fps: frame rate written.
        fourcc: codec written, ``h264`` (``.mp4``/``.m4v``/``.mov``) or ``mjpeg`` (``.avi``);
            empty without a video.
        seconds: wall time of the export.
        frames: the poses of every exported frame, in order (for keypoint files).
    """

    path: Path | None
    frame_count: int
    first_frame: int
    last_frame: int
    size: tuple[int, int]
    fps: float
    fourcc: str
    seconds: float
    frames: tuple[FramePoses, ...]


# --- output files --------------------------------------------------------------------------

def check_output_path(path: Path, force: bool = False) -> Path:
    """Check that `path` may be written (:func:`~.files.check_output_file`): not an existing
    file (unless `force`), not a folder, a device node or another special file, in an
    existing folder this process can create files in.

    Call it before starting work so a run fails early; the writers check again.

    Returns:
        `path` as a :class:`~pathlib.Path`.

    Raises:
        ExportError: with a one-line reason.
    """
    try:
        return check_output_file(path, force=force)
    except PathCheckError as exc:
        raise ExportError(str(exc)) from None


def _commit(tmp: Path, path: Path, force: bool) -> None:
    """Rename the finished `tmp` over `path` (refusing an existing `path` without `force`,
    and anything but a regular file)."""
    if not force and path.exists():
        raise ExportError(f"{path}: already exists (use --force to overwrite)")
    replace_regular(tmp, path)


def _write_atomic(path: Path, data: bytes, force: bool) -> None:
    path = Path(path)
    if path.exists() and not force:
        raise ExportError(f"{path}: already exists (use --force to overwrite)")
    try:
        with atomic_output(path, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write in folder {path.parent} ({exc.strerror or exc})") from None


# --- keypoint files ------------------------------------------------------------------------

def coco_image_ids(source, annotations: Path | None = None) -> dict[int, int] | None:
    """Frame index -> COCO image id for an image or image-folder source, when known.

    With `annotations` (a COCO annotation file such as ``person_keypoints_val2017.json``),
    each image file is looked up by name in its ``images`` list. Without it, file names
    that are all plain numbers are read the way COCO names its images
    (``000000000785.jpg`` is id 785).

    Args:
        source: a :class:`~.sources.Source`.
        annotations: optional COCO annotation JSON.

    Returns:
        ``{frame index: image id}``, or None when the ids are not known (videos, cameras,
        other file names; use the frame index then).

    Raises:
        AnnotationError, PathCheckError: `annotations` cannot be read or breaks the schema.
        ExportError: `annotations` lacks one of the source's images.
    """
    if isinstance(source, ImageFolderSource):
        files = [Path(f) for f in source.files]
    elif isinstance(source, ImageSource):
        files = [Path(source.path)]
    else:
        files = []
    if annotations is not None:
        images = load_coco(annotations, images_only=True)["images"]  # schema checked (core.coco_schema)
        by_name = {image["file_name"]: image["id"] for image in images}
        if not files:
            raise ExportError(f"{source.name}: COCO image ids need an image or a folder of images")
        missing = [f.name for f in files if f.name not in by_name]
        if missing:
            raise ExportError(f"{Path(annotations).name} has no image {missing[0]}"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
        return {i: by_name[f.name] for i, f in enumerate(files)}
    if not files or not all(f.stem.isdigit() for f in files):
        return None
    return {i: int(f.stem) for i, f in enumerate(files)}


def keypoints_to_coco(frames: Iterable, image_ids: Mapping[int, int] | None = None) -> list[dict]:
    """COCO keypoint results for `frames`: one record per pose.

    Args:
        frames: :class:`FramePoses` or :class:`~.frame_result.FrameResult` objects (anything
            with ``index`` and ``poses``).
        image_ids: frame index -> COCO image id; None uses the frame index.

    Returns:
        ``[{"image_id": int, "category_id": 1, "keypoints": [x, y, v] * 17, "score": float}]``
        with x, y in frame pixels (2 decimals), v the keypoint score 0..1 (COCOeval ignores
        v of detections), score the pose score; ``track_id`` is added when the pose has one.

    Raises:
        ExportError: `image_ids` has no id for a frame.
    """
    records = []
    for frame in frames:
        if image_ids is None:
            image_id = int(frame.index)
        else:
            try:
                image_id = int(image_ids[int(frame.index)])
            except KeyError:
                raise ExportError(f"no COCO image id for frame {frame.index}") from None
        for pose in frame.poses:
            flat: list[float] = []
            for x, y, score in np.asarray(pose.keypoints, dtype=np.float64):
                flat += [round(float(x), 2), round(float(y), 2), round(float(score), 4)]
            record = {"image_id": image_id, "category_id": 1, "keypoints": flat, "score": round(float(pose.score), 5)}
            if pose.track_id is not None:
                record["track_id"] = int(pose.track_id)
            records.append(record)
    return records


def write_keypoints_json(results: Iterable, path: Path, image_ids: Mapping[int, int] | None = None, *,
                         force: bool = False) -> int:
    """Write COCO keypoint results (:func:`keypoints_to_coco`) as a JSON list, atomically.

    ``pycocotools.coco.COCO(gt).loadRes(path)`` accepts the file when every ``image_id``
    is an image of ``gt`` (pycocotools refuses an empty list: no poses, nothing to load).

    Args:
        results: :class:`FramePoses` or :class:`~.frame_result.FrameResult` objects.
        path: output file.
        image_ids: frame index -> COCO image id (None: the frame index).
        force: replace an existing file.

    Returns:
        Number of pose records written.

    Raises:
        ExportError: the file exists without `force`, the folder is not writable, the
            write failed, or an image id is missing.
    """
    records = keypoints_to_coco(results, image_ids)
    _write_atomic(Path(path), json.dumps(records, separators=(",", ":")).encode("utf-8"), force)
    return len(records)


def write_results_json(records: list[dict], path: Path, *, force: bool = False) -> int:
    """Write a ready COCO keypoint results list (e.g. :func:`~..evaluation.run.person_results`)
    as JSON, atomically; returns the number of records.

    Raises:
        ExportError: the file exists without `force`, or cannot be written.
    """
    _write_atomic(Path(path), json.dumps(records, separators=(",", ":")).encode("utf-8"), force)
    return len(records)


def write_keypoints_csv(results: Iterable, path: Path, *, force: bool = False) -> int:
    """Write keypoints as CSV, atomically: header :data:`CSV_COLUMNS`, then one row per keypoint.

    Columns: ``frame`` (frame index), ``timestamp_ms``, ``person`` (the pose's track id when
    it has one, else its 0-based position among the frame's poses), ``keypoint`` (COCO name,
    e.g. ``left_wrist``), ``x``, ``y`` (frame pixels, origin top-left), ``score`` (0..1).
    Every keypoint is written, whatever its score.

    Returns:
        Number of data rows written.

    Raises:
        ExportError: the file exists without `force`, the folder is not writable or the
            write failed.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for frame in results:
        for person, pose in enumerate(frame.poses):
            pid = pose.track_id if pose.track_id is not None else person
            for name, (x, y, score) in zip(pose.names, np.asarray(pose.keypoints, dtype=np.float64)):
                writer.writerow((int(frame.index), f"{float(frame.timestamp_ms):.3f}", pid, name,
                                 f"{x:.3f}", f"{y:.3f}", f"{score:.5f}"))
                rows += 1
    _write_atomic(Path(path), buffer.getvalue().encode("utf-8"), force)
    return rows


def write_keypoints(results: Iterable, path: Path, image_ids: Mapping[int, int] | None = None, *,
                    force: bool = False) -> int:
    """:func:`write_keypoints_json` or :func:`write_keypoints_csv` by `path`'s extension.

    Raises:
        ExportError: an extension other than ``.json`` / ``.csv``, or any writer error.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        return write_keypoints_json(results, path, image_ids, force=force)
    if suffix == ".csv":
        return write_keypoints_csv(results, path, force=force)
    raise ExportError(f"{path}: keypoints file must end in .json (COCO results) or .csv")


# --- video ---------------------------------------------------------------------------------

def _open_writer(path: Path, fps: float, size: tuple[int, int]) -> tuple[VideoWriter, str]:
    try:
        writer = VideoWriter(path, fps, size)
    except VideoWriterError as exc:
        raise ExportError(f"{path.suffix} video: {exc}") from None
    return writer, writer.codec


def _fit(image: np.ndarray, frame_size: tuple[int, int], video_size: tuple[int, int]) -> np.ndarray:
    """`image` as a video frame: letterboxed into (width, height) `frame_size` when its size
    differs (image folders of mixed sizes), then padded black at the right/bottom to `video_size`."""
    w, h = frame_size
    ih, iw = image.shape[:2]
    if (iw, ih) != (w, h):
        scale = min(w / iw, h / ih)
        nw, nh = max(1, round(iw * scale)), max(1, round(ih * scale))
        resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        image = np.zeros((h, w, 3), dtype=np.uint8)
        x0, y0 = (w - nw) // 2, (h - nh) // 2
        image[y0:y0 + nh, x0:x0 + nw] = resized
    if (w, h) != tuple(video_size):
        padded = np.zeros((video_size[1], video_size[0], 3), dtype=np.uint8)
        padded[:h, :w] = image
        image = padded
    return image


def video_size_for(frame_size: tuple[int, int]) -> tuple[int, int]:
    """The (width, height) a video of (width, height) frames is written at: rounded up to even.

    H.264 and MJPEG in 4:2:0 need even sizes (OpenCV's writers silently cropped one pixel);
    padding one black column/row at the right/bottom instead keeps every pixel (and every
    overlay) at its place.
    """
    w, h = frame_size
    return w + w % 2, h + h % 2


def _frame_range(source, frames: range | None) -> range:
    count = source.frame_count
    if frames is None:
        if count is None:
            raise ExportError(f"{source.name}: a live source needs a frame range (e.g. --frames 0:300)")
        return range(0, count)
    if frames.step != 1:
        raise ExportError(f"frame range must be contiguous (step 1), got step {frames.step}")
    start, stop = max(0, frames.start), frames.stop
    if count is not None:
        stop = min(stop, count)
        if start >= count:
            raise ExportError(f"{source.name}: no frames to export: starts at {start}, "
                              f"but the source has {count} frame{'s' if count != 1 else ''}")
    if stop <= start:
        raise ExportError(f"no frames to export in range {frames.start}:{frames.stop}")
    return range(start, stop)


def _verify_video(path: Path, expected: int, size: tuple[int, int]) -> None:
    """Reopen the finished file: a full disk or a dead encoder shows as an unreadable or short file."""
    if not path.exists() or path.stat().st_size == 0:
        raise ExportError(f"{path.name}: the video writer produced no data (disk full?)")
    try:
        _codec, count, written = read_video_info(path)
    except VideoWriterError:
        raise ExportError(f"{path.name}: the written video cannot be read back (disk full?)") from None
    if written != tuple(size):
        raise ExportError(f"{path.name}: the video writer wrote {written[0]}x{written[1]} frames, "
                          f"expected {size[0]}x{size[1]}")
    if count != expected:
        raise ExportError(f"{path.name}: the written video has {count} frames, expected {expected} (disk full?)")


def export_video(source, pipeline, out_path: Path | None, options: OverlayOptions = OverlayOptions(),
                 frames: range | None = None, control: JobControl | None = None, force: bool = False, *,
                 fps: float | None = None, on_result: Callable[[object], None] | None = None,
                 before_commit: Callable[[tuple[FramePoses, ...]], None] | None = None) -> ExportSummary:
    """Run `pipeline` over `frames` of `source` and write the annotated video to `out_path`.

    The video has the source's frame size (frames of another size, possible in image
    folders, are letterboxed into the first frame's size; an odd width or height gets one
    black column/row, see :func:`video_size_for`) and frame rate (`fps` overrides;
    :data:`DEFAULT_FPS` when the source has none), one output frame per source frame. The
    pipeline is :meth:`~.pipeline.Pipeline.reset` first and the source is seeked to the
    first frame. Writing goes to ``.NAME.<random>.part.EXT`` beside `out_path`, renamed at
    the end; on cancel or any error that file is removed.

    Args:
        source: an open :class:`~.sources.Source` (not closed here).
        pipeline: a :class:`~.pipeline.Pipeline` (not closed here).
        out_path: ``.mp4``/``.m4v``/``.mov``/``.avi`` file, or None to run without writing a
            video (poses only, e.g. for a keypoints file).
        options: overlays to draw (:class:`~.render.OverlayOptions`).
        frames: source frame indices (step 1; the stop is clipped to the source's length);
            None for the whole source (required for live sources).
        control: progress and cancel (:mod:`..progress`): reports (0, total) before the
            first frame, then (frames done, total) after every frame, from the exporting
            thread; each report is a cancellation point.
        force: replace an existing `out_path`.
        fps: frame rate to write instead of the source's.
        on_result: called with each :class:`~.frame_result.FrameResult` before it is drawn
            (e.g. to preview it or check :func:`~.render_layers.unavailable_overlays`); an
            exception from it aborts the export like any other error.
        before_commit: called with every frame's poses once the video is written and checked,
            before it is renamed over `out_path` (e.g. to write the run's keypoints file
            first): an exception from it removes the video, so a failed run leaves nothing
            of itself and an older `out_path` untouched.

    Returns:
        :class:`ExportSummary`, including every frame's poses.

    Raises:
        Cancelled: `control` was cancelled (the partial file is removed).
        ExportError: `out_path` exists without `force`, its folder is missing or not
            writable, an unsupported extension, no frames in the range, a frame rate outside
            (0, 1000], no working video writer, or the write failed (e.g. disk full).
        SourceError, BackendError: reading or inference failed (the partial file is removed).
    """
    started = time.perf_counter()
    control = control if control is not None else JobControl()
    if out_path is not None:
        out_path = Path(out_path)
        if out_path.suffix.lower() not in VIDEO_CODECS:
            raise ExportError(f"{out_path}: unsupported video type; use {', '.join(VIDEO_CODECS)}")
        check_output_path(out_path, force)
    span = _frame_range(source, frames)
    rate = float(fps or source.fps or DEFAULT_FPS)
    if not 0 < rate <= 1000:
        raise ExportError(f"frame rate must be above 0 and at most 1000, got {rate:g}")
    total = len(span)

    tmp: Path | None = None
    writer = None
    fourcc = ""
    size = (0, 0)
    records: list[FramePoses] = []
    try:
        if out_path is not None:
            try:
                tmp = create_temp_beside(out_path)
            except OSError as exc:
                raise ExportError(f"{out_path}: cannot write in folder {out_path.parent} "
                                  f"({exc.strerror or exc})") from None
        pipeline.reset()
        if not source.is_live:
            source.seek(span.start)
        control.report(0, total)
        for done, result in enumerate(stream_results(source, pipeline, limit=total), 1):
            records.append(FramePoses.of(result))
            if on_result is not None:
                on_result(result)
            if out_path is not None:
                image = render_overlays(result.frame, result, options)
                if writer is None:
                    frame_size = (image.shape[1], image.shape[0])
                    size = video_size_for(frame_size)
                    writer, fourcc = _open_writer(tmp, rate, size)
                writer.write(_fit(image, frame_size, size))
            control.report(done, total)
        if not records:
            raise ExportError(f"{source.name}: no frames could be read from frame {span.start}")
        if writer is not None:
            writer.release()
            writer = None
            _verify_video(tmp, len(records), size)
            if before_commit is not None:
                before_commit(tuple(records))
            _commit(tmp, out_path, force)
            tmp = None
    except OSError as exc:
        if out_path is None:
            raise
        raise ExportError(f"{out_path}: write failed ({exc.strerror or exc})") from None
    finally:
        try:
            if writer is not None:
                writer.release()  # may fail again (disk full): the partial file goes all the same
        except Exception:
            pass
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
    return ExportSummary(out_path, len(records), records[0].index, records[-1].index, size, rate, fourcc,
                         time.perf_counter() - started, tuple(records))
