"""Benchmarks: model load time, raw inference latency, pipeline latency per stage, throughput,
and where an ONNX Runtime model spends its time per operator.

- :mod:`.results`: what is measured (configurations, latency statistics, results, the report
  and its JSON form);
- :mod:`.machine`: the machine and runtime description and memory figures;
- :mod:`.runner`: the method (:func:`run_bench`);
- :mod:`.per_op`: ONNX Runtime session profiling per node and per op type;
- :mod:`.report`: the plain-text table.

Nothing here imports Qt.
"""

from .machine import cpu_model, machine_info
from .per_op import OpTime, profile_onnx
from .report import format_report
from .results import (CANCELLED, FAILED, JSON_NOTES, OK, SKIPPED, BenchConfig, BenchReport, ConfigResult,
                      LatencyStats, make_configs)
from .runner import BLOCKS, SyntheticSource, run_bench

__all__ = [
    "BLOCKS", "CANCELLED", "FAILED", "JSON_NOTES", "OK", "SKIPPED", "BenchConfig", "BenchReport", "ConfigResult",
    "LatencyStats", "OpTime", "SyntheticSource", "cpu_model", "format_report", "machine_info", "make_configs",
    "profile_onnx", "run_bench",
]
