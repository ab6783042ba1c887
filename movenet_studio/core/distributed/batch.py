"""Batch runs: which sources a batch holds, where each one's outputs go, and the run's manifest.

Qt-free and cluster-free: :mod:`movenet_studio.cli.batch` runs the tasks on dask.distributed.

- :func:`expand_sources` turns files, folders, glob patterns and list files into sources
  (videos, images, folders of images), each one task.
- :func:`output_stem` names a source's outputs so that two sources never share a name
  (``pose-1a2b3c4d.json``: the source's name and a hash of its absolute path).
- The manifest (``DIR/manifest.json``) lists every source of the run with its status
  (``ok``, ``error`` with the reason, or ``skipped`` when a previous run's outputs are
  complete) and sums up the run; paths in it are relative to DIR. It is rewritten
  atomically after every finished source, so an interrupted run can be resumed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

import cv2

from ..atomic import write_json_atomic
from ..errors import StudioError
from ..media.sources import quiet_ffmpeg
from ..media.urls import display_url, is_url
from ..file_kinds import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

MANIFEST_NAME = "manifest.json"
#: A source argument with one of these extensions is a text file listing sources, one a line.
LIST_EXTENSIONS = frozenset({".txt", ".lst"})
#: Suffixes of a source's outputs after :func:`output_stem`.
OUTPUT_SUFFIXES = {"json": ".json", "video": ".mp4", "heads_npz": ".heads.npz"}
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class BatchError(StudioError):
    """A batch cannot start: no sources, a glob that matches nothing, an unreadable list file."""


def expand_sources(specs: Sequence[str], exclude: Iterable[Path] = ()) -> list[Path]:
    """The sources named by `specs`, absolute, in order, each once.

    Args:
        specs: each one of
            - a video or image file: one source;
            - a folder: each video file in it is a source, the folder itself is one source
              when it holds image files (a folder of photos), and its subfolders are
              searched the same way (hidden files and folders are passed over);
            - a glob pattern (``clips/*.mp4``, ``**`` for any depth), expanded as above;
            - a ``.txt`` / ``.lst`` file listing sources one a line (blank lines and
              ``#`` comments ignored; relative paths are relative to the list's folder);
            - a path that does not exist: kept, so that the run records it as an error.
        exclude: folders not to search (the batch's output folder).

    Returns:
        Absolute paths (normalised, symbolic links not resolved).

    Raises:
        BatchError: a glob matches nothing, a list file cannot be read, nothing is left, or a
            spec is a stream URL.
    """
    excluded = {Path(p).resolve() for p in exclude}
    found: list[Path] = []
    for spec in specs:
        if is_url(spec):  # never a path (its // would collapse into a missing file)
            raise BatchError(f"{display_url(spec)}: a batch runs files; run a stream with infer")
        found.extend(_expand(str(spec), Path.cwd(), excluded, depth=0))
    unique = list(dict.fromkeys(found))
    if not unique:
        raise BatchError("no sources to run (no videos, images or image folders in the arguments)")
    return unique


def _expand(spec: str, base: Path, excluded: set[Path], depth: int) -> list[Path]:
    path = Path(os.path.abspath(base / Path(spec).expanduser()))  # absolute, symbolic links kept
    if path.is_dir():
        return _walk(path, excluded)
    if path.is_file():
        if path.suffix.lower() in LIST_EXTENSIONS:
            return _read_list(path, excluded, depth)
        return [path]
    if _GLOB_CHARS.search(spec):
        pattern = str(base / Path(spec).expanduser())
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            raise BatchError(f"{spec}: matches no file or folder")
        out: list[Path] = []
        for match in matches:
            out.extend(_expand(match, base, excluded, depth))
        return out
    return [path]  # missing: recorded as an error by the run, the others go on


def _read_list(path: Path, excluded: set[Path], depth: int) -> list[Path]:
    if depth >= 8:
        raise BatchError(f"{path}: lists of sources nested too deep (a list naming itself?)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BatchError(f"{path}: cannot read the list of sources ({exc})") from None
    out: list[Path] = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            out.extend(_expand(line, path.parent, excluded, depth + 1))
    return out


def _walk(folder: Path, excluded: set[Path]) -> list[Path]:
    """Videos of `folder` and its subfolders, and every folder holding images."""
    out: list[Path] = []
    for root, dirs, files in os.walk(folder):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and (root_path / d).resolve() not in excluded)
        visible = sorted(f for f in files if not f.startswith("."))
        if any(Path(f).suffix.lower() in IMAGE_EXTENSIONS for f in visible):
            out.append(root_path)
        out.extend(root_path / f for f in visible if Path(f).suffix.lower() in VIDEO_EXTENSIONS)
    return out


def output_stem(source: Path) -> str:
    """The file-name stem of `source`'s outputs: its name and 8 hex digits of the SHA-1 of its
    absolute path, e.g. ``pose_1-3fa2c1d9`` (two ``pose_1.mp4`` in different folders differ)."""
    source = Path(source)
    digest = hashlib.sha1(str(source.absolute()).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    name = _UNSAFE.sub("_", source.stem if source.suffix else source.name).strip("._") or "source"
    return f"{name[:80]}-{digest}"


def output_names(source: Path, kinds: Iterable[str]) -> dict[str, str]:
    """File names (relative to the output folder) of `source`'s outputs of `kinds`
    (keys of :data:`OUTPUT_SUFFIXES`)."""
    stem = output_stem(source)
    return {kind: stem + OUTPUT_SUFFIXES[kind] for kind in kinds}


def remove_partial_outputs(out_dir: Path, names: Iterable[str]) -> int:
    """Delete temporary files (``.NAME.<random>.part<ext>``, see
    :func:`~.atomic.create_temp_beside`) of the outputs `names` left by an interrupted run.

    Returns:
        How many were removed.
    """
    removed = 0
    for name in names:
        for tmp in Path(out_dir).glob(f".{glob.escape(name)}.*.part*"):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def read_manifest(out_dir: Path) -> dict:
    """The manifest of a previous run in `out_dir`, or ``{}`` when there is none or it cannot be read."""
    try:
        document = json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def completed_entries(previous: dict, out_dir: Path, settings: dict, kinds: Iterable[str]) -> dict[str, dict]:
    """Source -> entry of the previous run's sources whose outputs are complete.

    Complete: listed ``ok`` or ``skipped`` by a run with the same `settings`, with an output
    of each of `kinds` that exists under its final name (outputs are renamed into place
    only when whole, and the manifest is written after that).
    """
    kinds = list(kinds)
    if previous.get("settings") != settings:
        return {}
    done = {}
    for entry in previous.get("sources", ()):
        if not isinstance(entry, dict) or entry.get("status") not in ("ok", "skipped"):
            continue
        files = [entry.get(kind) for kind in kinds]
        if all(isinstance(f, str) and (Path(out_dir) / f).is_file() for f in files):
            done[str(entry.get("source"))] = entry
    return done


def entry(source: Path | str, status: str, outputs: dict[str, str] | None = None, frames: int = 0,
          seconds: float = 0.0, error: str | None = None) -> dict:
    """One manifest entry: ``source``, ``status`` (ok / error / skipped), ``json``, ``video``,
    ``heads_npz`` (paths relative to the output folder, null when not written), ``frames``,
    ``seconds`` (the task's wall time) and ``error`` (the reason, or null)."""
    outputs = outputs or {}
    return {"source": str(source), "status": status, "json": outputs.get("json"), "video": outputs.get("video"),
            "heads_npz": outputs.get("heads_npz"), "frames": int(frames), "seconds": round(float(seconds), 3),
            "error": error}


def manifest_document(entries: Sequence[dict], seconds: float, settings: dict) -> dict:
    """The manifest: the entries, a summary of this run and the settings it ran with.

    ``summary``: counts per status; ``frames`` processed by this run (ok sources);
    ``seconds``, this run's wall time; ``fps`` = frames / seconds.
    """
    frames = sum(e["frames"] for e in entries if e["status"] == "ok")
    summary = {status: sum(1 for e in entries if e["status"] == status) for status in ("ok", "error", "skipped")}
    summary.update(frames=frames, seconds=round(seconds, 3), fps=round(frames / seconds, 2) if seconds > 0 else 0.0)
    return {"sources": list(entries), "summary": summary, "settings": settings}


def write_manifest(out_dir: Path, entries: Sequence[dict], seconds: float, settings: dict) -> Path:
    """Write ``out_dir/manifest.json`` atomically; returns its path.

    Raises:
        OSError: the folder is not writable.
    """
    path = Path(out_dir) / MANIFEST_NAME
    write_json_atomic(path, manifest_document(entries, seconds, settings))
    return path


def estimate_frames(source: Path) -> int:
    """About how many frames `source` has (for the progress bar's ETA): a video's declared
    count, a folder's image files, 1 for an image or anything that cannot be read."""
    source = Path(source)
    quiet_ffmpeg()
    try:
        if source.is_dir():
            return max(1, sum(1 for p in source.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS))
        if source.suffix.lower() in VIDEO_EXTENSIONS and source.is_file():
            capture = cv2.VideoCapture(str(source))
            try:
                return max(1, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
            finally:
                capture.release()
    except (OSError, cv2.error):
        pass
    return 1
