"""The whole evaluation: annotations in, model loaded, a protocol run (here or on a dask
cluster), detections scored; what ``movenet-studio eval`` calls."""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import SourceError
from ..decoding.keypoint_sets import keypoint_set_for
from ..progress import JobControl
from .coco import load_annotations
from .keypoint_sets import dataset_for, sigmas_for
from .results_file import load_results, multi_detections, single_detections
from .protocols import DEFAULT_MODELS, PROTOCOLS, predict_multi, predict_single, with_input_range
from .results import EvalResult, EvaluationError
from .scoring import score

def evaluate(annotations: str | Path, images_dir: str | Path, *, model: str | None = None, backend: str = "tflite",
             threads: int = 2, protocol: str = "single", min_pose_score: float = 0.0,
             control: JobControl | None = None, client=None, preprocess=None,
             input_range: tuple[float, float] | None = None, errors: bool = False) -> EvalResult:
    """COCO keypoint AP of a MoveNet model on an annotated image folder.

    Args:
        annotations: COCO person-keypoints JSON (e.g. ``person_keypoints_val2017.json``).
        images_dir: folder with the annotated images (``file_name`` relative to it).
        model: catalog key or model file; default :data:`DEFAULT_MODELS` [protocol].
        backend: the backend (``tflite``, ``onnx``).
        threads: CPU threads for the runtime.
        protocol: ``single`` or ``multi`` (see the module docstring).
        min_pose_score: multi protocol: poses below this score are not detections (default 0:
            keep all; COCO AP rewards ranked low-score detections, never penalises them).
        control: progress and cancel (:mod:`~..progress`): reported per person (single) or
            image (multi; on a cluster, as parts finish), checked as often.
        client: a ``dask.distributed.Client``: the predictions run split across its workers
            (:mod:`.cluster`), with the same results as without.
        preprocess: a :class:`~..preprocess_profile.PreprocessProfile` (channel order,
            resize mode, interpolation; None: MoveNet's own). Single protocol: its channel
            order and interpolation make each square crop; multi: the pipeline's.
        input_range: values a float32-input model file expects for pixels 0..255 (e.g.
            (-1, 1)); None: the file's default (0..255).
        errors: also the error atlas (:mod:`.error_atlas`), in ``result.errors``.

    Returns:
        An :class:`EvalResult` (``to_json()`` is the ``eval --json`` document).

    Raises:
        EvaluationError: bad protocol, annotation file, or image sizes.
        ModelError, BackendError: the model cannot be loaded or run.
        SourceError: an image is missing or unreadable.
        Cancelled: `control` was cancelled.
    """
    from ..models.resolve import resolve_model
    from ..models.catalog import model_to_json

    if protocol not in PROTOCOLS:
        raise EvaluationError(f"unknown protocol '{protocol}'; use {' or '.join(PROTOCOLS)}")
    start = time.perf_counter()
    dataset = load_annotations(annotations)
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise SourceError(f"{images_dir}: no such image folder")
    model = model or DEFAULT_MODELS[protocol]
    if protocol == "single":
        spec = with_input_range(resolve_model(model, backend), input_range)
        gt, detections, device = _predict_persons(dataset, images_dir, spec, backend, threads, control, client,
                                                  preprocess, input_range)
    else:
        detections, spec, device = _predict_images(dataset, images_dir, model, backend, threads, control, client,
                                                   preprocess, input_range, min_pose_score)
        gt = None
    result = _score(dataset, gt, detections, protocol, spec.num_keypoints, errors=errors, control=control)
    result.model = model_to_json(spec)
    result.backend = backend
    result.device = device
    result.preprocess = preprocess.to_json() if preprocess is not None else None
    result.input_range = list(input_range) if input_range is not None else None
    result.annotations = str(annotations)
    result.elapsed_s = time.perf_counter() - start
    return result


def evaluate_results(annotations: str | Path, results: str | Path, *, protocol: str = "single",
                     errors: bool = False, control: JobControl | None = None) -> EvalResult:
    """COCO keypoint AP of a results file (predictions made anywhere) without running a model.

    Args:
        annotations: COCO person-keypoints JSON.
        results: COCO keypoint results JSON (:mod:`.results_file`: ``export --keypoints``
            writes it; ``--per-person`` for the single protocol).
        protocol: ``single`` (predictions assigned to persons, :func:`~.results_file.single_detections`)
            or ``multi`` (standard COCO matching).
        errors: also the error atlas (:mod:`.error_atlas`), in ``result.errors``.
        control: progress (the atlas's AP recomputations) and cancel.

    Returns:
        An :class:`EvalResult` (``model`` = ``{"key": file name, "results": path}``, no backend).

    Raises:
        EvaluationError, AnnotationError, PathCheckError: unusable annotations or results.
        Cancelled: `control` was cancelled.
    """
    if protocol not in PROTOCOLS:
        raise EvaluationError(f"unknown protocol '{protocol}'; use {' or '.join(PROTOCOLS)}")
    start = time.perf_counter()
    dataset = load_annotations(annotations)
    loaded = load_results(results)
    keypoint_set = keypoint_set_for(loaded.num_keypoints)
    layout = dataset_for(dataset, keypoint_set)
    unassigned = 0
    if protocol == "single":
        gt, detections, unassigned = single_detections(layout, loaded, sigmas_for(keypoint_set))
    else:
        gt, detections = None, multi_detections(layout, loaded)
    result = _score(dataset, gt, detections, protocol, loaded.num_keypoints, errors=errors, control=control)
    result.unassigned = unassigned
    result.model = {"key": Path(results).name, "results": str(results)}
    result.annotations = str(annotations)
    result.elapsed_s = time.perf_counter() - start
    return result


def _predict_images(dataset, images_dir, model, backend, threads, control, client, preprocess, input_range,
                    min_pose_score):
    """The multi protocol's predictions: (detections, model spec, device)."""
    from .cluster import predict_on_cluster
    from ..models.resolve import resolve_model
    from ..pipeline import Pipeline
    from ..pipeline_config import PipelineConfig

    profile = {"preprocess": preprocess} if preprocess is not None else {}
    config = PipelineConfig(model=model, backend=backend, threads=threads, input_range=input_range,
                            **profile, **_still_image_options(min_pose_score))
    if client is not None:  # the images split across the cluster's workers
        spec = resolve_model(model, backend)
        _, detections, device = predict_on_cluster(client, dataset, images_dir, spec, "multi", config=config,
                                                   control=control)
        return detections, spec, device
    pipeline = Pipeline(config)
    try:
        detections = predict_multi(dataset, images_dir, pipeline, control=control)
    finally:
        pipeline.close()
    return detections, pipeline.model, pipeline.backend.device


def image_results(annotations: str | Path, images_dir: str | Path, *, model: str = "multipose",
                  backend: str = "tflite", threads: int = 2, control: JobControl | None = None,
                  preprocess=None, input_range: tuple[float, float] | None = None) -> list[dict]:
    """The multi protocol's predictions as a COCO results list: every pose of every annotated
    image, run whole as :func:`evaluate` with ``protocol="multi"`` runs it (no tracker, no
    smoothing, every pose score kept), so ``eval --results --protocol multi`` on them gives
    the same AP as ``eval --protocol multi --model``.

    Raises:
        As :func:`evaluate`.
    """
    dataset = load_annotations(annotations)
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise SourceError(f"{images_dir}: no such image folder")
    detections, _, _ = _predict_images(dataset, images_dir, model, backend, threads, control, None, preprocess,
                                       input_range, 0.0)
    return detections


def _predict_persons(dataset, images_dir, spec, backend, threads, control, client, preprocess, input_range):
    """The single protocol's predictions: (pseudo-image ground truth, detections, device)."""
    from ..backends import create_backend
    from .cluster import predict_on_cluster

    if client is not None:  # the persons split across the cluster's workers
        return predict_on_cluster(client, dataset, images_dir, spec, "single", backend=backend, threads=threads,
                                  control=control, preprocess=preprocess, input_range=input_range)
    runner = create_backend(spec, backend, threads=threads)
    try:
        gt, detections = predict_single(dataset, images_dir, runner, control=control, preprocess=preprocess)
    finally:
        runner.close()
    return gt, detections, runner.device


def person_results(annotations: str | Path, images_dir: str | Path, *, model: str = "lightning",
                   backend: str = "tflite", threads: int = 2, control: JobControl | None = None,
                   preprocess=None, input_range: tuple[float, float] | None = None) -> list[dict]:
    """The single protocol's predictions as a COCO results list on the annotation file's own ids.

    The same crops, model runs and numbers as :func:`evaluate` with ``protocol="single"``
    (what ``export --keypoints --per-person`` writes), so ``eval --results`` on them gives
    the same AP, AP50, AP75 and AR.

    Returns:
        ``[{"image_id", "category_id", "keypoints", "score", "annotation_id"}]``, one per
        evaluated person in (image id, annotation id) order.

    Raises:
        As :func:`evaluate`.
    """
    from ..models.resolve import resolve_model

    dataset = load_annotations(annotations)
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise SourceError(f"{images_dir}: no such image folder")
    spec = with_input_range(resolve_model(model, backend), input_range)
    gt, detections, _ = _predict_persons(dataset, images_dir, spec, backend, threads, control, None, preprocess,
                                         input_range)
    images = {image["id"]: image["source_image_id"] for image in gt["images"]}
    persons = {a["image_id"]: a["id"] for a in gt["annotations"]}
    return [{**d, "image_id": images[d["image_id"]], "annotation_id": persons[d["image_id"]]} for d in detections]


def _score(dataset: dict, gt: dict | None, detections: list[dict], protocol: str, num_keypoints: int, *,
           errors: bool, control: JobControl | None) -> EvalResult:
    """Score `detections` (on `gt`'s pseudo-images for single, `dataset`'s images for multi)
    and, with `errors`, add the error atlas."""
    from .error_atlas import error_atlas, multi_pairs, single_pairs

    keypoint_set = keypoint_set_for(num_keypoints)
    sigmas = sigmas_for(keypoint_set)
    layout = dataset_for(dataset, keypoint_set)
    if protocol == "single":
        scored_gt = dataset_for(gt, keypoint_set)
        result = score(scored_gt, detections, own_pairs=True, sigmas=sigmas)
        result.images = len({p["source_image_id"] for p in gt["images"]})
    else:
        scored_gt = layout
        result = score(scored_gt, detections, sigmas=sigmas)
        result.images = len(dataset["images"])
    result.protocol = protocol
    result.keypoint_set = keypoint_set.key
    if errors:
        control = control if control is not None else JobControl()
        if protocol == "single":
            pairs = single_pairs(scored_gt, detections, layout)
            sources = {im["id"]: im["source_image_id"] for im in scored_gt["images"]}
            image_ids = [sources[p.detection["image_id"]] for p in pairs]
        else:
            pairs = multi_pairs(scored_gt, detections, sigmas)
            image_ids = None

        def step(done: int, total: int) -> None:
            control.raise_if_cancelled("evaluation cancelled")
            control.report(done, total, "error atlas")

        result.errors = error_atlas(scored_gt, detections, pairs, keypoint_set.names, sigmas,
                                    detection_ids=[p.detection.get("id", p.index) for p in pairs],
                                    image_ids=image_ids, multi=protocol == "multi", on_step=step)
    return result


def _still_image_options(min_pose_score: float) -> dict:
    """PipelineConfig fields for independent still images: no MultiPose track ids (and no
    per-track smoothing), no single-pose crop tracking or smoothing (the whole image is
    letterboxed). Only fields this PipelineConfig has are set."""
    from dataclasses import fields

    from ..pipeline_config import PipelineConfig

    wanted = {"min_pose_score": min_pose_score, "tracker": "none", "crop": False, "smoothing": False}
    known = {f.name for f in fields(PipelineConfig)}
    return {k: v for k, v in wanted.items() if k in known}
