"""Keypoint error of a quantized model against the float model, on the same model inputs.

Both models see exactly the float model's held-out model inputs (its crop or letterbox, as
``compare`` does), so the error is what quantization alone changes. For each keypoint the
distance is measured in **frame pixels** (the model's normalised output mapped back through
the input's :class:`~..preprocess.InputMapping`); the figures are the mean and 95th
percentile over all keypoints of all frames, and the mean OKS (the project's
:func:`~..evaluation.scoring.keypoint_similarity`, pycocotools' formula, with the COCO
sigmas or ST's for 13 keypoints), the float model's keypoints being the ground truth and
the area of their bounding box the object area.

MultiPose: each float instance scoring at least 0.25 is compared with the quantized
model's nearest instance (mean keypoint distance).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..backends import create_backend
from ..decoding.keypoint_sets import keypoint_set_for
from ..evaluation.scoring import keypoint_similarity
from ..models.model_io import output_decoder
from ..models.resolve import model_from_file
from ..progress import JobControl
from .frames import ModelInput

#: MultiPose instances of the float model below this score are not measured (TF.js default).
MIN_INSTANCE_SCORE = 0.25


@dataclass(frozen=True, slots=True)
class Impact:
    """Keypoint error of one model against float.

    Attributes:
        mean_px, p95_px: distance to float in frame pixels, over all keypoints and frames.
        oks: mean OKS against the float keypoints (0..1, 1 = identical).
    """

    mean_px: float
    p95_px: float
    oks: float

    def to_json(self) -> dict:
        return {"keypoints_px": {"mean": round(self.mean_px, 4), "p95": round(self.p95_px, 4)},
                "oks": round(self.oks, 5)}


@dataclass(frozen=True, slots=True)
class FramePoses:
    """One model's answer on one model input.

    Attributes:
        keypoints: float64 [P, K, 3] (x, y, score), x and y in frame pixels; P = 1 for
            single-pose models, N (6) instances for MultiPose.
        scores: float64 [P] instance scores (1.0 for single-pose models).
    """

    keypoints: np.ndarray
    scores: np.ndarray


def run_model(path: Path, inputs: list[ModelInput], control: JobControl | None = None) -> list[FramePoses]:
    """Run a model file on each model input and map its keypoints to frame pixels.

    Raises:
        BackendError: the runtime cannot load or run the file.
        Cancelled: the job was cancelled (checked every frame).
    """
    spec = model_from_file(Path(path), probe=False)  # the job's own files (or the user's, probed before)
    backend = create_backend(spec, threads=2)
    decoder = output_decoder(spec)
    try:
        out = []
        for item in inputs:
            raw = np.asarray(decoder.decode(backend.invoke(item.image)).raw, dtype=np.float64)
            if raw.shape[-1] == 56:  # MultiPose [1, N, 56]: 17 x (y, x, score), box, instance score
                kps, scores = raw[0, :, :51].reshape(-1, 17, 3), raw[0, :, 55]
            else:
                kps, scores = raw.reshape(1, -1, 3), np.ones(1)
            xy = item.mapping.to_frame(kps[..., :2]).astype(np.float64)
            out.append(FramePoses(np.concatenate([xy, kps[..., 2:3]], axis=-1), scores))
            if control is not None:
                control.raise_if_cancelled()
        return out
    finally:
        backend.close()


def measure(reference: list[FramePoses], candidate: list[FramePoses]) -> Impact:
    """Keypoint error of `candidate` against `reference` (the float model), frame by frame.

    Raises:
        ValueError: no pose of the reference to measure (e.g. MultiPose finding nobody).
    """
    distances, similarities = [], []
    for ref, cand in zip(reference, candidate):
        poses = range(len(ref.scores)) if len(ref.scores) == 1 else np.flatnonzero(ref.scores >= MIN_INSTANCE_SCORE)
        for p in poses:
            truth = ref.keypoints[p]
            gaps = np.linalg.norm(cand.keypoints[:, :, :2] - truth[None, :, :2], axis=-1)  # [P', K]
            best = int(np.argmin(gaps.mean(axis=1)))
            distances.append(gaps[best])
            k = truth.shape[0]
            extent = truth[:, :2].max(axis=0) - truth[:, :2].min(axis=0)
            area = max(float(extent[0] * extent[1]), 1.0)
            gt = np.column_stack([truth[:, :2], np.full(k, 2.0)]).reshape(-1)
            dt = np.column_stack([cand.keypoints[best, :, :2], np.ones(k)]).reshape(-1)
            similarities.append(np.nanmean(keypoint_similarity(gt, dt, area, keypoint_set_for(k).sigmas)))
    if not distances:
        raise ValueError("the float model found no pose on the held-out frames; nothing to measure against")
    d = np.concatenate(distances)
    return Impact(float(d.mean()), float(np.percentile(d, 95)), float(np.mean(similarities)))
