"""Where an ONNX Runtime model spends its time: session profiling per node and per op type.

ONNX Runtime's profiler (``SessionOptions.enable_profiling``) writes a Chrome-trace JSON
with one ``Session`` event ``model_run`` per run and, inside it, one ``Node`` event
``<node name>_kernel_time`` per node executed (``dur`` in microseconds, ``args.op_name`` the
op type). :func:`profile_onnx` opens a second, profiling session on the same file with the
same threads and execution provider as the benchmarked one, runs the fixed model input
``warmup`` times untimed and ``runs`` times profiled, and averages each node over the
profiled runs. The profiling session runs the model file itself (without the head outputs
that ``--heads`` adds). Profiling adds a little overhead per node, so the per-node sum is
close to, not equal to, the plain session's latency.

TFLite: the LiteRT / tflite-runtime Python interpreter exposes no per-op profile (LiteRT's
``benchmark_model`` tool has ``--enable_op_profiling``, the Python API has nothing
equivalent), so TFLite configurations have none.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..runtimes import ort

__all__ = ["OpTime", "PerOpProfile", "TFLITE_NOTE", "profile_onnx"]

#: Why TFLite configurations have no per-op profile.
TFLITE_NOTE = "the TFLite Python runtime exposes no per-op profile"


@dataclass(frozen=True, slots=True)
class OpTime:
    """Mean time of one node (or one op type) per run.

    Attributes:
        name: node name (for an op-type row: the op type).
        op_type: ONNX op type, e.g. ``Conv``.
        mean_ms: mean kernel time per run, ms.
        share: fraction (0..1) of the summed kernel time of all nodes.
        count: nodes of this op type (1 for a node row).
    """

    name: str
    op_type: str
    mean_ms: float
    share: float
    count: int = 1

    def to_json(self) -> dict:
        """``{"name", "op_type", "mean_ms", "share"}`` (op-type rows add ``count``)."""
        row = {"name": self.name, "op_type": self.op_type, "mean_ms": round(self.mean_ms, 5),
               "share": round(self.share, 5)}
        return row if self.name != self.op_type else {**row, "count": self.count}


@dataclass(frozen=True, slots=True)
class PerOpProfile:
    """A per-op profile of one configuration.

    Attributes:
        nodes: one row per node, slowest first.
        op_types: one row per op type (summed over its nodes), slowest first.
        runs: profiled runs averaged.
        run_mean_ms: mean wall time of a profiled run (``model_run``), ms.
        provider: execution provider of the profiling session.
    """

    nodes: tuple[OpTime, ...]
    op_types: tuple[OpTime, ...]
    runs: int
    run_mean_ms: float
    provider: str

    @property
    def node_sum_ms(self) -> float:
        """Summed mean kernel time of all nodes per run, ms."""
        return float(sum(n.mean_ms for n in self.nodes))


def profile_onnx(model_path: str | Path, model_input: np.ndarray, *, threads: int, provider: str = "CPUExecutionProvider",
                 runs: int = 50, warmup: int = 5) -> PerOpProfile:
    """Profile `model_path` per node with ONNX Runtime's session profiler (see the module docstring).

    Args:
        model_path: the ``.onnx`` file.
        model_input: uint8 [h, w, 3] RGB model input (cast to the graph's input dtype, batch added).
        threads: ``intra_op_num_threads``, as the benchmarked session.
        provider: execution provider (CPU is added as the fallback).
        runs: profiled runs (>= 1).
        warmup: untimed runs first (lazy set-up happens there).

    Returns:
        A :class:`PerOpProfile`.

    Raises:
        ValueError: runs < 1, or the trace holds no run.
        BackendError: ONNX Runtime is not installed.
        Exception: whatever ONNX Runtime raises for a model it cannot load or run.
    """
    if runs < 1:
        raise ValueError("runs must be >= 1")
    with tempfile.TemporaryDirectory(prefix="movenet-studio-ort-profile-") as folder:
        options = ort.session_options(threads, profile_prefix=str(Path(folder) / "profile"))
        providers = [provider] + ([ort.CPU] if provider != ort.CPU else [])
        session = ort.create_session(str(model_path), options, providers)
        image = session.get_inputs()[0]
        feed = {image.name: model_input[np.newaxis].astype(ort.INPUT_DTYPES.get(image.type, np.float32), copy=False)}
        for _ in range(warmup + runs):
            session.run(None, feed)
        trace = Path(session.end_profiling())
        events = json.loads(trace.read_text(encoding="utf-8"))
        used = session.get_providers()[0]
    return summarise_trace(events, skip_runs=warmup, provider=used)


def summarise_trace(events: list[dict], *, skip_runs: int = 0, provider: str = "") -> PerOpProfile:
    """Per-node and per-op-type means from an ONNX Runtime profiler trace.

    Args:
        events: the trace's JSON list (Chrome trace events, ``dur``/``ts`` in microseconds).
        skip_runs: leave out the first ``skip_runs`` ``model_run`` events and their nodes.
        provider: recorded in the result.

    Raises:
        ValueError: the trace holds no run after the skipped ones.
    """
    windows = sorted((e["ts"], e["ts"] + e["dur"], e["dur"]) for e in events
                     if e.get("cat") == "Session" and e.get("name") == "model_run")[skip_runs:]
    if not windows:
        raise ValueError("the ONNX Runtime profile holds no run")
    starts = np.array([w[0] for w in windows])
    ends = np.array([w[1] for w in windows])
    totals: dict[str, float] = {}
    types: dict[str, str] = {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        k = int(np.searchsorted(starts, e["ts"], side="right")) - 1
        if k < 0 or e["ts"] > ends[k]:
            continue  # a warm-up run's node
        name = e["name"][: -len("_kernel_time")]
        totals[name] = totals.get(name, 0.0) + float(e["dur"])
        types[name] = e.get("args", {}).get("op_name", "?")
    runs = len(windows)
    grand = sum(totals.values()) or 1.0
    nodes = sorted((OpTime(n, types[n], t / runs / 1000, t / grand) for n, t in totals.items()),
                   key=lambda o: -o.mean_ms)
    by_type: dict[str, list[float]] = {}
    for n, t in totals.items():
        by_type.setdefault(types[n], []).append(t)
    op_types = sorted((OpTime(op, op, sum(ts) / runs / 1000, sum(ts) / grand, len(ts)) for op, ts in by_type.items()),
                      key=lambda o: -o.mean_ms)
    run_mean = float(np.mean([w[2] for w in windows])) / 1000
    return PerOpProfile(tuple(nodes), tuple(op_types), runs, run_mean, provider)
