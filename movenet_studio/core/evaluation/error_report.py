"""The error atlas and A -> B transitions as plain text (what ``eval --errors`` prints)."""

from __future__ import annotations

from .error_atlas import CLASSES, ERROR_CLASSES, ErrorAtlas
from .transitions import TRANSITION_CLASSES, Move, class_totals


def format_errors(atlas: ErrorAtlas) -> str:
    """Counts per class and keypoint, and the AP each class costs."""
    totals = atlas.totals()
    header = f"{'keypoint':<16}" + "".join(f"{c:>11}" for c in CLASSES) + f"{'':>3}" + "".join(
        f"{'AP ' + c[:4]:>10}" for c in ERROR_CLASSES)
    lines = [f"error atlas over {len(atlas.pairs)} pairs (Ronchi & Perona, ICCV 2017; good: ks >= 0.85 on its own, "
             "jitter 0.5..0.85, inversion/swap: ks >= 0.5 best on the mirrored own / another person, "
             "miss: < 0.5 everywhere)",
             header]
    for name, counts in atlas.per_keypoint().items():
        costs = atlas.ap_cost_per_keypoint[name]
        lines.append(f"{name:<16}" + "".join(f"{counts[c]:>11d}" for c in CLASSES) + f"{'':>3}"
                     + "".join(f"{costs[c]:>+10.3f}" for c in ERROR_CLASSES))
    lines.append(f"{'all':<16}" + "".join(f"{totals[c]:>11d}" for c in CLASSES))
    lines.append(f"AP {atlas.ap:.3f}; AP gained by correcting each class: "
                 + ", ".join(f"{c} {v:+.3f}" for c, v in atlas.ap_cost.items()))
    if atlas.background is not None:
        lines.append(f"background: {atlas.background['false_positives']} false positives, "
                     f"{atlas.background['false_negatives']} false negatives (unmatched at OKS 0.1)")
    return "\n".join(lines)


def format_moves(moves: list[Move], label: str) -> str:
    """The largest A -> B moves, one a line."""
    if not moves:
        return f"{label}: no keypoint changed class"
    return "\n".join(m.describe(label) for m in moves)


def format_transition_totals(matrix: dict, label_a: str, label_b: str) -> str:
    """The A -> B matrix summed over keypoints, as a table (rows: class under A)."""
    totals = class_totals(matrix)
    used = [c for c in TRANSITION_CLASSES if any(totals[c].values()) or any(totals[a][c] for a in totals)]
    lines = [f"keypoints by class, {label_a} (rows) -> {label_b} (columns):",
             f"{'':<12}" + "".join(f"{c:>11}" for c in used)]
    for a in used:
        lines.append(f"{a:<12}" + "".join(f"{totals[a][b]:>11d}" for b in used))
    return "\n".join(lines)
