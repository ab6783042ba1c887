"""Reports of a layer comparison: the text summary, and per-node SQNR for Google's Model Explorer.

Model Explorer (``pip install ai-edge-model-explorer``, an optional extra) shows a graph and
colours its nodes by *node data*: values keyed by a node's output tensor name. The file
:func:`write_node_data` writes is a ``GraphNodeData`` of its ``node_data_builder``, keyed by A's
tensor names (the names Model Explorer's TFLite adapter shows as ``tensor_name``), so::

    model-explorer A.tflite --node_data_paths=nodes.json

colours A's graph by how far B is from it, red below the threshold.
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_output
from ..errors import StudioError
from .matching import layer_label, leading_op_path

#: Colours of the node data thresholds: below the threshold, up to 10 dB above it, above that.
NODE_COLOURS = ("#d62728", "#ff9f1a", "#2ca02c")
#: SQNR given to identical tensors in node data (Model Explorer needs a number).
IDENTICAL_NODE_DB = 200.0


def _short(name: str, width: int = 64) -> str:
    path = leading_op_path(name)
    return path if len(path) <= width else "..." + path[-(width - 3):]


def _db(value: float | None) -> str:
    return "identical" if value is None else f"{value:7.1f} dB"


def format_report(document: dict, worst: int = 10) -> str:
    """The human-readable summary of a ``layers`` JSON document: who ran, counts, the first
    divergence, the `worst` tensors by SQNR, and the keypoint error."""
    a, b = document["a"], document["b"]
    rows = document["tensors"]
    lines = [f"A = {a['model']} ({a['backend']}), B = {b['model']} ({b['backend']}); {document['frames']} frames",
             f"{len(rows)} tensor pairs matched; unmatched: A {document['unmatched_a']}, B {document['unmatched_b']}"]
    first = document["first_divergence"]
    threshold = document["threshold_db"]
    if first is None:
        lines.append(f"no divergence: every matched tensor stays at or above {threshold:g} dB SQNR")
    else:
        lines.append(f"first divergence (SQNR < {threshold:g} dB) at depth {first['depth']}, "
                     f"{layer_label(first['a_name'])}: {first['sqnr_db']:.1f} dB")
        lines.append(f"  A: {_short(first['a_name'], 110)}")
    finite = [r for r in rows if r["sqnr_db"] is not None]
    if finite:
        lines.append("")
        lines.append(f"worst {min(worst, len(finite))} tensors by SQNR:")
        lines.append(f"{'depth':>5} {'SQNR':>10} {'cosine':>8} {'rel RMSE':>9}  {'op':<18} tensor (A)")
        for row in sorted(finite, key=lambda r: r["sqnr_db"])[:worst]:
            rel = "-" if row["rel_rmse"] is None else f"{row['rel_rmse']:.3f}"
            cosine = "-" if row["cosine"] is None else f"{row['cosine']:.4f}"
            sqnr = "NaN/Inf" if row.get("non_finite") else _db(row["sqnr_db"])
            lines.append(f"{row['depth']:>5} {sqnr:>10} {cosine:>8} {rel:>9}  "
                         f"{row['op']:<18} {_short(row['a_name'])}")
    keypoints = document["keypoints_px"]
    if b.get("note"):
        lines.append(f"note: {b['note']}")
    if keypoints["mean"] is not None:
        lines.append("")
        lines.append(f"keypoints B vs A: mean {keypoints['mean']:.2f} px, p95 {keypoints['p95']:.2f} px, "
                     f"max {keypoints['max']:.2f} px (frame pixels, before smoothing)")
    if document.get("capture_ms_per_frame") is not None:
        lines.append(f"capture of both models and the figures: {document['capture_ms_per_frame']:.0f} ms per frame")
    return "\n".join(lines)


def node_data(rows: list[dict], threshold_db: float, name: str = "SQNR dB (B vs A)"):
    """Model Explorer ``GraphNodeData``: per A tensor name, the pair's SQNR in dB.

    Identical pairs get :data:`IDENTICAL_NODE_DB`. Thresholds colour nodes red below
    `threshold_db`, orange up to 10 dB above it, green above.

    Raises:
        StudioError: the ``ai-edge-model-explorer`` package is not installed.
    """
    try:
        from model_explorer import node_data_builder as ndb
    except ImportError:
        raise StudioError("--node-data needs Google's Model Explorer: pip install ai-edge-model-explorer") from None
    results = {row["a_name"]: ndb.NodeDataResult(value=IDENTICAL_NODE_DB if row["sqnr_db"] is None
                                                 else round(float(row["sqnr_db"]), 3))
               for row in rows}
    thresholds = [ndb.ThresholdItem(value=threshold_db, bgColor=NODE_COLOURS[0]),
                  ndb.ThresholdItem(value=threshold_db + 10.0, bgColor=NODE_COLOURS[1]),
                  ndb.ThresholdItem(value=IDENTICAL_NODE_DB, bgColor=NODE_COLOURS[2])]
    return ndb.GraphNodeData(results=results, name=name, thresholds=thresholds)


def write_node_data(path: Path, rows: list[dict], threshold_db: float) -> None:
    """Write :func:`node_data` to `path` as JSON (atomically).

    Raises:
        StudioError: Model Explorer is not installed.
        OSError: the file cannot be written.
    """
    data = node_data(rows, threshold_db)
    with atomic_output(Path(path)) as handle:
        handle.write(data.to_json_string(indent=None))
