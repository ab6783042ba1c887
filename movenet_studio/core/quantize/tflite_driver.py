"""Drive ai-edge-quantizer on a normalised float ``.tflite`` MoveNet.

Schemes (ai-edge-quantizer's names): ``int8`` = ``static_wi8_ai8`` (int8 weights, per
channel unless per-tensor is asked, int8 activations calibrated by min/max), ``int16x8`` =
``static_wi8_ai16`` (int16 activations), ``dynamic`` = ``dynamic_wi8_afp32`` (int8 weights,
activations quantized on the fly by the runtime; no calibration). Ops named in a keep-float
set get the library's ``no_quantize`` algorithm: the library inserts the (de)quantize ops at
their borders itself.

Calibration is done once (the library keeps per-tensor min/max, its "QSVs"); every
candidate of the repair search is quantized from the same calibration result.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from typing import Iterable

import numpy as np

from ..errors import Cancelled
from ..progress import JobControl
from .graph_blocks import ModelGraph
from .normalise_tflite import SIGNATURE_KEY, NormalisedTflite, normalise_tflite
from .tflite_graph import read_tflite_graph

SCHEMES = {"int8": "static_wi8_ai8", "int16x8": "static_wi8_ai16", "dynamic": "dynamic_wi8_afp32"}
#: Frames per calibration call (a progress report and cancellation point between calls).
CHUNK = 20


def library_versions() -> dict[str, str]:
    """The versions of the libraries that make the file: ai-edge-quantizer and ai-edge-litert."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("ai-edge-quantizer", "ai-edge-litert"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


@contextlib.contextmanager
def _quiet():
    """Keep the library's own tqdm bars and numpy cast warnings off the user's terminal
    (progress goes through :class:`~..progress.JobControl` instead)."""
    with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def scope_regex(scopes: Iterable[str]) -> str:
    """A regex matching exactly these op scopes (ai-edge-quantizer matches ``re.search``)."""
    return "^(?:" + "|".join(re.escape(s) for s in sorted(set(scopes))) + ")$"


class TfliteQuantizer:
    """Calibrate once, then quantize with any set of ops kept float.

    Args:
        model: the normalised float model.
        scheme: ``int8``, ``int16x8`` or ``dynamic``.
        per_tensor: per-tensor weight scales instead of per-channel.

    Attributes:
        float_model: the normalised float flatbuffer (the reference the quantized models are measured against).
        graph: its graph (:class:`~.graph_blocks.ModelGraph`).
        suffix: ``.tflite``.
        notes: what normalisation changed, for the report.
    """

    suffix = ".tflite"
    library = "ai-edge-quantizer"

    def __init__(self, model: NormalisedTflite, scheme: str = "int8", per_tensor: bool = False):
        from ai_edge_quantizer import quantizer, qtyping

        self.model = model
        self.float_model = model.data
        self.graph: ModelGraph = read_tflite_graph(model.data)
        self.notes = model.notes()
        self.scheme = scheme
        self._quantizer_module = quantizer
        self._granularity = (qtyping.QuantGranularity.TENSORWISE if per_tensor
                             else qtyping.QuantGranularity.CHANNELWISE)
        self._calibration = None

    def _quantizer(self, float_scopes: Iterable[str] = ()):
        q = self._quantizer_module.Quantizer(bytearray(self.model.data))
        if self.scheme == "dynamic":
            q.add_dynamic_config(".*", "*", 8, self._granularity)
        else:
            q.add_static_config(".*", "*", 16 if self.scheme == "int16x8" else 8, 8, self._granularity)
        scopes = list(float_scopes)
        if scopes:
            q.update_quantization_recipe(regex=scope_regex(scopes), operation_name="*", algorithm_key="no_quantize")
        return q

    @staticmethod
    def library_versions() -> dict[str, str]:
        """See :func:`library_versions`."""
        return library_versions()

    def close(self) -> None:
        """Nothing to release (the calibration result lives in memory)."""

    @property
    def needs_calibration(self) -> bool:
        return self.scheme != "dynamic"

    def calibrate(self, tensors: list[np.ndarray], control: JobControl | None = None, *, done: int = 0,
                  total: int | None = None) -> None:
        """Record activation ranges over `tensors` (the model's input tensors, e.g. uint8 [1,H,W,3]).

        Raises:
            Cancelled: between chunks of :data:`CHUNK` frames.
        """
        if not self.needs_calibration:
            return
        q = self._quantizer()
        name = self.model.input_names[0]
        result = None
        total = total if total is not None else len(tensors)
        for start in range(0, len(tensors), CHUNK):
            chunk = [{name: t} for t in tensors[start:start + CHUNK]]
            with _quiet():
                result = q.calibrate({SIGNATURE_KEY: chunk}, previous_calibration_result=result, num_threads=2)
            if control is not None:
                control.report(done + min(len(tensors), start + CHUNK), total, "calibrating (ai-edge-quantizer)")
        self._calibration = _pixels_full_range(result, self.graph)

    def quantize(self, float_scopes: Iterable[str] = (), control: JobControl | None = None) -> bytes:
        """The quantized flatbuffer with the ops of `float_scopes` kept float.

        Raises:
            Cancelled: the job was cancelled before the library started.
            RuntimeError: :meth:`calibrate` was not called for a static scheme.
        """
        if control is not None and control.cancelled:
            raise Cancelled("cancelled")
        if self.needs_calibration and self._calibration is None:
            raise RuntimeError("calibrate() first")
        q = self._quantizer(float_scopes)
        with _quiet():
            result = q.quantize(self._calibration, enable_progress_bar=False, enable_progress_report=False)
        return bytes(result.quantized_model)

    def output_ranges(self) -> dict[str, tuple[float, float]]:
        """Tensor name -> (min, max) the calibration recorded (the library's QSVs); empty before
        :meth:`calibrate` or for the dynamic scheme."""
        return {name: (float(np.min(qsv["min"])), float(np.max(qsv["max"])))
                for name, qsv in (self._calibration or {}).items() if "min" in qsv and "max" in qsv}

    def set_io(self, data: bytes, io: str, bounded: dict[str, bool]) -> bytes:
        """`data` (a quantized model from :meth:`quantize`) with int8 / uint8 input and outputs
        (:func:`~.io_tflite.set_tflite_io`)."""
        from .io_tflite import set_tflite_io

        return set_tflite_io(data, io, self.output_ranges(), bounded)


def pixel_tensor(graph: ModelGraph) -> str:
    """The float tensor holding the input pixels: the graph input itself (the one activation no
    op computes), or the end of the ``CAST`` chain that re-types a uint8 input (uint8 -> int32
    -> float32 in Google's files)."""
    readers: dict[str, list] = {}
    for op in graph.ops:
        for t in op.activations:
            readers.setdefault(t, []).append(op)
    produced = {t for op in graph.ops for t in op.outputs}
    name = next(t for op in graph.ops for t in op.activations if t not in produced)
    while len(readers.get(name, ())) == 1 and readers[name][0].op_type == "CAST":
        name = readers[name][0].outputs[0]
    return name


def _pixels_full_range(qsvs: dict, graph: ModelGraph) -> dict:
    """The calibration result with the input pixels' range set to 0..255.

    The library records the range the calibration frames reached (e.g. 0..243.7 on a dim
    video), so its input scale (0.956) both rounds pixel values and clips brighter frames.
    Pixels 0..255 quantize losslessly with scale 1, zero point -128 (int8; what Google's
    int8 files use), and an int8 input (``--io int8``) then needs no requantization.
    """
    name = pixel_tensor(graph)
    if name in qsvs and "min" in qsvs[name] and "max" in qsvs[name]:
        qsv = dict(qsvs[name])
        qsv["min"] = np.zeros_like(np.asarray(qsv["min"]))
        qsv["max"] = np.full_like(np.asarray(qsv["max"]), 255.0)
        qsvs = {**qsvs, name: qsv}
    return qsvs


def open_tflite(data: bytes, filename: str, scheme: str, per_tensor: bool) -> TfliteQuantizer:
    """Normalise a float ``.tflite`` file (:func:`~.normalise_tflite.normalise_tflite`) and
    make its quantizer.

    Raises:
        ModelError: not a float single-subgraph TFLite MoveNet.
    """
    return TfliteQuantizer(normalise_tflite(data, filename), scheme, per_tensor)
