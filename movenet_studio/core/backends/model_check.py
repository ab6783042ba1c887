"""The child side of probing a MoveNet model file (see :mod:`movenet_studio.core.sandbox`).

Run in a child process by ``movenet-studio --probe-model FILE``: resolve the file, load it
in its backend and invoke it once on a blank input; a crash there kills only the child.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..models.model_io import output_decoder
from ..models.resolve import model_from_file
from ..sandbox import check_onnx
from .registry import create_backend


def check_model_child(file: Path) -> dict:
    """Load `file` as a MoveNet model, invoke it once on a blank input and check its output.

    Returns:
        ``{"ok": True, "architecture", "input_size", "input_dtype", "precision"}``.

    Raises:
        ModelError: not a valid ONNX file, not MoveNet, or a wrong or non-finite output.
        BackendError: the runtime cannot load or run it.
    """
    if file.suffix.lower() == ".onnx":
        check_onnx(file)
    spec = model_from_file(file, probe=False)
    backend = create_backend(spec, threads=1)
    height, width = spec.input_size if spec.input_size[0] > 0 else (256, 256)
    output = output_decoder(spec).decode(backend.invoke(np.zeros((height, width, 3), np.uint8))).raw
    expected = (1, 1, spec.num_keypoints, 3) if spec.architecture == "singlepose" else (1, 6, 56)
    if tuple(output.shape) != expected or not np.isfinite(output).all():
        raise ModelError(f"{file.name}: not a usable MoveNet model (output {tuple(output.shape)} "
                         f"{'with non-finite values' if output.shape == expected else f'instead of {expected}'})")
    return {"ok": True, "architecture": spec.architecture, "input_size": list(spec.input_size),
            "input_dtype": spec.input_dtype, "precision": spec.precision}
