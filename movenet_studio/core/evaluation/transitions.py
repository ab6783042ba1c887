"""Where a second model moves each keypoint's error class: A -> B transition counts.

Both evaluations' error atlases (:mod:`.error_atlas`) are lined up by ground-truth
annotation: a person paired under both contributes, per keypoint, one count to
``[keypoint][class under A][class under B]``. A person paired under only one of them (multi
protocol: matched by COCOeval for one model only) counts with the class
:data:`UNMATCHED` on the other side.
"""

from __future__ import annotations

from dataclasses import dataclass

from .error_atlas import CLASSES, ErrorAtlas

#: The class of a keypoint whose person has no paired detection under one of the two.
UNMATCHED = "unmatched"
#: Classes of a transition matrix's rows and columns.
TRANSITION_CLASSES = CLASSES + (UNMATCHED,)


def transitions(a: ErrorAtlas, b: ErrorAtlas) -> dict[str, dict[str, dict[str, int]]]:
    """Per keypoint, class under `a` -> class under `b` -> count (every class present, zeros included).

    Raises:
        ValueError: the two atlases have different keypoints.
    """
    if a.keypoint_names != b.keypoint_names:
        raise ValueError("A and B have different keypoints; transitions need the same keypoint set")
    names = a.keypoint_names
    out = {name: {ca: {cb: 0 for cb in TRANSITION_CLASSES} for ca in TRANSITION_CLASSES} for name in names}
    classes_a = {p.gt["id"]: e.classes for p, e in zip(a.pairs, a.errors)}
    classes_b = {p.gt["id"]: e.classes for p, e in zip(b.pairs, b.errors)}
    missing = [UNMATCHED] * len(names)
    for gt_id in classes_a.keys() | classes_b.keys():
        row_a, row_b = classes_a.get(gt_id, missing), classes_b.get(gt_id, missing)
        for name, ca, cb in zip(names, row_a, row_b):
            if ca == UNMATCHED and cb == "unlabelled" or cb == UNMATCHED and ca == "unlabelled":
                continue  # a keypoint nobody labelled is no transition
            out[name][ca][cb] += 1
    return out


@dataclass(frozen=True, slots=True)
class Move:
    """count keypoints of `keypoint` went from class `source` under A to `target` under B."""

    keypoint: str
    source: str
    target: str
    count: int

    def describe(self, label: str) -> str:
        """``int8: 37 left wrists good -> inversion``."""
        noun = self.keypoint.replace("_", " ") + ("s" if self.count != 1 else "")
        return f"{label}: {self.count} {noun} {self.source} -> {self.target}"

    def to_json(self) -> dict:
        return {"keypoint": self.keypoint, "from": self.source, "to": self.target, "count": self.count}


def largest_moves(matrix: dict[str, dict[str, dict[str, int]]], limit: int = 10) -> list[Move]:
    """The `limit` largest off-diagonal transitions, largest first (ties: keypoint order, then class order)."""
    moves = [Move(name, ca, cb, n) for name, rows in matrix.items() for ca, row in rows.items()
             for cb, n in row.items() if ca != cb and n > 0]
    return sorted(moves, key=lambda m: -m.count)[:limit]


def class_totals(matrix: dict[str, dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    """The matrix summed over keypoints: class under A -> class under B -> count."""
    out = {ca: {cb: 0 for cb in TRANSITION_CLASSES} for ca in TRANSITION_CLASSES}
    for rows in matrix.values():
        for ca, row in rows.items():
            for cb, n in row.items():
                out[ca][cb] += n
    return out
