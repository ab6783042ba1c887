"""What a dask worker runs for ``batch``: one source through ``infer``'s code path.

Functions here are sent to the workers by reference, so workers need this package
installed (the same version as the client).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ..core.batch import entry
from ..core.cluster import local_copy
from ..core.errors import StudioError
from .infer import infer_source

log = logging.getLogger(__name__)


#: Seconds between two progress events of a task.
PROGRESS_INTERVAL_S = 0.5


def progress_reporter(topic: str | None, source: str):
    """A per-frame callback that logs ``{"source", "frames"}`` events on the dask worker running
    it under `topic`, at most every :data:`PROGRESS_INTERVAL_S` (None outside a worker or without a topic)."""
    if topic is None:
        return None
    from dask.distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:
        return None
    last = [0.0]

    def report(frames: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_INTERVAL_S:
            last[0] = now
            worker.log_event(topic, {"source": source, "frames": frames})

    return report


def run_source(options: dict, source: str, out_dir: str, outputs: dict[str, str],
               files: dict[str, tuple[str, bytes]] | None = None, progress_topic: str | None = None) -> dict:
    """Run ``infer`` on `source` and write its outputs in `out_dir`; never raises for a bad source.

    Args:
        options: ``infer``'s processing options (:func:`~.options.add_infer_options`) by
            attribute name, e.g. ``{"model": "lightning", "crop": True, ...}``.
        source: absolute path of a video, image or image folder.
        out_dir: absolute path of the output folder (shared with the client).
        outputs: output kind (``json``, and optionally ``video``, ``heads_npz``) -> file name
            in `out_dir`.
        files: option name -> (file name, bytes) of the files the client sent (a model that
            is not bundled, a classifier and its labels): each is written to this worker's
            temporary folder and used instead of the client's path.
        progress_topic: dask event topic for frame counts while it runs (see :func:`progress_reporter`).

    Returns:
        The manifest entry (:func:`~movenet_studio.core.batch.entry`): status ``ok`` with the
        frame count, or ``error`` with the reason; ``seconds`` is this task's wall time.
    """
    start = time.perf_counter()
    folder = Path(out_dir)
    args = argparse.Namespace(**options)
    args.source = source
    args.json = folder / outputs["json"]
    args.heads_npz = folder / outputs["heads_npz"] if outputs.get("heads_npz") else None
    args.loop, args.max_frames = False, None
    try:
        for name, (file_name, data) in (files or {}).items():
            local = local_copy(file_name, data)
            setattr(args, name, local if isinstance(options[name], Path) else str(local))
        video = folder / outputs["video"] if outputs.get("video") else None
        done = infer_source(args, video=video, on_frame=progress_reporter(progress_topic, source))
    except StudioError as exc:
        return entry(source, "error", frames=0, seconds=time.perf_counter() - start, error=str(exc))
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return entry(source, "error", seconds=time.perf_counter() - start, error=f"{where}{exc.strerror or exc}")
    except Exception as exc:  # a bug on one source must not stop the others: recorded, logged
        log.exception("batch: unexpected error on %s", source)
        return entry(source, "error", seconds=time.perf_counter() - start,
                     error=f"internal error: {type(exc).__name__}: {exc}")
    return entry(source, "ok", outputs, frames=done.frames, seconds=time.perf_counter() - start)
