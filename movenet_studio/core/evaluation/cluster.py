"""COCO evaluation with the predictions split across the workers of a dask cluster.

``eval --workers N`` / ``--scheduler ADDRESS``: the persons (single protocol) or the images
(multi protocol) are cut into contiguous parts; each part runs on a worker with the same
code as the sequential run (:func:`~.protocols.predict_single`,
:func:`~.protocols.predict_multi`) on a sub-dataset holding only that part, and the parts'
detections are put back in order (single: pseudo-image ids shifted by the part's start), so
the detections, and the scores computed from them, are those of the sequential run.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..distributed.cluster import local_copy, model_to_ship
from .coco import pseudo_image_dataset, select_persons
from ..progress import JobControl
from .protocols import predict_multi, predict_single, with_input_range

#: Parts per worker thread: small enough to balance, large enough that loading the model
#: once per part does not dominate.
PARTS_PER_THREAD = 2


def _parts(count: int, threads: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges covering 0..count, about equal, at most PARTS_PER_THREAD x threads."""
    n = max(1, min(count, PARTS_PER_THREAD * max(1, threads)))
    bounds = [round(i * count / n) for i in range(n + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _model_path(model: str, shipped: tuple[str, bytes] | None) -> str:
    return str(local_copy(*shipped)) if shipped is not None else model


def single_part(dataset: dict, images_dir: str, model: str, backend: str, threads: int, start: int, stop: int,
                shipped: tuple[str, bytes] | None = None, preprocess=None,
                input_range: tuple[float, float] | None = None) -> tuple[list[dict], str]:
    """Worker side, single protocol: predict persons ``select_persons(dataset)[start:stop]``
    (`preprocess`, `input_range`: as :func:`~.run.evaluate`'s).

    Returns:
        (COCO results with pseudo-image ids ``start + 1 ..``, the backend's device).
    """
    from ..backends import create_backend
    from ..models.resolve import resolve_model

    spec = with_input_range(resolve_model(_model_path(model, shipped), backend), input_range)
    runner = create_backend(spec, backend, threads=threads)
    try:
        part = {**dataset, "annotations": select_persons(dataset)[start:stop]}
        _, detections = predict_single(part, Path(images_dir), runner, preprocess=preprocess)
    finally:
        runner.close()
    return [{**d, "image_id": d["image_id"] + start} for d in detections], runner.device


def multi_part(dataset: dict, images_dir: str, config, start: int, stop: int,
               shipped: tuple[str, bytes] | None = None) -> tuple[list[dict], str]:
    """Worker side, multi protocol: predict the images ``[start:stop]`` in id order through a
    :class:`~movenet_studio.core.pipeline.Pipeline` of `config`.

    Returns:
        (COCO results with the dataset's image ids, the backend's device).
    """
    from ..pipeline import Pipeline

    images = sorted(dataset["images"], key=lambda i: i["id"])[start:stop]
    pipeline = Pipeline(replace(config, model=_model_path(config.model, shipped)))
    try:
        detections = predict_multi({**dataset, "images": images}, Path(images_dir), pipeline)
    finally:
        pipeline.close()
    return detections, pipeline.backend.device


def predict_on_cluster(client, dataset: dict, images_dir: Path, spec, protocol: str, *, backend: str = "tflite",
                       threads: int = 2, config=None, control: JobControl | None = None, preprocess=None,
                       input_range: tuple[float, float] | None = None) -> tuple[dict, list[dict], str]:
    """Run a protocol's predictions on `client`'s workers.

    Args:
        client: a ``dask.distributed.Client`` (see :func:`~.cluster.dask_client`).
        dataset: COCO keypoint annotations.
        images_dir: the images' folder (the workers must see it at the same path).
        spec: the resolved model (:class:`~.catalog.ModelSpec`); a file that is not bundled is
            sent to the workers.
        protocol: ``single`` (uses `backend`, `threads`, `preprocess`, `input_range`) or ``multi``
            (uses the pipeline `config`).
        control: progress (persons or images, reported as parts finish) and cancel (checked
            as parts finish; the parts left are cancelled), :mod:`~..progress`.

    Returns:
        (ground truth to score against: the pseudo-image dataset for single, `dataset` for
        multi; the detections, in the sequential run's order; the workers' device).

    Raises:
        Cancelled: `control` was cancelled.
        Exception: whatever a part raised on its worker (e.g. SourceError for a missing image).
    """
    from dask.distributed import as_completed

    control = control if control is not None else JobControl()
    shipped = model_to_ship(spec)
    model = spec.key if spec.bundled else spec.path.name  # bundled: each worker's own copy
    threads_total = sum(client.nthreads().values())
    data = client.scatter([dataset], broadcast=True)[0]
    images_dir = Path(images_dir).absolute()
    if protocol == "single":
        gt = pseudo_image_dataset(dataset, select_persons(dataset))
        count = len(gt["images"])
        parts = _parts(count, threads_total)
        futures = [client.submit(single_part, data, str(images_dir), model, backend, threads, a, b,
                                 shipped, preprocess, input_range, pure=False) for a, b in parts]
    else:
        gt = dataset
        count = len(dataset["images"])
        parts = _parts(count, threads_total)
        config = replace(config, model=model)
        futures = [client.submit(multi_part, data, str(images_dir), config, a, b, shipped, pure=False)
                   for a, b in parts]
    size = {f: b - a for f, (a, b) in zip(futures, parts)}
    done = 0
    try:
        for finished in as_completed(futures):
            finished.result()  # a part's error surfaces here, the rest are cancelled below
            done += size[finished]
            control.report(done, count)
        results = [f.result() for f in futures]
    finally:
        client.cancel(futures)
    detections = [d for part, _ in results for d in part]
    return gt, detections, results[0][1] if results else ""
