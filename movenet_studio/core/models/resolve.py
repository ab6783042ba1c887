"""Turning a model name or file into a :class:`~.catalog.ModelSpec`: a catalog key is looked
up in :mod:`.catalog`; a user's file is checked, probed in a child process (:mod:`.probe`),
sniffed (:func:`sniff_signature`, :mod:`.graph`) and classified
(:func:`~.model_io.inspect_signature`), and refused with a clear :class:`ModelError` when
it is not MoveNet.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ModelError
from ..file_kinds import kind_of
from .catalog import BACKEND_FORMATS, FORMATS, MULTIPOSE, SINGLEPOSE, ModelSpec, bundled_entry, bundled_model
from ..paths import models_dir
from ..sandbox import probe_file
from .graph import read_signature
from .model_io import inspect_signature
from .signature import ModelSignature
from ..text import printable


def resolve_model(name: str | Path, backend: str = "tflite", *, probe: bool = True) -> ModelSpec:
    """Turn a model name or a file path into a :class:`ModelSpec`.

    Args:
        name: a catalog key or alias (``lightning``, ``thunder-int8``, ``multipose``), or a
            path to a MoveNet ``.tflite`` / ``.onnx`` file.
        backend: ``tflite`` or ``onnx``; picks the bundled file's format for catalog keys.
        probe: load a file that is not bundled in a child process first (see :mod:`.probe`).

    Raises:
        ModelError: unknown name, missing file, unreadable or non-MoveNet file.
    """
    text = str(name)
    path = Path(text).expanduser()
    if path.suffix.lower() in FORMATS or path.exists() or "/" in text or "\\" in text:
        return model_from_file(path, probe=probe)
    if backend not in BACKEND_FORMATS:
        raise ModelError(f"unknown backend '{backend}'; use tflite or onnx")
    return bundled_model(text, BACKEND_FORMATS[backend])


#: Command-line flag of the child process that checks a MoveNet model file
#: (:func:`movenet_studio.core.backends.model_check.check_model_child`).
PROBE_FLAG = "--probe-model"


def probe_model(path: Path, timeout_s: float | None = None) -> dict:
    """Load, allocate and invoke the MoveNet model `path` once in a child process
    (:func:`~movenet_studio.core.sandbox.probe_file` with :data:`PROBE_FLAG`).

    Returns:
        The child's report: ``{"ok": True, "architecture", "input_size", "input_dtype", "precision"}``.

    Raises:
        ModelError: "not a usable MoveNet model" with the reason (the child's error message,
            the signal that killed it, or the timeout).
    """
    return probe_file(path, timeout_s, flag=PROBE_FLAG, what="MoveNet model")

def model_from_file(path: Path, *, probe: bool = True) -> ModelSpec:
    """Sniff a user's model file and describe it.

    A file outside the bundled models folder is first probed in a child process
    (:func:`probe_model`) when `probe` is true, so a file that crashes the runtime
    cannot take this process down.

    Raises:
        ModelError: the file is missing, has an unknown extension, cannot be parsed, or its
            signature is not MoveNet's (one NHWC RGB image input; output [1,1,17,3] or [1,6,56]).
    """
    path = Path(path)
    if not path.is_file():
        if path.exists():  # a folder, FIFO or device: never opened (core.files)
            raise ModelError(f"{printable(path)}: is {kind_of(os.stat(path).st_mode)}, not a model file")
        raise ModelError(f"model file not found: {printable(path)}")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ModelError(f"{path.name}: not a model file (expected .tflite or .onnx)")
    if path.stat().st_size == 0:  # no need for a child process to refuse that
        raise ModelError(f"{path.name}: empty file, not a model")
    bundled = path.resolve().parent == models_dir().resolve()
    if probe and not bundled:  # the child runs the same checks first (NPU-only files are refused
        probe_model(path)  # there, for what they are, before any runtime loads them)
    signature = sniff_signature(path)
    io = inspect_signature(signature, path.name)  # NPU-only and non-MoveNet files are refused here
    architecture = MULTIPOSE if io.kind == "multipose" else SINGLEPOSE
    entry = bundled_entry(path.stem)
    if entry is not None:
        key, variant, precision, arch = entry
        return ModelSpec(key, path, fmt, arch, variant, precision, io.input.size, io.input.dtype, bundled, io)
    return ModelSpec(path.name, path, fmt, architecture, "custom", signature.precision, io.input.size,
                     io.input.dtype, False, io)


def sniff_signature(path: Path) -> ModelSignature:
    """Read the inputs, outputs (with quantisation), weight precision and ops of a model file.

    See :func:`.graph.read_signature`.

    Raises:
        ModelError: the file cannot be parsed as its format.
    """
    return read_signature(Path(path))


def classify_signature(signature: ModelSignature, filename: str) -> tuple[str, tuple[int, int], str]:
    """Decide whether a signature is MoveNet's (the rules of :func:`.model_io.inspect_signature`).

    Returns:
        (architecture, (input height, input width), input dtype name).

    Raises:
        ModelError: saying what the file looks like.
    """
    io = inspect_signature(signature, filename)
    return (MULTIPOSE if io.kind == "multipose" else SINGLEPOSE), io.input.size, io.input.dtype
