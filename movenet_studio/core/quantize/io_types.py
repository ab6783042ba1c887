"""``--io float|int8|uint8``: the quantisation of a quantized model's input and outputs.

After the library has quantized the network, :mod:`.io_tflite` / :mod:`.io_onnx` change
the file's input and output types (the library's own I/O stays float). The layouts follow
the deployment files zoos ship (``../shared/models/zoo``, ``movenet_singlepose_lightning_int8_io_int8.tflite``):

* input: ``int8`` = scale 1, zero point -128 (feed pixel - 128); ``uint8`` = scale 1, zero
  point 0 (the pixels themselves). The float model's input is pixels 0..255, so the
  dequantised input is exactly what the float model saw.
* each output: the range recorded for it by the library's calibration (min / max over the
  calibration frames), widened to include 0 (so 0 is exact). Outputs whose values are
  probabilities or normalised coordinates (keypoints ``[1,1,K,3]``, MultiPose ``[1,6,56]``,
  heatmaps after their sigmoid) cover [0, max(1, calibrated max)] with the zero point at
  the type's lowest value: int8 zero point -128, uint8 zero point 0, scale 1/255 (Google's
  int8 file: 0.00400682, i.e. a calibrated maximum of 1.0217). Raw heads (logits,
  regression, offsets) keep their calibrated range: asymmetric, scale (hi - lo) / 255.
"""

from __future__ import annotations

from dataclasses import dataclass

IO_TYPES = ("float", "int8", "uint8")
#: (lowest, highest) value of each integer I/O type.
LIMITS = {"int8": (-128, 127), "uint8": (0, 255)}


@dataclass(frozen=True, slots=True)
class Quantisation:
    """Scale and zero point of one integer tensor: real = (q - zero_point) x scale.

    Attributes:
        dtype: ``int8`` or ``uint8``.
        scale: real units per step (> 0).
        zero_point: the integer that stands for real 0.
    """

    dtype: str
    scale: float
    zero_point: int

    def describe(self) -> str:
        """E.g. ``int8 scale 0.00392157 zero point -128``."""
        return f"{self.dtype} scale {self.scale:.6g} zero point {self.zero_point}"


def input_quantisation(io: str) -> Quantisation:
    """The image input of an ``--io`` type (pixels 0..255 exactly: scale 1).

    Raises:
        ValueError: `io` is not ``int8`` or ``uint8``.
    """
    if io not in LIMITS:
        raise ValueError(f"no integer input for --io {io}")
    return Quantisation(io, 1.0, LIMITS[io][0])  # the lowest value stands for pixel 0


def output_quantisation(io: str, lo: float, hi: float, bounded: bool) -> Quantisation:
    """The quantisation of one output with calibrated range [`lo`, `hi`].

    Args:
        io: ``int8`` or ``uint8``.
        lo, hi: min and max of the output over the calibration frames (real units).
        bounded: the output holds probabilities or normalised coordinates (0..1): the range is
            [0, max(1, hi)] with the zero point at the type's lowest value.

    Returns:
        :class:`Quantisation` (scale > 0; the zero point within the type's range).
    """
    qmin, qmax = LIMITS[io]
    lo, hi = (0.0, max(1.0, float(hi))) if bounded else (min(0.0, float(lo)), max(0.0, float(hi)))
    scale = (hi - lo) / (qmax - qmin)
    if not scale > 0:
        scale = 1.0 / (qmax - qmin)
    zero_point = int(min(qmax, max(qmin, round(qmin - lo / scale))))
    return Quantisation(io, float(scale), zero_point)


def bounded_outputs(model_io) -> dict[str, bool]:
    """Output name -> True when its values are probabilities or normalised coordinates (0..1).

    Args:
        model_io: the float model's :class:`~..models.model_io.ModelIO`.
    """
    out = {}
    for o in model_io.outputs:
        out[o.name] = model_io.kind in ("keypoints", "multipose") or o.activation == "probabilities"
    return out
