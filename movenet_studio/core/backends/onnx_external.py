"""ONNX external data (weights stored beside the .onnx file), resolved safely.

ONNX Runtime sessions here are created from bytes (the heads need an in-memory copy of the
graph), and ORT resolves the external-data ``location`` of a model given as bytes against
the *current* folder: a decoy ``./w.bin`` would be read instead of the file beside the
model. :func:`model_bytes` therefore resolves every external tensor against the model
file's own folder only, refuses a location outside it (absolute, ``..``, a symlink leading
out), a file that is not a regular file, or a range past the file's end, and returns the
model with the data inlined. Models without external data are returned unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import ModelError
from ..files import PathCheckError, check_input_file
from ..text import first_line, printable


def model_bytes(path: Path) -> bytes:
    """The bytes of the ONNX model `path` with any external data inlined (see the module docstring).

    Raises:
        ModelError: an external-data reference leaves the model's folder, names a missing
            or special file, or a byte range past its end.
    """
    path = Path(path)
    data = path.read_bytes()
    if b"location" not in data:  # no external-data entry can be in the file
        return data
    try:
        import onnx
        from onnx.external_data_helper import ExternalDataInfo, _get_all_tensors, uses_external_data
    except ImportError:
        return data
    try:
        model = onnx.load_from_string(data)
    except Exception:  # noqa: BLE001 - not parseable here: let the runtime report it
        return data
    external = [t for t in _get_all_tensors(model) if uses_external_data(t)]
    if not external:
        return data
    folder = Path(os.path.realpath(path.parent))
    for tensor in external:
        info = ExternalDataInfo(tensor)
        _check_location(path.name, folder, info.location or "", info.offset, info.length)
    try:
        onnx.load_external_data_for_model(model, str(folder))
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{path.name}: cannot read its external data ({first_line(exc)[:160]})") from None
    return model.SerializeToString()


def _check_location(name: str, folder: Path, location: str, offset: int | None, length: int | None) -> None:
    shown = printable(location)
    for flavour in (PurePosixPath, PureWindowsPath):
        parts = flavour(location)
        if not location or parts.is_absolute() or parts.anchor or ".." in parts.parts:
            raise ModelError(f"{name}: external data '{shown}' is not a file in the model's folder; refused")
    target = Path(os.path.realpath(folder / location))
    if os.path.commonpath([folder, target]) != str(folder):
        raise ModelError(f"{name}: external data '{shown}' leads outside the model's folder; refused")
    try:
        check_input_file(target, "external data file")
    except PathCheckError as exc:
        raise ModelError(f"{name}: external data {exc}") from None
    size = target.stat().st_size
    start = int(offset or 0)
    if start < 0 or start > size or (length is not None and (int(length) < 0 or start + int(length) > size)):
        raise ModelError(f"{name}: external data '{shown}': bytes {start}..{start + int(length or 0)} "
                         f"are past its end ({size} bytes)")
