"""Drive ONNX Runtime's quantization (``onnxruntime.quantization``) on a normalised float ONNX MoveNet.

Schemes: ``int8`` = ``quantize_static`` in QDQ format, int8 activations and int8 weights
(S8S8), per channel unless per-tensor is asked. Not uint8 activations (U8S8, ONNX
Runtime's suggestion for x86): ONNX Runtime fuses the QDQ graph into ``QLinearConv``, whose
uint8 x int8 products saturate on x86 CPUs without VNNI (ONNX Runtime's own ``reduce_range``
note); on this machine's AMD EPYC, MultiPose U8S8 scored 91 px mean from float (OKS 0.23)
against 6.2 px (OKS 0.92) for S8S8 and 6.6 px for U8S8 with ``reduce_range``. S8S8 is also
what ARM CPUs and NPUs run;
``int16x8`` = int16 activations and int8 weights (QDQ with ONNX Runtime's contrib
``QuantizeLinear``/``DequantizeLinear``, ``UseQDQContribOps``); ``dynamic`` =
``quantize_dynamic`` (int8 weights). Nodes to keep float go to the library's
``nodes_to_exclude``.

Calibration (MinMax) runs once: the first ``quantize_static`` call collects the ranges
and stores them in the library's calibration cache (``calibration_cache_path``); every
later candidate of the repair search is quantized from that cache.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import Cancelled
from ..models.model_io import inspect_signature
from ..models.graph import read_signature
from ..progress import JobControl
from .normalise_onnx import NormalisedOnnx, normalise_onnx
from .onnx_graph import read_onnx_graph


def library_versions() -> dict[str, str]:
    """onnxruntime's and onnx's versions."""
    from importlib.metadata import version

    return {"onnxruntime": version("onnxruntime"), "onnx": version("onnx")}


class _Reader:
    """ONNX Runtime's CalibrationDataReader over our tensors: a progress report and a
    cancellation point per frame."""

    def __init__(self, name: str, tensors: list[np.ndarray], control: JobControl | None, done: int, total: int):
        self.name, self.tensors, self.control = name, tensors, control
        self.done, self.total, self.i = done, total, 0

    def get_next(self):
        if self.i >= len(self.tensors):
            return None
        item = {self.name: self.tensors[self.i]}
        self.i += 1
        if self.control is not None:
            self.control.report(self.done + self.i, self.total, "calibrating (onnxruntime)")
        return item

    def __len__(self) -> int:
        return len(self.tensors)


class OnnxQuantizer:
    """Calibrate once, then quantize with any set of nodes kept float (see the module docstring).

    Attributes:
        float_model: the normalised float model's bytes (the reference measured against).
        graph: its :class:`~.graph_blocks.ModelGraph`.
        suffix: ``.onnx``.
        notes: what normalisation changed.
    """

    suffix = ".onnx"
    library = "onnxruntime"

    def __init__(self, normal: NormalisedOnnx, io, scheme: str = "int8", per_tensor: bool = False,
                 filename: str = "model.onnx"):
        self.normal = normal
        self.scheme = scheme
        self.per_tensor = per_tensor
        self.float_model = normal.model.SerializeToString()
        self.graph = read_onnx_graph(normal.model, io, filename)
        self.notes = normal.notes()
        self.input_name = normal.model.graph.input[0].name
        self._work = Path(tempfile.mkdtemp(prefix="movenet-onnx-quant-"))
        self._float_path = self._work / "float.onnx"
        self._float_path.write_bytes(self.float_model)
        self._cache = self._work / "calibration.json"
        self._tensors: list[np.ndarray] = []
        self._progress = (None, 0, 0)

    library_versions = staticmethod(library_versions)

    @property
    def needs_calibration(self) -> bool:
        return self.scheme != "dynamic"

    def calibrate(self, tensors: list[np.ndarray], control: JobControl | None = None, *, done: int = 0,
                  total: int | None = None) -> None:
        """Keep the calibration tensors; the ranges are collected by the first :meth:`quantize`."""
        self._tensors = list(tensors)
        self._progress = (control, done, total if total is not None else len(tensors))
        if self.needs_calibration:
            self.quantize((), control)  # collect the ranges now, with progress

    def quantize(self, float_scopes: Iterable[str] = (), control: JobControl | None = None) -> bytes:
        """The quantized model's bytes with the nodes named in `float_scopes` kept float.

        Raises:
            Cancelled: cancelled during calibration or before the library started.
        """
        from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType, quantize_dynamic,
                                              quantize_static)

        if control is not None and control.cancelled:
            raise Cancelled("cancelled")
        out = self._work / "quantized.onnx"
        exclude = sorted(set(float_scopes))
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # the library's "consider pre-processing" warning
        try:
            if self.scheme == "dynamic":
                quantize_dynamic(self._float_path, out, per_channel=not self.per_tensor,
                                 weight_type=QuantType.QInt8, nodes_to_exclude=exclude)
            else:
                reader = None
                if not self._cache.is_file():
                    ctl, done, total = self._progress
                    reader = _Reader(self.input_name, self._tensors, ctl, done, total)
                int16 = self.scheme == "int16x8"
                quantize_static(self._float_path, out, reader, quant_format=QuantFormat.QDQ,
                                per_channel=not self.per_tensor,
                                activation_type=QuantType.QInt16 if int16 else QuantType.QInt8,
                                weight_type=QuantType.QInt8, nodes_to_exclude=exclude,
                                calibrate_method=CalibrationMethod.MinMax,
                                extra_options={"UseQDQContribOps": int16},
                                calibration_cache_path=self._cache)
        finally:
            logging.getLogger().setLevel(quiet)
        return out.read_bytes()

    def output_ranges(self) -> dict[str, tuple[float, float]]:
        """Value name -> (min, max) the calibration recorded (ONNX Runtime's calibration
        cache); empty before :meth:`calibrate` or for the dynamic scheme."""
        if not self._cache.is_file():
            return {}
        from onnxruntime.quantization.calibrate import load_tensors_data

        out = {}
        for name, data in load_tensors_data(self._cache).data.items():
            lo, hi = data.range_value
            out[name] = (float(np.min(lo)), float(np.max(hi)))
        return out

    def set_io(self, data: bytes, io: str, bounded: dict[str, bool]) -> bytes:
        """`data` (a quantized model from :meth:`quantize`) with int8 / uint8 input and outputs
        (:func:`~.io_onnx.set_onnx_io`)."""
        from .io_onnx import set_onnx_io

        return set_onnx_io(data, io, self.output_ranges(), bounded)

    def close(self) -> None:
        """Remove the work folder."""
        shutil.rmtree(self._work, ignore_errors=True)


def _normalised(data: bytes, filename: str):
    """(normalised model, its ModelIO)."""
    normal = normalise_onnx(data, filename)
    work = Path(tempfile.mkdtemp(prefix="movenet-onnx-sig-"))
    try:
        path = work / "model.onnx"
        path.write_bytes(normal.model.SerializeToString())
        io = inspect_signature(read_signature(path), filename)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return normal, io


def open_onnx(data: bytes, filename: str, scheme: str, per_tensor: bool) -> OnnxQuantizer:
    """Normalise a float ONNX file and make its quantizer.

    Raises:
        ModelError: not a float ONNX MoveNet.
    """
    normal, io = _normalised(data, filename)
    return OnnxQuantizer(normal, io, scheme, per_tensor, filename)


def read_onnx_model_graph(data: bytes, filename: str):
    """The :class:`~.graph_blocks.ModelGraph` of a float ONNX file (normalised), without a quantizer."""
    normal, io = _normalised(data, filename)
    return read_onnx_graph(normal.model, io, filename)
