"""What a dask worker runs for ``batch``: one source through ``infer``'s code path.

Functions here are sent to the workers by reference, so workers need this package
installed (the same version as the client).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import tempfile
import time
from pathlib import Path

from ..core.atomic import atomic_output
from ..core.batch import entry
from ..core.errors import StudioError
from .infer import infer_source

log = logging.getLogger(__name__)


def local_file(name: str, data: bytes) -> Path:
    """A copy of a file sent from the client (model, classifier), in this machine's temporary folder.

    Stored as ``<tmp>/movenet-studio-files/<sha256 prefix>/<name>`` (the name is kept: it
    names the model in results), written once per content (atomically, so tasks running at
    the same time never read a half-written file) and reused by later tasks.

    Raises:
        OSError: the temporary folder is not writable.
    """
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "movenet-studio-files" / digest / Path(name).name
    if not path.is_file() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path, "wb") as handle:
            handle.write(data)
    return path


def run_source(options: dict, source: str, out_dir: str, outputs: dict[str, str],
               files: dict[str, tuple[str, bytes]] | None = None) -> dict:
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
            local = local_file(file_name, data)
            setattr(args, name, local if isinstance(options[name], Path) else str(local))
        video = folder / outputs["video"] if outputs.get("video") else None
        done = infer_source(args, video=video)
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
