"""The model catalog: the bundled MoveNet files and what describes a model (:class:`ModelSpec`;
what its file declares is a :class:`~.signature.ModelSignature`).

A model is named by a short key (``lightning``, ``thunder-int8``, ``multipose``) or by a
path to a ``.tflite`` / ``.onnx`` file; :func:`~.resolve.resolve_model` turns either
into a :class:`ModelSpec`, sniffing and probing user files. This module only describes: it
reads no model file and loads no runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from ..errors import ModelError
from ..paths import models_dir
from .model_io import ModelIO, model_io

SINGLEPOSE = "singlepose"
MULTIPOSE = "multipose"
FORMATS = {".tflite": "tflite", ".onnx": "onnx"}
#: Model-file format of each backend's bundled files.
BACKEND_FORMATS = {"tflite": "tflite", "onnx": "onnx"}

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
        io: how to feed the file and read its outputs (:class:`~.model_io.ModelIO`: input
            quantisation and layout, output kind, keypoint set); None for the bundled
            catalog models (uint8 NHWC input, keypoints or MultiPose output).
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
    io: ModelIO | None = None

    @property
    def label(self) -> str:
        """Human label, e.g. ``Lightning float16 (TFLite)``, ``MultiPose Lightning float16 (ONNX)``."""
        names = {"custom": self.path.name, "multipose": "MultiPose Lightning"}
        name = names.get(self.variant, self.variant.capitalize())
        return f"{name} {self.precision} ({'TFLite' if self.format == 'tflite' else 'ONNX'})"

    @property
    def is_multipose(self) -> bool:
        return self.architecture == MULTIPOSE

    @property
    def output_kind(self) -> str:
        """``keypoints``, ``multipose``, ``heatmaps`` or ``heads`` (see :mod:`.model_io`)."""
        if self.io is not None:
            return self.io.kind
        return "multipose" if self.is_multipose else "keypoints"

    @property
    def num_keypoints(self) -> int:
        """K: 17 (COCO-17) or 13 (ST's 13)."""
        return self.io.num_keypoints if self.io is not None else 17


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


def bundled_entry(stem: str) -> tuple[str, str, str, str] | None:
    """(key, variant, precision, architecture) of the bundled file named `stem` (no
    extension), or None when `stem` is not one of the bundled files."""
    for key, (bundled_stem, variant, precision, arch) in _BUNDLED.items():
        if stem == bundled_stem:
            return key, variant, precision, arch
    return None


def model_to_json(model: ModelSpec) -> dict:
    """The model description stored in results files: the catalog facts, then what the file
    is (:meth:`~.model_io.ModelIO.to_json`: kind, input quantisation and layout, outputs,
    keypoint set, op counts, custom ops)."""
    document = {
        "key": model.key, "file": model.path.name, "format": model.format, "architecture": model.architecture,
        "variant": model.variant, "precision": model.precision, "input_size": list(model.input_size),
        "input_dtype": model.input_dtype,
    }
    io = model_io(model)
    if io is not None:
        document.update(io.to_json())
    return document
