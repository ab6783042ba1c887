"""The model catalog: bundled MoveNet files, user files, and what a model file is.

A model is named by a short key (``lightning``, ``thunder-int8``, ``multipose``) or by a
path to a ``.tflite`` / ``.onnx`` file. :func:`resolve_model` turns either into a
:class:`ModelSpec`; user files are sniffed (:func:`sniff_signature`) and refused with a
clear :class:`ModelError` when they are not MoveNet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .files import kind_of
from .text import printable
from .paths import models_dir

SINGLEPOSE = "singlepose"
MULTIPOSE = "multipose"
FORMATS = {".tflite": "tflite", ".onnx": "onnx"}
_BACKEND_FORMAT = {"tflite": "tflite", "onnx": "onnx"}

#: Bundled files: key -> (file stem, variant, precision, architecture).
_BUNDLED: dict[str, tuple[str, str, str, str]] = {
    "lightning-float16": ("movenet_singlepose_lightning_float16", "lightning", "float16", SINGLEPOSE),
    "lightning-int8": ("movenet_singlepose_lightning_int8", "lightning", "int8", SINGLEPOSE),
    "thunder-float16": ("movenet_singlepose_thunder_float16", "thunder", "float16", SINGLEPOSE),
    "thunder-int8": ("movenet_singlepose_thunder_int8", "thunder", "int8", SINGLEPOSE),
    "multipose-float16": ("movenet_multipose_lightning_float16", "multipose", "float16", MULTIPOSE),
}
_ALIASES = {"lightning": "lightning-float16", "thunder": "thunder-float16", "multipose": "multipose-float16",
            "multipose-lightning": "multipose-float16"}


@dataclass(frozen=True, slots=True)
class TensorSignature:
    """Name, shape and dtype of one model input or output (shape entries < 0 are dynamic)."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def __str__(self) -> str:
        dims = "x".join("?" if d < 0 else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"


@dataclass(frozen=True, slots=True)
class ModelSignature:
    """What a model file declares: its inputs, outputs and weight precision."""

    inputs: tuple[TensorSignature, ...]
    outputs: tuple[TensorSignature, ...]
    precision: str  # "float32" | "float16" | "int8"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A MoveNet model file and what it is.

    Attributes:
        key: catalog key (``lightning-float16``) or the file name for user files.
        path: the model file.
        format: ``tflite`` or ``onnx``.
        architecture: ``singlepose`` (output [1,1,17,3]) or ``multipose`` (output [1,6,56]).
        variant: ``lightning``, ``thunder``, ``multipose`` or ``custom``.
        precision: ``float16``, ``int8`` or ``float32`` (weights).
        input_size: (height, width) in pixels; (-1, -1) for a dynamic MultiPose input.
        input_dtype: numpy dtype name of the image input (``uint8``, ``int32``, ``float32``).
        bundled: True for the files shipped in models/.
    """

    key: str
    path: Path
    format: str
    architecture: str
    variant: str
    precision: str
    input_size: tuple[int, int]
    input_dtype: str
    bundled: bool

    @property
    def label(self) -> str:
        """Human label, e.g. ``Lightning float16 (TFLite)``, ``MultiPose Lightning float16 (ONNX)``."""
        names = {"custom": self.path.name, "multipose": "MultiPose Lightning"}
        name = names.get(self.variant, self.variant.capitalize())
        return f"{name} {self.precision} ({'TFLite' if self.format == 'tflite' else 'ONNX'})"

    @property
    def is_multipose(self) -> bool:
        return self.architecture == MULTIPOSE


def bundled_keys() -> tuple[str, ...]:
    """Catalog keys of the bundled models, e.g. ``lightning-float16``."""
    return tuple(_BUNDLED)


def bundled_model(key: str, fmt: str = "tflite") -> ModelSpec:
    """The bundled model `key` (an alias such as ``lightning`` is accepted) in format `fmt`.

    Raises:
        ModelError: unknown key, or that model is not bundled in that format
            (there is no int8 ONNX file), or its file is missing.
    """
    key = _ALIASES.get(key.lower(), key.lower())
    if key not in _BUNDLED:
        known = ", ".join(sorted(set(_BUNDLED) | set(_ALIASES)))
        raise ModelError(f"unknown model '{key}'; known models: {known}, or a path to a .tflite/.onnx file")
    stem, variant, precision, arch = _BUNDLED[key]
    ext = {"tflite": ".tflite", "onnx": ".onnx"}[fmt]
    path = models_dir() / f"{stem}{ext}"
    if not path.is_file():
        raise ModelError(f"model '{key}' has no bundled {fmt.upper()} file ({path.name} is not in {models_dir()})")
    size = {"lightning": 192, "thunder": 256, "multipose": 256}[variant]
    return ModelSpec(key, path, fmt, arch, variant, precision, (size, size), "uint8", True)


def bundled_formats(key: str) -> tuple[str, ...]:
    """The formats (``tflite``, ``onnx``) bundled model `key` has a file for, e.g. ``("tflite",)``
    for the int8 models; ``()`` for a key that is not bundled (a file path, an unknown name)."""
    key = _ALIASES.get(str(key).lower(), str(key).lower())
    if key not in _BUNDLED:
        return ()
    stem = _BUNDLED[key][0]
    return tuple(fmt for fmt, ext in (("tflite", ".tflite"), ("onnx", ".onnx")) if (models_dir() / f"{stem}{ext}").is_file())


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
    if backend not in _BACKEND_FORMAT:
        raise ModelError(f"unknown backend '{backend}'; use tflite or onnx")
    return bundled_model(text, _BACKEND_FORMAT[backend])


def model_from_file(path: Path, *, probe: bool = True) -> ModelSpec:
    """Sniff a user's model file and describe it.

    A file outside the bundled models folder is first probed in a child process
    (:func:`.probe.probe_model`) when `probe` is true, so a file that crashes the runtime
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
    if probe and not bundled:
        from .probe import probe_model

        probe_model(path)
    signature = sniff_signature(path)
    architecture, size, dtype = classify_signature(signature, path.name)
    for key, (stem, variant, precision, arch) in _BUNDLED.items():
        if path.stem == stem:
            return ModelSpec(key, path, fmt, arch, variant, precision, size, dtype, bundled)
    return ModelSpec(path.name, path, fmt, architecture, "custom", signature.precision, size, dtype, False)


def sniff_signature(path: Path) -> ModelSignature:
    """Read the inputs, outputs and weight precision declared by a .tflite or .onnx file.

    Raises:
        ModelError: the file cannot be parsed by its runtime.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise ModelError(f"{path.name}: empty file, not a model")
    if FORMATS.get(path.suffix.lower()) == "onnx":
        return _sniff_onnx(path)
    return _sniff_tflite(path)


def _sniff_tflite(path: Path) -> ModelSignature:
    from .backends.tflite import load_interpreter_class

    interpreter_cls = load_interpreter_class()
    try:
        interpreter = interpreter_cls(model_path=str(path))
    except Exception as exc:  # the runtime raises ValueError/RuntimeError for bad flatbuffers
        raise ModelError(f"{path.name}: not a readable TFLite model ({_first_line(exc)})") from None

    def sig(d: dict) -> TensorSignature:
        shape = d.get("shape_signature", d["shape"])
        return TensorSignature(d["name"], tuple(int(v) for v in shape), np.dtype(d["dtype"]).name)

    dtypes = {np.dtype(t["dtype"]).name for t in interpreter.get_tensor_details()}
    precision = "int8" if "int8" in dtypes else "float16" if "float16" in dtypes else "float32"
    return ModelSignature(
        tuple(sig(d) for d in interpreter.get_input_details()),
        tuple(sig(d) for d in interpreter.get_output_details()),
        precision,
    )


def _sniff_onnx(path: Path) -> ModelSignature:
    try:
        import onnx
        from onnx import helper

        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise ModelError(f"{path.name}: not a readable ONNX model ({_first_line(exc)})") from None

    def sig(value_info) -> TensorSignature:
        tensor = value_info.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim)
        return TensorSignature(value_info.name, dims, np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)).name)

    initializer_names = {init.name for init in model.graph.initializer}
    inputs = tuple(sig(v) for v in model.graph.input if v.name not in initializer_names)
    types = {init.data_type for init in model.graph.initializer}
    precision = ("int8" if onnx.TensorProto.INT8 in types or onnx.TensorProto.UINT8 in types
                 else "float16" if onnx.TensorProto.FLOAT16 in types else "float32")
    return ModelSignature(inputs, tuple(sig(v) for v in model.graph.output), precision)


def classify_signature(signature: ModelSignature, filename: str) -> tuple[str, tuple[int, int], str]:
    """Decide whether a signature is MoveNet's.

    Returns:
        (architecture, (input height, input width), input dtype name).

    Raises:
        ModelError: with what was expected and what the file declares.
    """
    shown = (f"inputs {', '.join(str(t) for t in signature.inputs) or 'none'}; "
             f"outputs {', '.join(str(t) for t in signature.outputs) or 'none'}")
    expected = ("expected one image input [1,H,W,3] (uint8, int32 or float32) "
                "and an output [1,1,17,3] (single-pose) or [1,6,56] (MultiPose)")
    if len(signature.inputs) != 1 or not signature.outputs:
        raise ModelError(f"{filename}: not a MoveNet model: {expected}; it has {shown}")
    image = signature.inputs[0]
    shape = image.shape
    if (len(shape) != 4 or shape[3] != 3 or shape[0] not in (1, -1)
            or image.dtype not in ("uint8", "int32", "float32")):
        raise ModelError(f"{filename}: not a MoveNet model: {expected}; it has {shown}")
    out = signature.outputs[0].shape
    if len(out) == 4 and tuple(out[1:]) == (1, 17, 3):
        architecture = SINGLEPOSE
    elif len(out) == 3 and out[2] == 56:
        architecture = MULTIPOSE
    else:
        raise ModelError(f"{filename}: not a MoveNet model: {expected}; it has {shown}")
    size = (int(shape[1]), int(shape[2])) if shape[1] > 0 and shape[2] > 0 else (-1, -1)
    if architecture == SINGLEPOSE and (size[0] < 32 or size[0] != size[1]):
        raise ModelError(f"{filename}: not a MoveNet model: single-pose input must be square; it has {shown}")
    return architecture, size, image.dtype


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
