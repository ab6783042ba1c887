"""What a model file declares: :class:`ModelSignature` (inputs, outputs, precision, ops) and
each input or output's :class:`TensorSignature`. Read by :func:`~.graph.read_signature`,
interpreted by :func:`~.model_io.inspect_signature`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TensorSignature:
    """One model input or output as the file declares it.

    Attributes:
        name: tensor (ONNX value) name.
        shape: shape; entries < 0 are dynamic.
        dtype: numpy dtype name (``uint8``, ``int8``, ``float32``...).
        scale, zero_point: affine quantisation, real = (q - zero_point) * scale; scale 0.0
            when the tensor is not quantised (per-channel tensors: the first channel's).
        after_sigmoid: the tensor is a sigmoid's output (possibly behind (de)quantise or
            layout ops): probabilities, not logits.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float = 0.0
    zero_point: int = 0
    after_sigmoid: bool = False

    def __str__(self) -> str:
        dims = "x".join("?" if d < 0 else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"


@dataclass(frozen=True, slots=True)
class ModelSignature:
    """What a model file declares: its inputs, outputs, weight precision and ops.

    Attributes:
        inputs, outputs: the graph's inputs (without ONNX initializers) and outputs.
        precision: ``float32``, ``float16`` or ``int8`` (weights).
        op_counts: (op type, count) pairs, most frequent first (empty when unknown).
        custom_ops: (custom op name, count) pairs: ops the file needs beyond the runtime's
            built-in set (TFLite custom codes such as ``ethos-u``; ONNX ops of other domains).
    """

    inputs: tuple[TensorSignature, ...]
    outputs: tuple[TensorSignature, ...]
    precision: str  # "float32" | "float16" | "int8"
    op_counts: tuple[tuple[str, int], ...] = ()
    custom_ops: tuple[tuple[str, int], ...] = ()
