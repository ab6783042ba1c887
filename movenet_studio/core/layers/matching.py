"""Match the tensors of model A to those of model B.

Two conversions of one network keep most tensor names but not all of them, not their
layout, and not their number: TFLite joins the names of fused ops with ``;`` (an int8 file
fuses differently from a float16 one), appends a digit to make a name unique
(``depthwise`` -> ``depthwise2``), and adds ``QUANTIZE`` / ``DEQUANTIZE`` tensors; tf2onnx
keeps the TFLite names but runs convolutions channels-first, adds ``Transpose`` values and
``__452:0`` suffixes; a PyTorch port has its own names altogether. :func:`match_tensors`
therefore pairs them in three passes, each only between tensors of compatible shape (equal,
or the same 4-D tensor channels-first on one side and channels-last on the other):

1. the **leading op path** (the name before the first ``;``) is equal;
2. the leading op paths are equal after :func:`name_key` (ONNX suffixes and TFLite's
   uniquifying trailing digits removed); among several candidates the one of the same op
   kind, then the earliest in B's order, wins;
3. what is left is aligned **by order**: between two consecutive pairs of passes 1-2 (kept
   only while they increase in both graphs), the longest common subsequence of shapes, where
   two known op kinds must also agree (a sigmoid never pairs with a convolution) and TFLite's
   own ``QUANTIZE`` / ``DEQUANTIZE`` copies take no part (they repeat their input's values).

Names and shapes cannot always decide: a ``[1, 96, 96, 96]`` tensor fits both layouts, and
the outputs of a multi-output op (``unstack_1``) share a name. Each pair therefore keeps its
**alternatives** (the other candidates of its pass, and the other layouts that fit), and
:func:`resolve_alternatives` settles them on the first frame by the values: each pair, in
A's order, takes the alternative closest to A's tensor that no earlier pair took.

Graphs whose branches run in another order (a port that computes the regression head first)
defeat an order alignment; :func:`match_by_values` then pairs what is still unmatched on the
first frame by the values themselves: each A tensor with the closest compatible unmatched B
tensor, when that is within :data:`VALUE_MATCH_MAX_ERROR` (noise / signal, i.e. SQNR >= 10 dB);
an order pair further off than that moves to a free B tensor within it.

Tensors of A or B that find no partner are counted as unmatched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .captured import CapturedTensor

#: How B's array is brought into A's layout before comparing.
SAME, NCHW_TO_NHWC, NHWC_TO_NCHW = "same", "nchw_to_nhwc", "nhwc_to_nchw"
#: numpy axes for np.transpose(b, axes) per layout change.
TRANSPOSES = {NCHW_TO_NHWC: (0, 2, 3, 1), NHWC_TO_NCHW: (0, 3, 1, 2)}

_ONNX_SUFFIX = re.compile(r"(__\d+)?(:\d+)?$")
_QDQ_SUFFIX = re.compile(r"_(DequantizeLinear|QuantizeLinear)(_Output)?$")
_TRAILING_DIGITS = re.compile(r"(?<=[A-Za-z])\d+$")
_OP_FAMILIES = {
    "conv_2d": "conv", "conv": "conv", "depthwise_conv_2d": "conv", "add": "add", "mul": "mul",
    "logistic": "sigmoid", "sigmoid": "sigmoid", "resize_bilinear": "resize", "resize": "resize",
    "reshape": "reshape", "squeeze": "reshape", "unsqueeze": "reshape", "flatten": "reshape",
    "expand_dims": "reshape", "transpose": "transpose", "identity": "identity",
    "concatenation": "concat", "concat": "concat", "div": "div", "sub": "sub",
}


def leading_op_path(name: str) -> str:
    """The part of a tensor name before the first ``;`` (TFLite appends fused op names after it)."""
    return name.split(";", 1)[0]


#: Trailing components of op names that say what the op is, not which layer it belongs to.
_GENERIC_PARTS = frozenset({"BiasAdd", "Conv2D", "FusedBatchNormV3", "Relu", "Relu6", "depthwise", "add", "AddV2",
                            "resize", "ResizeBilinear", "separable_conv2d", "conv2d", "Sigmoid", "mul", "sub"})


def layer_label(name: str) -> str:
    """A short label for the layer of a tensor: the last component of its leading op path that
    is not a generic op name nor the root scope (``.../block_8_project_BN/FusedBatchNormV3/BiasAdd``
    -> ``block_8_project_BN``; ``StatefulPartitionedCall/Sigmoid`` -> ``Sigmoid``)."""
    parts = [p for p in leading_op_path(name).split("/") if p]
    for part in reversed(parts[1:]):  # the first component is the graph's root scope
        if part not in _GENERIC_PARTS and _TRAILING_DIGITS.sub("", part) not in _GENERIC_PARTS:
            return part
    return parts[-1] if parts else name


def name_key(name: str) -> str:
    """The leading op path without ONNX / QDQ suffixes and TFLite's uniquifying trailing digits.

    ``.../separable_conv2d/depthwise4`` -> ``.../separable_conv2d/depthwise``;
    ``StatefulPartitionedCall/unstack__121:0`` -> ``StatefulPartitionedCall/unstack``.
    (Layer names that end in a digit lose it too, e.g. ``Relu6`` -> ``Relu``; both sides are
    normalised alike, and shape and order separate what this merges.)
    """
    path = _QDQ_SUFFIX.sub("", _ONNX_SUFFIX.sub("", leading_op_path(name)))
    parts = path.split("/")
    parts[-1] = _TRAILING_DIGITS.sub("", parts[-1])
    return "/".join(parts)


def layouts_that_fit(shape_a: Sequence[int], shape_b: Sequence[int]) -> tuple[str, ...]:
    """Every way B's tensor maps onto A's: :data:`SAME` and/or a 4-D layout change (may be empty)."""
    a, b = tuple(shape_a), tuple(shape_b)
    fits = [SAME] if a == b else []
    if len(a) == 4 and len(b) == 4:
        if (b[0], b[2], b[3], b[1]) == a:
            fits.append(NCHW_TO_NHWC)
        if (b[0], b[3], b[1], b[2]) == a:
            fits.append(NHWC_TO_NCHW)
    return tuple(dict.fromkeys(fits))


def layout_change(shape_a: Sequence[int], shape_b: Sequence[int]) -> str | None:
    """How B's tensor maps onto A's: :data:`SAME` first, else a 4-D layout change, else None."""
    fits = layouts_that_fit(shape_a, shape_b)
    return fits[0] if fits else None


#: TFLite ops that only re-quantise a value: never paired by order.
_REQUANTISE_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})
#: Candidates by order kept as alternatives per pair (nearest in B's order first).
MAX_ORDER_ALTERNATIVES = 6


def _family(op: str) -> str:
    key = op.lower()
    return _OP_FAMILIES.get(key, key)


def _order_compatible(a: CapturedTensor, b: CapturedTensor) -> tuple[str, ...]:
    """Layouts by which `b` may pair with `a` in the order pass (empty: not at all)."""
    if a.op in _REQUANTISE_OPS or b.op in _REQUANTISE_OPS:
        return ()
    known_a, known_b = a.op.lower() in _OP_FAMILIES, b.op.lower() in _OP_FAMILIES
    if known_a and known_b and _family(a.op) != _family(b.op):
        return ()
    return layouts_that_fit(a.shape, b.shape)


@dataclass(frozen=True, slots=True)
class TensorPair:
    """One matched pair: indices into A's and B's captured tensors and B's layout change.

    Attributes:
        a: index of the tensor in A's capture list (its depth).
        b: index in B's capture list.
        layout: :data:`SAME`, :data:`NCHW_TO_NHWC` or :data:`NHWC_TO_NCHW`.
        by: which pass made it: ``name``, ``key``, ``order`` or ``values``.
        alternatives: every (b, layout) this pair could be, the chosen one included.
    """

    a: int
    b: int
    layout: str
    by: str
    alternatives: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Matching:
    """The result of :func:`match_tensors`.

    Attributes:
        pairs: matched pairs in A's graph order.
        unmatched_a: A's tensors without a partner.
        unmatched_b: B's tensors without a partner.
    """

    pairs: tuple[TensorPair, ...]
    unmatched_a: int
    unmatched_b: int


def match_tensors(a: Sequence[CapturedTensor], b: Sequence[CapturedTensor]) -> Matching:
    """Pair A's tensors with B's (see the module docstring for the three passes).

    Args:
        a: A's captured tensors in A's graph order.
        b: B's captured tensors in B's graph order.

    Returns:
        :class:`Matching`; each tensor is in at most one pair.
    """
    pairs: dict[int, TensorPair] = {}
    used_b: set[int] = set()
    for by, key in (("name", leading_op_path), ("key", name_key)):
        candidates: dict[str, list[int]] = {}
        for j, tensor in enumerate(b):
            if j not in used_b:
                candidates.setdefault(key(tensor.key_name), []).append(j)
        for i, tensor in enumerate(a):
            if i in pairs:
                continue
            options = [(j, layout) for j in candidates.get(key(tensor.key_name), ())
                       for layout in layouts_that_fit(tensor.shape, b[j].shape)]
            free = [o for o in options if o[0] not in used_b]
            if not free:
                continue
            same_op = [o for o in free if _family(b[o[0]].op) == _family(tensor.op)]
            j, layout = (same_op or free)[0]
            pairs[i] = TensorPair(i, j, layout, by, tuple(options))
            used_b.add(j)
    for pair in _align_gaps(a, b, pairs, used_b):
        pairs[pair.a] = pair
        used_b.add(pair.b)
    ordered = tuple(pairs[i] for i in sorted(pairs))
    return Matching(ordered, len(a) - len(ordered), len(b) - len(ordered))


def _align_gaps(a, b, pairs: dict[int, TensorPair], used_b: set[int]) -> list[TensorPair]:
    """Pass 3: longest common subsequence of compatible shapes between monotone anchors."""
    anchors = [(-1, -1)]
    for i in sorted(pairs):
        if pairs[i].b > anchors[-1][1]:
            anchors.append((i, pairs[i].b))
    anchors.append((len(a), len(b)))
    found: list[TensorPair] = []
    for (a0, b0), (a1, b1) in zip(anchors, anchors[1:]):
        left = [i for i in range(a0 + 1, a1) if i not in pairs]
        right = [j for j in range(b0 + 1, b1) if j not in used_b]
        if left and right:
            found.extend(_lcs(a, b, left, right))
    return found


def _lcs(a, b, left: list[int], right: list[int]) -> list[TensorPair]:
    n, m = len(left), len(right)
    fits = [[_order_compatible(a[i], b[j]) for j in right] for i in left]
    layouts = [[f[0] if f else None for f in row] for row in fits]
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for x in range(n - 1, -1, -1):
        row, below = table[x], table[x + 1]
        for y in range(m - 1, -1, -1):
            row[y] = below[y + 1] + 1 if layouts[x][y] else max(below[y], row[y + 1])
    out, x, y = [], 0, 0
    while x < n and y < m:
        if layouts[x][y] and table[x][y] == table[x + 1][y + 1] + 1:
            near = sorted((k for k in range(m) if fits[x][k]), key=lambda k: abs(k - y))[:MAX_ORDER_ALTERNATIVES]
            options = tuple((right[k], f) for k in near for f in fits[x][k])
            out.append(TensorPair(left[x], right[y], layouts[x][y], "order", options))
            x, y = x + 1, y + 1
        elif table[x + 1][y] >= table[x][y + 1]:
            x += 1
        else:
            y += 1
    return out


def resolve_alternatives(matching: Matching, a: Sequence[CapturedTensor], b: Sequence[CapturedTensor],
                         error) -> Matching:
    """Settle ambiguous pairs by their values (see the module docstring).

    Args:
        matching: the result of :func:`match_tensors` for `a` and `b`.
        a, b: the captured tensors of A and B.
        error: ``error(a_index, b_index, layout) -> float``, e.g. the noise-to-signal ratio
            of B's tensor against A's on one frame (lower is closer).

    Returns:
        A new :class:`Matching`. A pair whose every alternative an earlier pair took tries
        the B tensors that other pairs gave up (shape permitting), else becomes unmatched.
    """
    claimed: set[int] = set()
    released: set[int] = set()
    by_a: dict[int, TensorPair] = {}
    dropped: list[TensorPair] = []
    for pair in matching.pairs:
        options = [o for o in dict.fromkeys(((pair.b, pair.layout), *pair.alternatives)) if o[0] not in claimed]
        if not options:
            dropped.append(pair)
            continue
        j, layout = options[0] if len(options) == 1 else min(options, key=lambda o: error(pair.a, *o))
        if j != pair.b:
            released.add(pair.b)
        claimed.add(j)
        by_a[pair.a] = TensorPair(pair.a, j, layout, pair.by, pair.alternatives)
    for pair in dropped:
        fits = [(j, layout) for j in sorted(released - claimed)
                for layout in layouts_that_fit(a[pair.a].shape, b[j].shape)]
        if fits:
            j, layout = min(fits, key=lambda o: error(pair.a, *o))
            claimed.add(j)
            by_a[pair.a] = TensorPair(pair.a, j, layout, pair.by, pair.alternatives)
    pairs = tuple(by_a[i] for i in sorted(by_a))
    return Matching(pairs, len(a) - len(pairs), len(b) - len(pairs))


#: :func:`match_by_values` pairs tensors whose noise-to-signal ratio is at most this (10 dB).
VALUE_MATCH_MAX_ERROR = 0.1


def match_by_values(matching: Matching, a: Sequence[CapturedTensor], b: Sequence[CapturedTensor],
                    error, max_error: float = VALUE_MATCH_MAX_ERROR) -> Matching:
    """Pair still-unmatched tensors by their values (see the module docstring).

    Args:
        matching: after :func:`resolve_alternatives`.
        a, b: the captured tensors.
        error: as for :func:`resolve_alternatives`.
        max_error: the largest noise-to-signal ratio accepted.
    """
    pairs_by_a = {p.a: p for p in matching.pairs}
    used_b = {p.b for p in matching.pairs}
    for pair in list(pairs_by_a.values()):  # an order pair far off: a clearly closer free B tensor wins
        if pair.by != "order":
            continue
        current = error(pair.a, pair.b, pair.layout)
        if current <= max_error:
            continue
        options = [(error(pair.a, j, layout), j, layout) for j, other in enumerate(b) if j not in used_b
                   for layout in _order_compatible(a[pair.a], other)]
        if options and (best := min(options))[0] <= max_error:
            used_b.discard(pair.b)
            used_b.add(best[1])
            pairs_by_a[pair.a] = TensorPair(pair.a, best[1], best[2], "values")
    matching = Matching(tuple(pairs_by_a[i] for i in sorted(pairs_by_a)), matching.unmatched_a, matching.unmatched_b)
    used_a = set(pairs_by_a)
    found: list[TensorPair] = []
    for i, tensor in enumerate(a):
        if i in used_a:
            continue
        options = [(j, layout) for j, other in enumerate(b) if j not in used_b
                   for layout in _order_compatible(tensor, other)]
        if not options:
            continue
        scored = [(error(i, j, layout), j, layout) for j, layout in options]
        best, j, layout = min(scored)
        if best <= max_error:
            found.append(TensorPair(i, j, layout, "values"))
            used_b.add(j)
    if not found:
        return matching
    pairs = tuple(sorted((*matching.pairs, *found), key=lambda p: p.a))
    return Matching(pairs, len(a) - len(pairs), len(b) - len(pairs))
