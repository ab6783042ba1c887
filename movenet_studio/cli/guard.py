"""The path rules of :mod:`movenet_studio.core.files`, applied to every command before it runs.

Each command's options are classified by their destination name, so a new command that
names its options like the others (``--json``, ``--out``, ``--annotations`` ...) is covered
without code of its own:

- outputs (:data:`OUTPUT_DESTS`): checked by :func:`~movenet_studio.core.files.check_outputs`
  against every input of the run (the source and its files, model files, annotation files,
  the images folder, the log file) and against each other;
- input files (:data:`INPUT_FILE_DESTS`) must be regular files, input folders
  (:data:`INPUT_FOLDER_DESTS`) folders; model options naming an existing path must be
  regular files. Sources are checked when opened (:func:`~movenet_studio.core.media.opener.open_source`).

A command whose option of one of these names means something else can list it in its
parser defaults as ``path_rules_skip=("dest", ...)``.
"""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

from ..core.files import PathCheckError, check_input_file, check_input_folder, check_outputs
from ..core.file_kinds import kind_of
from ..core.media.urls import is_url
from ..core.text import printable

#: Destinations of options that name a file the command writes.
OUTPUT_DESTS = ("json", "out", "keypoints", "stats_json", "heads_npz", "screenshot", "node_data", "csv",
                "report", "output")
#: Destinations of options that name a file the command reads.
INPUT_FILE_DESTS = ("annotations", "coco_annotations", "classifier", "labels", "results", "infer_json", "recipe")
#: Destinations of options that name a folder the command reads.
INPUT_FOLDER_DESTS = ("images",)
#: Destinations holding model names or files (a string, or a list of them).
MODEL_DESTS = ("model", "models", "compare", "spec_a", "spec_b", "model_b")
#: Destinations holding sources (``camera:N``, a URL or a path, or a list of them).
SOURCE_DESTS = ("source", "sources", "calibration", "holdout")
#: Options whose existing file may be replaced only with --force (the others always replace).
FORCE_DESTS = ("out", "keypoints")
#: Outputs that may name a folder (a command writing several files); the others must be files.
MAYBE_FOLDER_DESTS = ("out", "output", "node_data", "report")


def check_output_folder(path: Path, label: str) -> None:
    """An output folder: when it exists, a folder (not a file, FIFO or device).

    Raises:
        PathCheckError: it exists and is something else.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISDIR(mode):
        raise PathCheckError(f"{label} {printable(path)}: is {kind_of(mode)}, not a folder")


def _items(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _model_path(value) -> Path | None:
    """The file a model option names, if it names an existing path (``path[:backend]`` too)."""
    text = str(value)
    for candidate in (text, text.rsplit(":", 1)[0] if ":" in text else None):
        if candidate and (Path(candidate).expanduser().exists() or Path(candidate).is_symlink()):
            return Path(candidate).expanduser()
    return None


def check_paths(args: argparse.Namespace, log_file: Path | None = None,
                parser: argparse.ArgumentParser | None = None) -> None:
    """Apply the input and output rules to the parsed `args` of one command.

    Args:
        args: the parsed options.
        log_file: the log file (an input no output may replace).
        parser: the command's parser: an output option whose metavar is ``DIR`` names a
            folder (it must be a folder if it exists).

    Raises:
        PathCheckError: the first path that breaks a rule (nothing has run yet).
    """
    skip = set(getattr(args, "path_rules_skip", ()))
    folder_dests = {a.dest for a in (parser._actions if parser is not None else ())
                    if a.metavar in ("DIR", "FOLDER")}
    values = {k: v for k, v in vars(args).items() if k not in skip}
    inputs: list[Path] = []
    for dest in SOURCE_DESTS:
        for item in _items(values.get(dest)):
            if not str(item).lower().startswith("camera:") and not is_url(item):  # a URL is never a path
                inputs.append(Path(str(item)).expanduser())
    for dest in MODEL_DESTS:
        for item in _items(values.get(dest)):
            path = _model_path(item)
            if path is not None:
                if not path.is_dir():
                    check_input_file(path, "model file")
                inputs.append(path)
    for dest in INPUT_FILE_DESTS:
        for item in _items(values.get(dest)):
            inputs.append(check_input_file(Path(item).expanduser(), dest.replace("_", " ").rstrip("s") + " file"))
    for dest in INPUT_FOLDER_DESTS:
        for item in _items(values.get(dest)):
            inputs.append(check_input_folder(Path(item).expanduser(), "folder"))
    if log_file is not None:
        inputs.append(log_file)
    outputs, force = {}, {}
    for dest in OUTPUT_DESTS:
        value = values.get(dest)
        if not isinstance(value, (str, os.PathLike)):  # not given, or a flag of that name
            continue
        if dest in folder_dests:
            check_output_folder(Path(value), f"--{dest.replace('_', '-')}")
            continue
        if dest in MAYBE_FOLDER_DESTS and Path(value).is_dir():
            continue  # an output folder: the command checks what it writes in it
        label = f"--{dest.replace('_', '-')}"
        outputs[label] = value
        force[label] = bool(values.get("force")) if dest in FORCE_DESTS and "force" in values else None
    check_outputs(outputs, inputs, force=force)
