"""MoveNet's four prediction heads: finding them in a graph, reading them, placing them on the frame.

MoveNet (a CenterNet on MobileNetV2-FPN) ends in four heads at output stride 4, each a
``[1, S, S, C]`` tensor (S = input size / 4: 48 for Lightning, 64 for Thunder and MultiPose):

=================  ==  =============================  ================================
head               C   graph scope (TF Hub / TF.js)   meaning
=================  ==  =============================  ================================
centre             1   ``center_0``                   person-centre logits (sigmoid)
keypoint_heatmaps  17  ``kpt_heatmap_0``              per-keypoint logits (sigmoid)
regression         34  ``kpt_regress_0``              centre -> keypoint (y, x), cells
offsets            34  ``kpt_offset_0``               sub-cell keypoint (y, x), cells
=================  ==  =============================  ================================

Finding them (:func:`locate_heads`). TFLite joins the names of fused ops with ``;``, so the
offsets tensor is named ``StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd/BiasAdd;
StatefulPartitionedCall/kpt_regress_0/...``: its name *contains* ``kpt_regress_0`` too. A
head is therefore recognised only by the **leading op path** of its name (the part before
the first ``;``), whose second component is the head scope (:func:`head_scope`), and by its
shape ``[1, S, S, C]``. Layer numbers (``conv2d_5`` vs ``conv2d_7``) differ between files
and are ignored. The choice is proven in tests/test_decode.py by decoding the heads in
numpy and reproducing the model's own output.

Sigmoids. The graph applies the sigmoid itself (a ``LOGISTIC`` op right after the centre
and heatmap convolutions) and decodes from *that* tensor. The ``Sigmoid`` / ``Sigmoid_1``
names do not say which head they belong to (they are swapped between the single-pose and
MultiPose files), so when the graph's op list is available the sigmoid outputs are found
by topology: the LOGISTIC op whose only input is the head's logits tensor. Reading that
tensor reproduces the model best. Measured on pose_1.mp4 + pose.jpg (121 frames): on
float16 files the decode from the graph's sigmoid matches the model's output bit for bit,
numpy's sigmoid is off by up to 1.2e-7 in score; in int8 files the logits are coarse
(scale ~0.28) while the model decodes from its int8 LOGISTIC output (1/256 grid), and the
graph's sigmoid keeps the score within 0.0019 of the model's at the same cell where numpy's
drifts to 0.0029 (cell agreement is the same either way). Without an op list the sigmoid is
applied in numpy to the (dequantized) logits.

Geometry (:func:`heatmap_extent`). The decode computes final = (cell + offset) / S, so
the integer cell index i means normalised position i / S. That is *not* where the heatmap
value of cell i is centred: over the confident keypoints of the test media the decoded
keypoint lies a median 0.5 cell (0.46..0.54, y and x, Lightning and Thunder) below and right
of the heatmap's sub-cell peak, and the offsets at the chosen cells have a median of +0.4
cell (mostly in [-0.3, 1.1]). That fits CenterNet's convention: a keypoint at y (in cells) is
assigned to cell floor(y) with offset y - floor(y) in [0, 1), i.e. cell i covers the input
span [i / S, (i + 1) / S] (the 4 input pixels 4i..4i+3) and the offset is measured from the
cell's top-left corner. Both conventions are available through ``cell_centre``:

* ``cell_centre=0.5`` (the default, :data:`MEASURED_CELL_CENTRE`): cell i spans
  [i / S, (i + 1) / S], the heatmap covers exactly [0, 1] of the model input, and heatmap
  blobs sit on the decoded keypoints (median misalignment < 0.05 cell, tests/test_heads.py).
* ``cell_centre=0.0``: cell i is centred at i / S and spans [(i - 0.5) / S, (i + 0.5) / S];
  heatmaps drawn this way sit half a cell (2 model-input pixels) above and left of the
  keypoints the model reports.

:func:`heatmap_rect_in_frame` maps the extent to frame pixels.

Sources: the graph itself (op list of the bundled .tflite files) and Google's TF.js
pose-detection MoveNet (``movenet/detector.ts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np

from ..preprocessing.mapping import InputMapping

#: Head names in the order of :class:`Heads` fields, and their channel counts.
HEAD_CHANNELS: dict[str, int] = {"centre": 1, "keypoint_heatmaps": 17, "regression": 34, "offsets": 34}
HEAD_NAMES: tuple[str, ...] = tuple(HEAD_CHANNELS)

#: Graph scope (without its ``_<n>`` suffix) -> head name.
_SCOPES: dict[str, str] = {
    "center": "centre",
    "kpt_heatmap": "keypoint_heatmaps",
    "kpt_regress": "regression",
    "kpt_offset": "offsets",
}
_SCOPE_SUFFIX = re.compile(r"_\d+$")
#: Output stride of the heads (model-input pixels per heatmap cell).
HEAD_STRIDE = 4


def head_scope(name: str) -> str | None:
    """The head a tensor name belongs to, judged by its leading op path only.

    The leading op path is the part of ``name`` before the first ``;`` (TFLite appends the
    names of fused ops after it); its second ``/`` component is the head scope, e.g.
    ``StatefulPartitionedCall/kpt_offset_0/conv2d_7/BiasAdd/BiasAdd;StatefulPartitionedCall/
    kpt_regress_0/...`` -> ``"offsets"``. Scope suffixes ``_<n>`` are ignored.

    Args:
        name: a tensor (or ONNX value) name.

    Returns:
        ``"centre"``, ``"keypoint_heatmaps"``, ``"regression"``, ``"offsets"``, or None when
        the leading op path is not inside one of the four head scopes (this says nothing
        about the shape: every tensor inside a head scope gets the head's name).
    """
    parts = name.split(";", 1)[0].split("/")
    if len(parts) < 2:
        return None
    return _SCOPES.get(_SCOPE_SUFFIX.sub("", parts[1]))


@dataclass(frozen=True, slots=True)
class TensorRef:
    """One tensor of a runtime, enough to read and dequantize it.

    Attributes:
        index: the runtime's key for the tensor (TFLite tensor index).
        name: full tensor name.
        shape: static shape, e.g. (1, 48, 48, 17).
        dtype: numpy dtype name (``float32``, ``int8``, ``uint8``).
        scale: quantization scale (0.0 when not quantized).
        zero_point: quantization zero point (0 when not quantized).
    """

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float = 0.0
    zero_point: int = 0

    @property
    def quantized(self) -> bool:
        """True for an integer tensor with a non-zero scale."""
        return self.scale != 0.0 and np.issubdtype(np.dtype(self.dtype), np.integer)

    def to_float(self, values: np.ndarray) -> np.ndarray:
        """`values` of this tensor as float32 (dequantized when :attr:`quantized`)."""
        if self.quantized:
            return dequantize(values, self.scale, self.zero_point)
        return np.asarray(values, dtype=np.float32)


@dataclass(frozen=True, slots=True)
class HeadTensors:
    """Where the heads are in one graph (the result of :func:`locate_heads`).

    Attributes:
        centre, keypoint_heatmaps, regression, offsets: the head convolutions' outputs
            (logits for centre and heatmaps), shape [1, Sh, Sw, C].
        centre_sigmoid, heatmap_sigmoid: the graph's own sigmoid of the centre / heatmap
            logits (found by topology), or None when no op list was given or none exists.
        input_size: (height, width) of the model input in pixels.
    """

    centre: TensorRef
    keypoint_heatmaps: TensorRef
    regression: TensorRef
    offsets: TensorRef
    centre_sigmoid: TensorRef | None
    heatmap_sigmoid: TensorRef | None
    input_size: tuple[int, int]

    @property
    def heatmap_size(self) -> tuple[int, int]:
        """(Sh, Sw): heatmap rows and columns."""
        return int(self.centre.shape[1]), int(self.centre.shape[2])

    def refs(self) -> tuple[TensorRef, ...]:
        """Every tensor that :func:`read_heads` reads."""
        extra = (self.centre_sigmoid, self.heatmap_sigmoid)
        return (self.centre, self.keypoint_heatmaps, self.regression, self.offsets) + tuple(r for r in extra if r)


@dataclass(frozen=True, slots=True)
class Heads:
    """The four heads of one inference, as float32 arrays without the batch axis.

    Heatmap-only files (ST's ``heatmaps`` kind, see :mod:`.model_io`) have keypoint
    heatmaps only: their ``centre``, ``regression`` and ``offsets`` are None
    (:attr:`complete` is False).

    Attributes:
        centre: float32 [S, S] person-centre probability 0..1, or None.
        keypoint_heatmaps: float32 [S, S, K] keypoint probabilities 0..1 (K = 17, COCO-17
            order, or 13, ST's order).
        regression: float32 [S, S, 2K] centre-to-keypoint displacement in heatmap cells;
            channels (2k, 2k+1) are (y, x) of keypoint k; or None.
        offsets: float32 [S, S, 2K] sub-cell keypoint offset in heatmap cells; channels
            (2k, 2k+1) are (y, x) of keypoint k; or None.
        input_size: (height, width) of the model input in pixels.
    """

    centre: np.ndarray | None
    keypoint_heatmaps: np.ndarray
    regression: np.ndarray | None
    offsets: np.ndarray | None
    input_size: tuple[int, int]

    @property
    def complete(self) -> bool:
        """True when all four heads are present (False for heatmap-only files)."""
        return self.centre is not None and self.regression is not None and self.offsets is not None

    @property
    def num_keypoints(self) -> int:
        """K: keypoint heatmap channels."""
        return int(self.keypoint_heatmaps.shape[-1])

    @property
    def size(self) -> int:
        """S: heatmap rows (equal to the columns for the square single-pose models)."""
        return int(self.keypoint_heatmaps.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        """(Sh, Sw): heatmap rows and columns."""
        return int(self.keypoint_heatmaps.shape[0]), int(self.keypoint_heatmaps.shape[1])

    @property
    def stride(self) -> float:
        """Model-input pixels per heatmap cell (input height / S; 4.0 for MoveNet)."""
        return self.input_size[0] / self.size


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Affine int8/uint8 dequantization: ``(values - zero_point) * scale`` as float32.

    Args:
        values: integer array (int8 or uint8) of any shape.
        scale: quantization scale (> 0).
        zero_point: quantization zero point.

    Returns:
        float32 array of the same shape.
    """
    return ((np.asarray(values, dtype=np.int32) - np.int32(zero_point)).astype(np.float32)
            * np.float32(scale))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function, float32 in and out (same shape)."""
    x = np.asarray(x, dtype=np.float32)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)


def _tensor_ref(detail: Mapping) -> TensorRef:
    params = detail.get("quantization_parameters") or {}
    scales = params.get("scales")
    zeros = params.get("zero_points")
    if scales is not None and len(scales):
        scale = float(scales[0])
        zero_point = int(zeros[0]) if zeros is not None and len(zeros) else 0
    else:
        scale, zero_point = (tuple(detail.get("quantization") or (0.0, 0)) + (0.0, 0))[:2]
    return TensorRef(int(detail["index"]), str(detail["name"]), tuple(int(v) for v in detail["shape"]),
                     np.dtype(detail["dtype"]).name, float(scale), int(zero_point))


def _pick(candidates: list[Mapping]) -> Mapping | None:
    """The one head tensor among same-scope, same-shape candidates; None when ambiguous."""
    if len(candidates) > 1:  # e.g. a Quantize copy: prefer the convolution output itself
        candidates = [d for d in candidates if str(d["name"]).split(";", 1)[0].endswith("BiasAdd")] or candidates
    return candidates[0] if len(candidates) == 1 else None


def _sigmoid_of(logits: int, ops: Iterable[Mapping], by_index: Mapping[int, Mapping]) -> TensorRef | None:
    for op in ops:
        if op.get("op_name") == "LOGISTIC" and [int(i) for i in op["inputs"]] == [logits]:
            out = int(op["outputs"][0])
            return _tensor_ref(by_index[out]) if out in by_index else None
    return None


def locate_heads(tensor_details: list[dict], input_size: tuple[int, int],
                 ops_details: list[dict] | None = None) -> HeadTensors | None:
    """Find MoveNet's four heads in a graph's tensor list.

    A tensor is a head when :func:`head_scope` of its name names the head *and* its shape
    is ``[1, H/4, W/4, C]`` with C = 1 / 17 / 34 / 34 (H, W = `input_size`). The name
    rule alone is never enough (every tensor inside ``kpt_offset_0/`` has that scope).
    If several tensors match one head, the one whose leading op path ends in ``BiasAdd``
    wins; a head that stays ambiguous counts as not found.

    Pure function over the runtime's detail dicts (TFLite ``get_tensor_details()`` /
    ``_get_ops_details()`` format: ``index``, ``name``, ``shape``, ``dtype``,
    ``quantization`` / ``quantization_parameters``; ops with ``op_name``, ``inputs``,
    ``outputs``), so other runtimes can build the same dicts.

    Args:
        tensor_details: one dict per tensor.
        input_size: (height, width) of the model input in pixels.
        ops_details: optional op list; when given, the graph's own sigmoid outputs of the
            centre and heatmap logits are located too (LOGISTIC op consuming the logits).

    Returns:
        A :class:`HeadTensors`, or None when any of the four heads is missing or ambiguous
        (an unknown graph: the model still runs, there are just no heads to show).
    """
    h, w = int(input_size[0]), int(input_size[1])
    if h <= 0 or w <= 0 or h % HEAD_STRIDE or w % HEAD_STRIDE:
        return None
    sh, sw = h // HEAD_STRIDE, w // HEAD_STRIDE
    candidates: dict[str, list[Mapping]] = {name: [] for name in HEAD_NAMES}
    for detail in tensor_details:
        head = head_scope(str(detail.get("name", "")))
        if head is None:
            continue
        if tuple(int(v) for v in detail["shape"]) == (1, sh, sw, HEAD_CHANNELS[head]):
            candidates[head].append(detail)
    chosen = {name: _pick(found) for name, found in candidates.items()}
    if any(d is None for d in chosen.values()):
        return None
    refs = {name: _tensor_ref(d) for name, d in chosen.items()}
    centre_sigmoid = heatmap_sigmoid = None
    if ops_details is not None:
        by_index = {int(d["index"]): d for d in tensor_details}
        centre_sigmoid = _sigmoid_of(refs["centre"].index, ops_details, by_index)
        heatmap_sigmoid = _sigmoid_of(refs["keypoint_heatmaps"].index, ops_details, by_index)
    return HeadTensors(**refs, centre_sigmoid=centre_sigmoid, heatmap_sigmoid=heatmap_sigmoid,
                       input_size=(h, w))


def read_heads(get_tensor: Callable[[int], np.ndarray], tensors: HeadTensors) -> Heads:
    """Read and dequantize the heads of the last inference.

    Probabilities come from the graph's own sigmoid tensors when :class:`HeadTensors` has
    them, else from :func:`sigmoid` of the dequantized logits.

    Args:
        get_tensor: the runtime's tensor reader (TFLite ``Interpreter.get_tensor``), called
            with :attr:`TensorRef.index`; must return the tensor of the last inference.
        tensors: where the heads are (:func:`locate_heads`).

    Returns:
        :class:`Heads` with float32 arrays (fresh copies, batch axis dropped).
    """
    def read(ref: TensorRef) -> np.ndarray:
        return np.array(ref.to_float(get_tensor(ref.index))[0], dtype=np.float32)

    if tensors.centre_sigmoid is not None:
        centre = read(tensors.centre_sigmoid)
    else:
        centre = sigmoid(read(tensors.centre))
    if tensors.heatmap_sigmoid is not None:
        heatmaps = read(tensors.heatmap_sigmoid)
    else:
        heatmaps = sigmoid(read(tensors.keypoint_heatmaps))
    return Heads(centre[..., 0], heatmaps, read(tensors.regression), read(tensors.offsets), tensors.input_size)


#: Where the heatmap of cell i is actually centred relative to the keypoints the model reports
#: (measured, see the module docstring), in cells: normalised position (i + this) / S.
MEASURED_CELL_CENTRE = 0.5
#: The default for drawing: cell i covers [i / S, (i + 1) / S], the input pixels 4i..4i+3.
HEATMAP_CELL_CENTRE = MEASURED_CELL_CENTRE


def heatmap_extent(size: int, cell_centre: float = HEATMAP_CELL_CENTRE) -> tuple[float, float]:
    """The span of the model input (normalised 0..1) that a heatmap image of `size` cells covers.

    Cell i is centred at normalised position (i + cell_centre) / S and covers
    [(i + cell_centre - 0.5) / S, (i + cell_centre + 0.5) / S]; the whole image covers
    [(cell_centre - 0.5) / S, (S + cell_centre - 0.5) / S] on each axis.

    * ``cell_centre=0.0``: cell i sits at i / S (the decode's convention,
      final = (cell + offset) / S) and covers [(i - 0.5) / S, (i + 0.5) / S]; the heatmap
      covers [-0.5 / S, (S - 0.5) / S]. A decoded keypoint lies inside its chosen cell when
      its offset is in [-0.5, 0.5) (about a third of them: offsets centre on +0.4), and
      heatmaps show half a cell above and left of the keypoints the model reports.
    * ``cell_centre=0.5`` (the default, :data:`MEASURED_CELL_CENTRE`): cell i covers [i / S, (i + 1) / S],
      the heatmap covers exactly [0, 1]; a decoded keypoint lies inside its chosen cell when
      its offset is in [0, 1) (CenterNet's floor + offset convention, about 60% of them), and
      heatmap blobs sit on the keypoints.

    Args:
        size: S, heatmap cells along the axis (> 0).
        cell_centre: position of a cell's centre relative to its index, in cells.

    Returns:
        (lo, hi) normalised to the model input.

    Raises:
        ValueError: size < 1.
    """
    if size < 1:
        raise ValueError(f"heatmap size must be >= 1, got {size}")
    return (cell_centre - 0.5) / size, (size + cell_centre - 0.5) / size


def heatmap_rect_in_frame(mapping: InputMapping, size: int | tuple[int, int],
                          cell_centre: float = HEATMAP_CELL_CENTRE) -> tuple[float, float, float, float]:
    """Where a heatmap image of `size` cells lies in the frame, for drawing it over the video.

    Combines :func:`heatmap_extent` with the model-input box of `mapping` (letterbox or
    crop); the result is the rectangle an S x S image (row-major, row 0 at the top) must be
    stretched to so that each cell lands on the frame region it describes. Cell (i, j) is
    then the sub-rectangle (x + j * w / S, y + i * h / S, w / S, h / S).

    Args:
        mapping: the :class:`~.preprocess.InputMapping` of the frame that was inferred.
        size: S, or (Sh, Sw) for a non-square heatmap.
        cell_centre: see :func:`heatmap_extent`.

    Returns:
        (x, y, width, height) in frame pixels (float; may extend beyond the frame).

    Raises:
        ValueError: a size < 1.
    """
    sh, sw = (size, size) if np.isscalar(size) else size
    y0, y1 = heatmap_extent(int(sh), cell_centre)
    x0, x1 = heatmap_extent(int(sw), cell_centre)
    # The affine map of InputMapping.to_frame, in float64 (to_frame returns float32).
    ymin, xmin, ymax, xmax = mapping.box
    h, w = mapping.frame_size
    fx0, fx1 = ((xmin + x * (xmax - xmin)) * w for x in (x0, x1))
    fy0, fy1 = ((ymin + y * (ymax - ymin)) * h for y in (y0, y1))
    return float(fx0), float(fy0), float(fx1 - fx0), float(fy1 - fy0)
