"""The block grouping of a model file, for ``layers --blocks`` and ``quantize``'s report:
which block (backbone stage, FPN level, head, decode tail) each tensor belongs to, and
the SQNR at each block's end from a layer comparison's rows."""

from __future__ import annotations

from pathlib import Path

from .graph_blocks import Block, ModelGraph, group_blocks


def read_model_graph(path: Path, fmt: str) -> ModelGraph:
    """The :class:`~.graph_blocks.ModelGraph` of a float model file (normalised as ``quantize`` does;
    activation tensor names are the file's own).

    Raises:
        ModelError: not a float MoveNet file whose heads or heatmap output can be found.
    """
    data = Path(path).read_bytes()
    if fmt == "onnx":
        from .onnx_driver import read_onnx_model_graph

        return read_onnx_model_graph(data, Path(path).name)
    from .normalise_tflite import normalise_tflite
    from .tflite_graph import read_tflite_graph

    return read_tflite_graph(normalise_tflite(data, Path(path).name).data, Path(path).name)


def tensor_owners(graph: ModelGraph, blocks: list[Block], tail: Block) -> dict[str, str]:
    """Tensor name -> block name, for every op output of the graph."""
    return {t: b.name for b in (*blocks, tail) for i in b.ops for t in graph.ops[i].outputs}


def block_sqnr(rows: list[dict], owners: dict[str, str], names: list[str]) -> dict[str, float | None]:
    """SQNR (dB) at each block's end: its last matched output tensor in A's graph order.

    Only pairs that hold the same value in both graphs count when there are any (in a QDQ
    graph ONNX Runtime drops a Clip/Relu fused into its convolution, and the layer matching
    may then pair a convolution's output with the activation's).

    Args:
        rows: ``layers`` tensor rows (``a_name``, ``b_name``, ``depth``, ``sqnr_db``).
        owners: :func:`tensor_owners`.
        names: the blocks to report, in order.

    Returns:
        block name -> dB, rounded to 0.001 (None: no tensor of the block matched, or identical).
    """
    same = [r for r in rows if r["b_name"] in (r["a_name"], r["a_name"] + "_DequantizeLinear_Output")]
    last: dict[str, dict] = {}
    for row in same or rows:
        name = owners.get(row["a_name"])
        if name is not None and (name not in last or row["depth"] > last[name]["depth"]):
            last[name] = row
    return {n: (None if n not in last or last[n]["sqnr_db"] is None else round(float(last[n]["sqnr_db"]), 3))
            for n in names}


def layer_blocks(path: Path, fmt: str, rows: list[dict]) -> list[dict]:
    """Per block of A's graph: ``name``, ``macs``, ``tensors`` matched and ``sqnr_db`` at its end
    (the ``blocks`` of ``layers --blocks --json``)."""
    graph = read_model_graph(path, fmt)
    blocks, tail = group_blocks(graph)
    owners = tensor_owners(graph, blocks, tail)
    names = [b.name for b in (*blocks, tail)]
    sqnr = block_sqnr(rows, owners, names)
    counts = {n: 0 for n in names}
    for row in rows:
        if row["a_name"] in owners:
            counts[owners[row["a_name"]]] += 1
    return [{"name": b.name, "macs": int(b.macs), "tensors": counts[b.name], "sqnr_db": sqnr[b.name]}
            for b in (*blocks, tail)]


def format_blocks(blocks: list[dict]) -> str:
    """The text table of :func:`layer_blocks`."""
    lines = ["blocks (quantize's grouping of A's graph): SQNR at the block's end",
             f"{'block':24s} {'MMACs':>8s} {'tensors':>8s} {'SQNR':>10s}"]
    for b in blocks:
        db = "-" if b["sqnr_db"] is None else f"{b['sqnr_db']:7.1f} dB"
        lines.append(f"{b['name']:24s} {b['macs'] / 1e6:8.1f} {b['tensors']:8d} {db:>10s}")
    return "\n".join(lines)
