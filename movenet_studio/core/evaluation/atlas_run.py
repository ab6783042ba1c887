"""One error-atlas run as the window asks for it: model A (or results file A), optionally B,
scored on the same annotations, and the A -> B transitions (:mod:`.transitions`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..progress import JobControl, Progress
from .results import EvalResult, EvaluationError
from .transitions import Move, largest_moves, transitions


@dataclass(frozen=True, slots=True)
class AtlasRequest:
    """What to evaluate.

    Attributes:
        annotations: COCO person-keypoints file.
        images: the annotated images' folder (needed to run a model; optional with results files).
        model_a, model_b: catalog keys or model files (None: not a model).
        results_a, results_b: COCO results files (take the place of the model of that side).
        protocol: ``single`` or ``multi``.
        backend, threads: how models run.
    """

    annotations: Path
    images: Path | None = None
    model_a: str | None = "lightning"
    model_b: str | None = None
    results_a: Path | None = None
    results_b: Path | None = None
    protocol: str = "single"
    backend: str = "tflite"
    threads: int = 2

    def sides(self) -> list[tuple[str, str | None, Path | None]]:
        """(label, model, results file) for A and, when given, B."""
        out = []
        for model, results in ((self.model_a, self.results_a), (self.model_b, self.results_b)):
            if results is not None:
                out.append((Path(results).stem, None, Path(results)))
            elif model:
                out.append((Path(model).stem if Path(model).suffix else model, model, None))
        return out


@dataclass(slots=True)
class AtlasRun:
    """The outcome: each side's :class:`EvalResult` (with ``errors``), labels, transitions.

    Attributes:
        dataset: the annotations as read (images with file names and sizes, annotations by id).
        transitions: keypoint -> class A -> class B -> count, None without B.
        moves: the largest A -> B moves.
    """

    request: AtlasRequest
    labels: list[str]
    results: list[EvalResult]
    dataset: dict
    transitions: dict | None
    moves: list[Move]


def run_atlas(request: AtlasRequest, control: JobControl | None = None) -> AtlasRun:
    """Evaluate each side with the error atlas, then the transitions.

    Raises:
        EvaluationError: nothing to evaluate, or a model without an images folder.
        As :func:`~.run.evaluate` and :func:`~.run.evaluate_results`.
    """
    from .coco import load_annotations
    from .run import evaluate, evaluate_results

    control = control if control is not None else JobControl()
    sides = request.sides()
    if not sides:
        raise EvaluationError("choose a model or a results file for A")
    labels, results = [], []
    for n, (label, model, results_file) in enumerate(sides):
        if len(sides) == 2 and labels and label == labels[0]:
            label = f"{label} (B)"
        part = _phase(control, f"{'AB'[n]} {label}: ")
        if results_file is not None:
            result = evaluate_results(request.annotations, results_file, protocol=request.protocol, errors=True,
                                      control=part)
        else:
            if request.images is None:
                raise EvaluationError("running a model needs the images folder")
            result = evaluate(request.annotations, request.images, model=model, backend=request.backend,
                              threads=request.threads, protocol=request.protocol, control=part, errors=True)
        labels.append(label)
        results.append(result)
    matrix = transitions(results[0].errors, results[1].errors) if len(results) == 2 else None
    moves = largest_moves(matrix, 10) if matrix is not None else []
    return AtlasRun(request, labels, results, load_annotations(request.annotations), matrix, moves)


def _phase(control: JobControl, prefix: str) -> JobControl:
    """A control sharing `control`'s token whose progress messages start with `prefix`."""
    listener = control.listener

    def forward(progress: Progress) -> None:
        if listener is not None:
            listener(Progress(progress.done, progress.total, prefix + progress.message, progress.elapsed_s))

    return JobControl(forward, control.token)
