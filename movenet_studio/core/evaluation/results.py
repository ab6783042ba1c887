"""What a COCO keypoint evaluation returns: :class:`EvalResult` (AP/AR, the per-keypoint
breakdown, counts, ``to_json``), its plain-text form (:func:`format_result`), the errors and
and its errors (progress and cancel: :mod:`movenet_studio.core.progress`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ..errors import StudioError

class EvaluationError(StudioError):
    """The annotation file or image folder cannot be used for a COCO keypoint evaluation."""


@dataclass(frozen=True, slots=True)
class KeypointStats:
    """One keypoint's breakdown (see the module docstring).

    Attributes:
        count: labelled instances of this keypoint over the evaluated pairs.
        mean_similarity: mean OKS similarity term, 0..1 (None when count is 0).
        accuracy: fraction of instances with similarity >= :data:`ACCURACY_SIMILARITY` (None when count is 0).
    """

    count: int
    mean_similarity: float | None
    accuracy: float | None


@dataclass(slots=True)
class EvalResult:
    """A COCO keypoint evaluation; AP/AR figures are in 0..1 (None when COCOeval reports -1).

    Attributes:
        ap, ap50, ap75, ap_medium, ap_large, ar, ar50, ar75, ar_medium, ar_large:
            ``COCOeval.stats[0..9]`` for iouType ``keypoints``.
        per_keypoint: keypoint name -> :class:`KeypointStats`, in the model's keypoint order.
        mean_oks: ST's single-pose metric: mean over the pairs of each pair's OKS (0..1;
            :func:`~.keypoint_sets.mean_oks`), None without pairs.
        keypoint_set: ``coco17``, or ``st13`` when a 13-keypoint model was scored against
            the annotations mapped to ST's 13 (:mod:`.keypoint_sets`).
        protocol: ``single`` or ``multi``.
        model: model description (:func:`~movenet_studio.core.models.catalog.model_to_json`), ``backend``, ``device``.
        images: images read; persons: annotations evaluated (single: the selected persons;
            multi: non-crowd annotations with at least one labelled keypoint);
            detections: predictions scored; pairs: pairs in the per-keypoint breakdown.
        elapsed_s: wall time of the whole evaluation, s.
        preprocess: the preprocessing profile given (``{"channels", "resize", "interpolation"}``),
            None for MoveNet's own; input_range: the float input range given, None for the default.
        errors: the error atlas (:class:`~.error_atlas.ErrorAtlas`) when asked for, else None.
        unassigned: predictions of a results file not assigned to any evaluated person
            (single protocol, :mod:`.results_file`).
    """

    ap: float | None
    ap50: float | None
    ap75: float | None
    ap_medium: float | None
    ap_large: float | None
    ar: float | None
    ar50: float | None
    ar75: float | None
    ar_medium: float | None
    ar_large: float | None
    per_keypoint: dict[str, KeypointStats]
    mean_oks: float | None = None
    keypoint_set: str = "coco17"
    protocol: str = ""
    model: dict = field(default_factory=dict)
    backend: str = ""
    device: str = ""
    images: int = 0
    persons: int = 0
    detections: int = 0
    pairs: int = 0
    elapsed_s: float = 0.0
    annotations: str = ""
    preprocess: dict | None = None
    input_range: list[float] | None = None
    errors: object | None = None
    unassigned: int = 0

    def to_json(self) -> dict:
        """The ``eval --json`` document: top-level AP, AP50, AP75, AR (0..1) and the rest."""

        def r(v):
            return None if v is None else round(float(v), 6)

        document = {
            "AP": r(self.ap), "AP50": r(self.ap50), "AP75": r(self.ap75), "AR": r(self.ar),
            "mean_OKS": r(self.mean_oks), "keypoint_set": self.keypoint_set,
            "AP_medium": r(self.ap_medium), "AP_large": r(self.ap_large),
            "AR50": r(self.ar50), "AR75": r(self.ar75), "AR_medium": r(self.ar_medium), "AR_large": r(self.ar_large),
            "protocol": self.protocol,
            "annotations": self.annotations,
            "model": self.model,
            "backend": {"name": self.backend, "device": self.device},
            "preprocess": self.preprocess,
            "input_range": self.input_range,
            "counts": {"images": self.images, "persons": self.persons, "detections": self.detections,
                       "pairs": self.pairs},
            "per_keypoint": {name: {"count": s.count, "mean_similarity": r(s.mean_similarity),
                                    "accuracy": r(s.accuracy)} for name, s in self.per_keypoint.items()},
            "elapsed_s": round(self.elapsed_s, 3),
            "definitions": JSON_NOTES,
        }
        if self.unassigned:
            document["counts"]["unassigned"] = self.unassigned
        if self.errors is not None:
            document["errors"] = self.errors.to_json()
        return document


#: Definitions stored in every JSON document.
JSON_NOTES = {
    "scoring": "pycocotools COCOeval iouType=keypoints; AP = mean over OKS 0.50:0.05:0.95, maxDets 20, area all",
    "single": "one square crop per non-crowd person with >= 5 labelled keypoints (centred on the box, side "
              "1.25 x max(w, h), black outside the image); one pseudo-image per person so each prediction "
              "is matched only against its own annotation",
    "multi": "MultiPose on the whole image through the pipeline; standard COCO matching",
    "per_keypoint.mean_similarity": "mean of exp(-d^2 / (2 area (2 sigma_k)^2)) over labelled keypoints of "
                                    "the pairs (single: every person with its own prediction; multi: "
                                    "COCOeval matches at OKS 0.5)",
    "per_keypoint.accuracy": "fraction of those keypoints with similarity >= 0.5",
    "mean_OKS": "ST's single-pose metric: mean over the pairs of each pair's OKS (mean similarity over its "
                "labelled keypoints)",
    "keypoint_set": "st13: a 13-keypoint model scored against COCO annotations mapped to ST's 13 (head = "
                    "visibility-weighted mean of the five face keypoints) with ST's sigmas",
}


def format_result(result: EvalResult) -> str:
    """The result as plain text (what ``movenet-studio eval`` prints)."""

    def pct(v):
        return "   -" if v is None else f"{v:.3f}"

    source = f"{result.model.get('key', '?')} ({result.backend}, {result.device})" if result.backend \
        else f"results {result.model.get('key', '?')}"
    lines = [
        f"{source}, protocol {result.protocol}: "
        f"{result.persons} persons, {result.images} images, {result.detections} predictions"
        + (f" ({result.unassigned} not assigned to an evaluated person)" if result.unassigned else ""),
        f"AP {pct(result.ap)}   AP50 {pct(result.ap50)}   AP75 {pct(result.ap75)}   "
        f"APm {pct(result.ap_medium)}   APl {pct(result.ap_large)}",
        f"AR {pct(result.ar)}   AR50 {pct(result.ar50)}   AR75 {pct(result.ar75)}   "
        f"ARm {pct(result.ar_medium)}   ARl {pct(result.ar_large)}",
        f"mean OKS {pct(result.mean_oks)} (ST's single-pose metric)"
        + ("; keypoints: ST's 13 (head = weighted mean of the face keypoints), ST's sigmas"
           if result.keypoint_set == "st13" else ""),
        "",
        f"per keypoint over {result.pairs} pairs (similarity = COCO OKS term; accuracy = similarity >= 0.5):",
        f"{'keypoint':<16} {'count':>5} {'similarity':>10} {'accuracy':>8}",
    ]
    for name, s in result.per_keypoint.items():
        lines.append(f"{name:<16} {s.count:5d} {pct(s.mean_similarity):>10} {pct(s.accuracy):>8}")
    return "\n".join(lines)
