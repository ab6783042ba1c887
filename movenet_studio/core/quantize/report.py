"""The quantize report: per-block SQNR (from the ``layers`` machinery) beside keypoint impact,
and the ``--report`` JSON document.

Report format (``docs/reference/schemas/quantize-report.schema.json``)::

    {"model_in": str, "model_out": str, "backend": "tflite"|"onnx", "scheme": str,
     "calibration": {"frames": int, "sources": [str]}, "holdout": {"frames": int, "sources": [str]},
     "full_int8": {"keypoints_px": {"mean": float, "p95": float}, "oks": float},
     "result": {"keypoints_px": {"mean": float, "p95": float}, "oks": float,
                "int8_mac_fraction": float, "kept_float": [str]},
     "blocks": [{"name": str, "macs": int, "int8": bool, "sqnr_db": float|null,
                 "keypoints_px_mean_if_float": float, "oks_if_float": float}],
     "seconds": float}

``full_int8`` is the model with no block kept float (the decode tail is float in every
model). A block's SQNR is that of its last output tensor the layer matching pairs, float
model against the full-int8 model, pooled over a few held-out frames: the error
accumulated up to the block's end, as ``layers`` shows it. Only pairs that are the same
value in both graphs count (in a QDQ graph ONNX Runtime drops a Clip/Relu fused into its
convolution, and the layer matching may then pair a convolution's output with the
activation's). Extra keys: ``target_px``, ``io`` (the file's input and output types, scales and
zero points: ``{"type": "float"|"int8"|"uint8", "input": {name, dtype, scale, zero_point},
"outputs": [...]}``),
``holdout.split_from_calibration``, ``holdout.same_as_calibration`` (single images: measured on
the calibration frames themselves).
"""

from __future__ import annotations

from pathlib import Path

from ..layers.runner import LayerCapturePair
from .frames import ModelInput
from .graph_blocks import Block, ModelGraph
from .model_blocks import block_sqnr


def measure_block_sqnr(float_path: Path, quantized_path: Path, fmt: str, frames: list[ModelInput],
                       blocks: list[Block], graph: ModelGraph) -> dict[str, float | None]:
    """SQNR in dB of each block's last matched output tensor, quantized against float, pooled
    over `frames` (see :func:`~.model_blocks.block_sqnr`).

    Returns:
        block name -> dB (None when no tensor of the block was matched, or the tensors are identical).
    """
    pair = LayerCapturePair(float_path, fmt, quantized_path, fmt)
    try:
        for item in frames:
            pair.run(item.image)
        rows = pair.rows()
    finally:
        pair.close()
    owners = {t: b.name for b in blocks for i in b.ops for t in graph.ops[i].outputs}
    return block_sqnr(rows, owners, [b.name for b in blocks])


def report_document(request, spec, calibration: list[ModelInput], holdout: list[ModelInput], result,
                    blocks: list[Block], sqnr: dict, fraction: float, seconds: float, *, split: bool,
                    same: bool = False, io: dict | None = None) -> dict:
    """The ``--report`` JSON document (format in the module docstring)."""
    kept = set(result.kept_float)
    full = result.full.to_json()
    rows = []
    for b in blocks:
        single = result.single.get(b.name)
        rows.append({"name": b.name, "macs": int(b.macs), "int8": b.name not in kept, "sqnr_db": sqnr.get(b.name),
                     "keypoints_px_mean_if_float": round(single.mean_px, 4) if single else full["keypoints_px"]["mean"],
                     "oks_if_float": round(single.oks, 5) if single else full["oks"]})
    final = result.result.to_json()
    return {
        "model_in": str(spec.path), "model_out": str(request.out), "backend": spec.format, "scheme": request.scheme,
        "calibration": {"frames": len(calibration), "sources": list(dict.fromkeys(i.source for i in calibration))},
        "holdout": {"frames": len(holdout), "sources": list(dict.fromkeys(i.source for i in holdout)),
                    "split_from_calibration": split, "same_as_calibration": same},
        "full_int8": full,
        "result": {**final, "int8_mac_fraction": round(fraction, 4), "kept_float": list(result.kept_float)},
        "blocks": rows,
        "target_px": request.target_px,
        **({"io": io} if io is not None else {}),
        "seconds": round(seconds, 2),
    }
