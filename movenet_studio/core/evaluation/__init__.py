"""COCO keypoint evaluation of MoveNet models: AP, AP50, AP75, AR and a per-keypoint breakdown.

Scoring is the official COCO keypoint evaluation (object keypoint similarity, OKS) as
implemented by ``pycocotools.cocoeval.COCOeval(iouType="keypoints")``; the numbers are its
``stats``: AP = mean AP over OKS thresholds 0.50:0.05:0.95, AP50 / AP75 at one threshold,
AR = mean recall over the same thresholds, all at up to 20 detections per image, all areas.

Two protocols (:data:`PROTOCOLS`):

``single`` (single-person models; the way MoveNet SinglePose is usually scored on COCO)
    Every non-crowd person annotation with at least :data:`MIN_KEYPOINTS` labelled
    keypoints is cropped as a square centred on its box, side
    :data:`CROP_SCALE` x max(box width, box height) (rounded to whole pixels), black outside
    the image, resized to the model input (:func:`crop_box`, :func:`crop_person`). The model
    runs on the crop (:meth:`Backend.invoke`, no pipeline state, no crop tracking, no
    smoothing) and its 17 keypoints are mapped back to image pixels. So that each prediction
    is matched **only against its own annotation**, the ground truth handed to COCOeval has
    **one pseudo-image per person** (:func:`pseudo_image_dataset`): pseudo-image ``k`` has
    the original image's size and exactly one annotation (that person's, unchanged: same
    id, box, area, keypoints), and the one prediction made from that person's crop.
    Other people of the same photo (and crowd regions) are not in the pseudo-image, so
    they can neither steal the match nor count as missed. A MultiPose model may be used:
    its highest-scoring instance on the crop is the prediction.

``multi`` (MultiPose; the standard COCO protocol)
    Each image of the annotation file is run whole through the :class:`~movenet_studio.core.pipeline.Pipeline`
    (model ``multipose`` by default; the pipeline letterboxes the image; no track ids, crop
    tracking or smoothing, and the pipeline is reset per image), every returned pose
    with score >= ``min_pose_score`` is a detection, and COCOeval matches them to all the
    image's annotations (crowd and keypoint-less annotations are ignored regions, as usual).

Detection scores (what COCOeval ranks by): the pose score, i.e. the mean of keypoint
scores above 0.2 for single-pose models and the instance score for MultiPose.

Per-keypoint breakdown (:class:`KeypointStats`), computed at the *pairs*: in ``single``
every evaluated person with its own prediction; in ``multi`` the pairs COCOeval matched at
OKS >= 0.50 (all areas, up to 20 detections, not ignored). For keypoint ``k`` labelled
(v > 0) in the ground truth of a pair, its similarity is the OKS term
``ks = exp(-d^2 / (2 s^2 kappa_k^2))`` with ``d`` the pixel distance between prediction and
label, ``s^2`` the annotation's area and ``kappa_k = 2 sigma_k`` (COCO's per-keypoint
sigmas, :data:`~movenet_studio.core.decoding.keypoint_sets.COCO_SIGMAS`), exactly the term COCOeval averages into OKS. Reported per
keypoint: ``count`` (labelled keypoints over the pairs), ``mean_similarity`` (mean ks, 0..1)
and ``accuracy`` (fraction with ks >= 0.5: the keypoint lies within about 1.18 kappa_k s of
its label). Unlabelled keypoints do not count.
"""

from .coco import (MIN_KEYPOINTS, check_dataset, labelled_count, load_annotations, person_category,
                   pseudo_image_dataset, read_coco_image, select_persons)
from .protocols import (CROP_SCALE, DEFAULT_MODELS, MAX_CANVAS_SIDE, PROTOCOLS, crop_box, crop_person,
                        predict_multi, predict_single)
from .results import JSON_NOTES, EvalResult, EvaluationError, KeypointStats, format_result
from .run import evaluate
from .scoring import ACCURACY_SIMILARITY, keypoint_similarity, pair_similarities, per_keypoint_stats, score

__all__ = [
    "ACCURACY_SIMILARITY", "CROP_SCALE", "DEFAULT_MODELS", "JSON_NOTES", "MAX_CANVAS_SIDE", "MIN_KEYPOINTS",
    "PROTOCOLS", "EvalResult", "EvaluationError", "KeypointStats", "check_dataset", "crop_box", "crop_person",
    "evaluate", "format_result",
    "keypoint_similarity", "labelled_count", "load_annotations", "pair_similarities", "per_keypoint_stats",
    "person_category", "predict_multi", "predict_single", "pseudo_image_dataset", "read_coco_image", "score",
    "select_persons",
]
