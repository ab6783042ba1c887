"""The repair search: which blocks to keep float so the quantized model meets a keypoint target.

Given ``evaluate(kept_float) -> Impact`` (quantize with those blocks float, measure on the
held-out frames), :func:`search`

1. measures the full-int8 model (nothing kept float) and, for each block, the model with
   that block alone kept float (the block's *impact*: pixels saved by keeping it float);
2. when a target is given, keeps blocks float greedily, most pixels saved first, each
   added only when it lowers the combined model's mean error, until the mean error is at
   most the target or no block is left that helps;
3. once the target is met, tries to quantize each kept block again, the most MACs first,
   and keeps it quantized when the target still holds (blocks that helped only a little on
   the way may no longer be needed: more of the model stays int8).

The search is greedy on measured keypoint error, in the spirit of NNCF's accuracy-controlled
quantization (which reverts layers by a user metric), with a pose metric and whole
MoveNet blocks instead of single layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .impact import Impact


@dataclass
class SearchResult:
    """What the search measured and chose.

    Attributes:
        full: the model with no block kept float.
        single: block name -> the model with that block alone kept float (empty when no
            block was measured).
        kept_float: blocks chosen, in the order they were added.
        result: the chosen model's figures.
        met: True when a target was given and met.
        evaluations: models quantized and measured.
    """

    full: Impact
    single: dict[str, Impact] = field(default_factory=dict)
    kept_float: list[str] = field(default_factory=list)
    result: Impact | None = None
    met: bool = False
    evaluations: int = 0


def ranking(result: SearchResult) -> list[str]:
    """Blocks by pixels saved when kept float alone, most first."""
    return sorted(result.single, key=lambda name: (result.single[name].mean_px, name))


def search(blocks: list[str], evaluate: Callable[[frozenset[str]], Impact], target_px: float | None,
           *, measure_blocks: bool = True, macs: dict[str, int] | None = None) -> SearchResult:
    """Measure each block's impact and, with a target, keep blocks float greedily.

    Args:
        blocks: candidate block names.
        evaluate: quantizes with the given blocks kept float and measures it (may raise
            :class:`~..errors.Cancelled`).
        target_px: the mean keypoint error to reach, frame pixels; None: no greedy step.
        measure_blocks: measure every block alone (needed for the greedy step and the
            report's block table).
        macs: block name -> multiply-accumulates, the order of the pruning step (default: all equal).
    """
    result = SearchResult(evaluate(frozenset()))
    result.evaluations = 1
    result.result = result.full
    if measure_blocks:
        for name in blocks:
            result.single[name] = evaluate(frozenset({name}))
            result.evaluations += 1
    if target_px is None:
        return result
    current, kept = result.full, []
    for name in ranking(result):
        if current.mean_px <= target_px:
            break
        if result.single[name].mean_px >= result.full.mean_px:
            continue  # keeping it float alone does not help: neither will it in combination, as measured
        trial = evaluate(frozenset(kept + [name]))
        result.evaluations += 1
        if trial.mean_px < current.mean_px:
            kept.append(name)
            current = trial
    if current.mean_px <= target_px and len(kept) > 1:
        for name in sorted(kept, key=lambda n: -(macs or {}).get(n, 0)):
            trial_set = [k for k in kept if k != name]
            trial = evaluate(frozenset(trial_set))
            result.evaluations += 1
            if trial.mean_px <= target_px:
                kept, current = trial_set, trial
    result.kept_float, result.result = kept, current
    result.met = current.mean_px <= target_px
    return result
