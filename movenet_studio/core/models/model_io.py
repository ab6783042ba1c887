"""What a MoveNet model file is: input quantisation and layout, output kind, keypoint set.

Deployment zoos and ports ship MoveNet in several shapes (see ``../shared/models/zoo``):

* input: uint8 pixels; int8 with a scale and zero point (NPU flows: scale 1, zero point
  -128, i.e. pixel - 128); float32 with an expected value range (0..255 by default, -1..1 or
  0..1 for some ports); NHWC ``[1,H,W,3]`` or channels-first NCHW ``[1,3,H,W]``;
* output kind (:data:`KINDS`):

  - ``keypoints``: ``[1,1,K,3]`` or flat ``[1,K*3]`` (y, x, score), K = 17 or 13;
  - ``multipose``: ``[1,6,56]``;
  - ``heatmaps``: one ``[1,S,S,K]`` / ``[1,K,S,S]`` map per keypoint (ST's "heatmaps_spe"),
    probabilities when a sigmoid ends the graph, else logits;
  - ``heads``: the four raw heads (centre 1 channel, keypoint heatmaps K, regression 2K,
    offsets 2K), NHWC or NCHW; regression is told from offsets by name (``offset``,
    ``kpt_offset`` vs ``regress``, ``hps``) and, when names do not say, by magnitude on the
    first frame (regression spans cells to the keypoints, offsets stay within about a cell);

* int8 outputs are dequantised with their scale and zero point.

Files that need custom ops the desktop runtimes cannot resolve are refused before any
signature check, saying what they are (an Arm Vela ``ethos-u`` file runs only on an
Ethos-U NPU). Refusals describe what the file looks like.

:func:`inspect_signature` applies these rules to a :class:`~.signature.ModelSignature`
(from :func:`~.graph.read_signature`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import ModelError
from ..decoding.heads import head_scope
from ..decoding.keypoint_sets import KEYPOINT_SETS, KeypointSet, keypoint_set_for
from ..decoding.output_decode import OutputDecoder
from .graph import read_signature
from .signature import ModelSignature, TensorSignature
from ..runtimes.tensors import NCHW, NHWC

KINDS = ("keypoints", "multipose", "heatmaps", "heads")
HEAD_ROLES = ("centre", "keypoint_heatmaps", "regression", "offsets")
#: Expected value ranges of a float32 image input, by name.
FLOAT_RANGES: dict[str, tuple[float, float]] = {"0..255": (0.0, 255.0), "-1..1": (-1.0, 1.0), "0..1": (0.0, 1.0)}
#: TFLite custom ops that the desktop interpreter resolves itself.
_RESOLVABLE_CUSTOM = frozenset({"TFLite_Detection_PostProcess"})


@dataclass(frozen=True, slots=True)
class InputSpec:
    """The image input.

    Attributes:
        name: tensor name.
        dtype: ``uint8``, ``int8``, ``int32`` or ``float32``.
        layout: ``NHWC`` or ``NCHW``.
        size: (height, width) in pixels; (-1, -1) when dynamic.
        scale, zero_point: quantisation of an integer input (scale 0.0: raw pixels).
        value_range: (lo, hi) a float32 input expects pixel 0..255 mapped to (default 0..255).
    """

    name: str
    dtype: str
    layout: str
    size: tuple[int, int]
    scale: float = 0.0
    zero_point: int = 0
    value_range: tuple[float, float] = (0.0, 255.0)

    @property
    def quantised(self) -> bool:
        """True for an integer input whose scale / zero point change the pixel values."""
        return self.scale != 0.0 and (self.scale, self.zero_point) != (1.0, 0)

    def describe(self) -> str:
        """E.g. ``int8 NHWC 192x192, scale 1 zero point -128 (pixel - 128)``."""
        text = f"{self.dtype} {self.layout} {'x'.join(str(v) if v > 0 else '?' for v in self.size)}"
        if self.quantised:
            text += f", scale {self.scale:g} zero point {self.zero_point}"
            if self.scale == 1.0:
                text += f" (pixel {'-' if self.zero_point < 0 else '+'} {abs(self.zero_point)})"
        elif self.dtype == "float32":
            text += f", expects {range_name(self.value_range)}"
        return text


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """One graph output the decode reads.

    Attributes:
        index: position among the graph's outputs.
        name: tensor name.
        role: ``keypoints``, ``multipose``, ``heatmaps``, one of :data:`HEAD_ROLES`, or
            ``regression_or_offsets`` (decided by magnitude on the first frame).
        dtype: numpy dtype name.
        layout: ``NHWC`` / ``NCHW`` for 4-D maps, ``flat`` for [1, K*3], else ``""``.
        scale, zero_point: dequantisation of an int8/uint8 output (scale 0.0: float).
        activation: ``probabilities`` or ``logits`` for heatmaps and centre maps, else ``""``.
    """

    index: int
    name: str
    role: str
    dtype: str
    layout: str = ""
    scale: float = 0.0
    zero_point: int = 0
    activation: str = ""

    def describe(self) -> str:
        """E.g. ``keypoint_heatmaps hm_hp float32 NCHW logits``."""
        parts = [self.role, self.name, self.dtype]
        if self.scale:
            parts.append(f"(scale {self.scale:.6g} zero point {self.zero_point}, dequantised)")
        parts += [p for p in (self.layout, self.activation) if p]
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class ModelIO:
    """How to feed a model file and read its outputs (the result of :func:`inspect_signature`).

    Attributes:
        input: the image input.
        kind: one of :data:`KINDS`.
        outputs: the outputs the decode reads, with their roles.
        num_keypoints: K (17 or 13).
        signature: everything the file declares.
        role_rule: for ``heads``: ``names`` or ``magnitude`` (how regression and offsets are told apart).
    """

    input: InputSpec
    kind: str
    outputs: tuple[OutputSpec, ...]
    num_keypoints: int
    signature: ModelSignature
    role_rule: str = ""

    @property
    def keypoint_set(self) -> KeypointSet:
        """The keypoint set (COCO-17 or ST's 13)."""
        return keypoint_set_for(self.num_keypoints)

    @property
    def map_layout(self) -> str:
        """``NHWC`` / ``NCHW`` of the heatmap or head outputs (``""`` for other kinds)."""
        return next((o.layout for o in self.outputs if o.layout in (NHWC, NCHW)), "")

    def with_input_range(self, value_range: tuple[float, float]) -> "ModelIO":
        """A copy whose float input expects `value_range` (ignored for integer inputs)."""
        return replace(self, input=replace(self.input, value_range=tuple(float(v) for v in value_range)))

    def describe(self) -> list[str]:
        """Human lines: input, kind, outputs, keypoint set, ops (for ``models FILE`` and Model info)."""
        kind = self.kind
        if kind in ("heatmaps", "heads"):
            kind += f" {self.map_layout}"
        if kind.startswith("heads"):
            kind += f", regression vs offsets by {self.role_rule}"
        lines = [f"input   {self.input.describe()}", f"kind    {kind}"]
        lines += [f"output  {o.describe()}" for o in self.outputs]
        lines.append(f"keypoints {self.keypoint_set.label}: {', '.join(self.keypoint_set.names)}")
        ops = ", ".join(f"{name} {count}" for name, count in self.signature.op_counts[:8])
        more = len(self.signature.op_counts) - 8
        lines.append(f"ops     {sum(c for _, c in self.signature.op_counts)} in {len(self.signature.op_counts)} types"
                     + (f": {ops}{f', +{more} more' if more > 0 else ''}" if ops else ""))
        custom = ", ".join(f"{n} x{c}" for n, c in self.signature.custom_ops) or "none"
        lines.append(f"custom ops {custom}")
        return lines

    def to_json(self) -> dict:
        """The facts as JSON-ready values (the ``model`` block of ``infer --json``)."""
        i = self.input
        return {
            "kind": self.kind,
            "input": {"name": i.name, "dtype": i.dtype, "layout": i.layout, "size": list(i.size),
                      "scale": i.scale or None, "zero_point": i.zero_point if i.scale else None,
                      "value_range": list(i.value_range) if i.dtype == "float32" else None},
            "outputs": [{"name": o.name, "role": o.role, "dtype": o.dtype, "layout": o.layout or None,
                         "scale": o.scale or None, "zero_point": o.zero_point if o.scale else None,
                         "activation": o.activation or None} for o in self.outputs],
            "keypoint_set": self.keypoint_set.key, "num_keypoints": self.num_keypoints,
            "role_rule": self.role_rule or None,
            "op_counts": dict(self.signature.op_counts), "custom_ops": dict(self.signature.custom_ops),
        }


def range_name(value_range: tuple[float, float]) -> str:
    """``0..255``, ``-1..1``, ``0..1`` or ``lo..hi``."""
    for name, r in FLOAT_RANGES.items():
        if tuple(value_range) == r:
            return name
    return f"{value_range[0]:g}..{value_range[1]:g}"


def parse_range(text: str) -> tuple[float, float]:
    """``0..255`` / ``-1..1`` / ``0..1`` (or any ``lo..hi`` with lo < hi) -> (lo, hi).

    Raises:
        ValueError: not of that form.
    """
    if text in FLOAT_RANGES:
        return FLOAT_RANGES[text]
    try:
        lo, hi = (float(v) for v in text.split(".."))
    except ValueError:
        raise ValueError(f"input range '{text}': use {', '.join(FLOAT_RANGES)} or lo..hi") from None
    if not lo < hi:
        raise ValueError(f"input range '{text}': lo must be below hi")
    return lo, hi


def npu_only_reason(signature: ModelSignature, filename: str) -> str | None:
    """Why a file cannot run on a desktop runtime (custom ops it needs), or None.

    Arm Vela replaces the parts of a graph that an Ethos-U NPU runs by ``ethos-u`` custom
    ops holding the NPU's command stream; only the NPU's driver resolves them.
    """
    custom = [(n, c) for n, c in signature.custom_ops if n not in _RESOLVABLE_CUSTOM]
    if not custom:
        return None
    if any(name.lower() == "ethos-u" for name, _ in custom):
        count = sum(c for n, c in custom if n.lower() == "ethos-u")
        return (f"{filename}: compiled by Arm Vela for an Ethos-U NPU ({count} ethos-u custom ops): it runs only on "
                f"that NPU, not on a desktop runtime; open the .tflite that went into Vela instead")
    names = ", ".join(f"{n} (x{c})" for n, c in custom)
    return f"{filename}: needs custom ops that the desktop runtimes cannot resolve: {names}"


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join("?" if d < 0 else str(d) for d in shape) + "]"


def _input_spec(t: TensorSignature) -> InputSpec | str:
    shape = t.shape
    if len(shape) != 4 or shape[0] not in (1, -1):
        return f"input {t.dtype}{_dims(shape)} is not one image [1,H,W,3] or [1,3,H,W]"
    if shape[3] == 3:
        layout, h, w = NHWC, shape[1], shape[2]
    elif shape[1] == 3:
        layout, h, w = NCHW, shape[2], shape[3]
    else:
        channels = shape[3] if shape[1] > 3 or shape[1] < 0 else shape[1]
        return f"input {t.dtype}{_dims(shape)} has {channels} channels; MoveNet takes an RGB image (3 channels)"
    if t.dtype not in ("uint8", "int8", "int32", "float32"):
        return f"input {t.dtype}{_dims(shape)}: MoveNet takes uint8, int8, int32 or float32 pixels"
    size = (int(h), int(w)) if h > 0 and w > 0 else (-1, -1)
    return InputSpec(t.name, t.dtype, layout, size, t.scale, t.zero_point)


def _map_layout(shape: tuple[int, ...]) -> tuple[str, int, int] | None:
    """(layout, S, channels) of a 4-D square map [1,S,S,C] or [1,C,S,S]; None otherwise."""
    if len(shape) != 4 or shape[0] not in (1, -1):
        return None
    if shape[1] == shape[2] > 1 and shape[3] != shape[1]:
        return NHWC, shape[1], shape[3]
    if shape[2] == shape[3] > 1 and shape[1] != shape[2]:
        return NCHW, shape[2], shape[1]
    return None


def _output(t: TensorSignature, index: int, role: str, layout: str = "", maps: bool = False) -> OutputSpec:
    quantised = t.scale if t.dtype in ("int8", "uint8") else 0.0
    activation = ("probabilities" if t.after_sigmoid else "logits") if maps else ""
    return OutputSpec(index, t.name, role, t.dtype, layout, quantised, t.zero_point if quantised else 0, activation)


def _role_by_name(name: str) -> str | None:
    scope = head_scope(name)
    if scope in ("regression", "offsets"):
        return scope
    lowered = name.lower()
    if "offset" in lowered:
        return "offsets"
    if "regress" in lowered or "hps" in lowered.replace("hp_", "") or lowered.endswith("reg"):
        return "regression"
    return None


def _heads(outputs: tuple[TensorSignature, ...]) -> tuple[tuple[OutputSpec, ...], int, str] | None:
    maps = [(i, t, _map_layout(t.shape)) for i, t in enumerate(outputs)]
    if len(maps) != 4 or any(m is None for _, _, m in maps):
        return None
    layouts = {m[0] for _, _, m in maps}
    sizes = {m[1] for _, _, m in maps}
    if len(layouts) != 1 or len(sizes) != 1:
        return None
    layout = layouts.pop()
    by_channels = sorted(maps, key=lambda m: m[2][2])
    channels = [m[2][2] for m in by_channels]
    k = channels[1]
    if channels[0] != 1 or k not in KEYPOINT_SETS or channels[2:] != [2 * k, 2 * k]:
        return None
    (ci, ct, _), (hi, ht, _), pair_a, pair_b = by_channels
    specs = [_output(ct, ci, "centre", layout, maps=True), _output(ht, hi, "keypoint_heatmaps", layout, maps=True)]
    roles = [_role_by_name(pair_a[1].name), _role_by_name(pair_b[1].name)]
    if sorted(r for r in roles if r) == ["offsets", "regression"] or (None in roles and any(roles)):
        known = next(r for r in roles if r)
        other = "regression" if known == "offsets" else "offsets"
        roles = [r or other for r in roles]
        rule = "names"
    else:
        roles, rule = ["regression_or_offsets"] * 2, "magnitude"
    for (i, t, _), role in zip((pair_a, pair_b), roles):
        specs.append(_output(t, i, role, layout))
    return tuple(specs), k, rule


def input_problem(signature: ModelSignature, filename: str) -> str | None:
    """Why the file's inputs are not MoveNet's one image input (an NPU-only file, another input
    count, a non-image input), as one line naming `filename`; None when they are."""
    reason = npu_only_reason(signature, filename)
    if reason:
        return reason
    if len(signature.inputs) != 1:
        return (f"{filename}: not a MoveNet model: it has {len(signature.inputs)} inputs "
                f"({', '.join(f'{t.dtype}{_dims(t.shape)}' for t in signature.inputs) or 'none'}); "
                f"MoveNet has one image input")
    image = _input_spec(signature.inputs[0])
    return f"{filename}: not a MoveNet model: {image}" if isinstance(image, str) else None


def inspect_signature(signature: ModelSignature, filename: str) -> ModelIO:
    """Decide what a model file is, by the rules of the module docstring.

    Args:
        signature: what the file declares (:func:`~.graph.read_signature`).
        filename: for messages.

    Returns:
        :class:`ModelIO`.

    Raises:
        ModelError: NPU-only file (custom ops; checked first), or not MoveNet: the message
            says what the file looks like.
    """
    problem = input_problem(signature, filename)
    if problem:
        raise ModelError(problem)
    image = _input_spec(signature.inputs[0])
    outputs = signature.outputs
    if not outputs:
        raise ModelError(f"{filename}: not a MoveNet model: it has no outputs")
    first = outputs[0]
    shape = first.shape
    if len(shape) == 4 and shape[1] == 1 and shape[3] == 3 and shape[2] in KEYPOINT_SETS:
        return _single(image, "keypoints", (_output(first, 0, "keypoints"),), shape[2], signature, filename)
    if len(shape) == 2 and shape[0] in (1, -1) and shape[1] in (3 * k for k in KEYPOINT_SETS):
        return _single(image, "keypoints", (_output(first, 0, "keypoints", "flat"),), shape[1] // 3, signature, filename)
    if len(shape) == 3 and shape[2] == 56:
        return ModelIO(image, "multipose", (_output(first, 0, "multipose"),), 17, signature)
    heads = _heads(outputs)
    if heads is not None:
        specs, k, rule = heads
        return _single(image, "heads", specs, k, signature, filename, rule)
    m = _map_layout(shape)
    if len(outputs) == 1 and m is not None and m[2] in KEYPOINT_SETS:
        return _single(image, "heatmaps", (_output(first, 0, "heatmaps", m[0], maps=True),), m[2], signature, filename)
    raise ModelError(f"{filename}: not a MoveNet model: {_looks_like(outputs)}")


def _single(image: InputSpec, kind: str, outputs, k: int, signature: ModelSignature, filename: str,
            rule: str = "") -> ModelIO:
    if image.size[0] < 32 or image.size[0] != image.size[1]:
        raise ModelError(f"{filename}: not a MoveNet model: a single-pose input must be square and static "
                         f"(>= 32 px); it has {image.dtype} {image.layout} {'x'.join(map(str, image.size))}")
    return ModelIO(image, kind, tuple(outputs), int(k), signature, rule)


def _looks_like(outputs: tuple[TensorSignature, ...]) -> str:
    """What the outputs look like, for a refusal."""
    described = []
    for t in outputs[:4]:
        shape = t.shape
        m = _map_layout(shape)
        text = (f"outputs {t.dtype}{_dims(shape)}" if len(outputs) == 1
                else f"output {t.name} {t.dtype}{_dims(shape)}")
        if m is not None:
            text += f": a heatmap-like output with {m[2]} channels; MoveNet has 17 or 13 keypoints"
        elif len(shape) == 2 and shape[0] in (1, -1):
            text += (f": a flat vector of {shape[1]} values (a classifier or embedding?); "
                     f"MoveNet's flat keypoints have 51 or 39 values")
        elif len(shape) == 4 and shape[-1] == 3:
            text += f": {shape[-2]} keypoints of (y, x, score); MoveNet has 17 or 13"
        else:
            text += ": not keypoints [1,1,K,3], MultiPose [1,6,56], heatmaps [1,S,S,K] or the four heads"
        described.append(text)
    more = f" (+{len(outputs) - 4} more outputs)" if len(outputs) > 4 else ""
    return "; ".join(described) + more


def model_io(spec) -> ModelIO | None:
    """The :class:`ModelIO` of a :class:`~.catalog.ModelSpec`: its own, or read from its file
    (bundled catalog models); None when the file cannot be read."""
    if spec.io is not None:
        return spec.io
    try:
        return inspect_signature(read_signature(spec.path), spec.path.name)
    except (ModelError, OSError):
        return None


def output_indices(io: ModelIO | None) -> tuple[int, ...]:
    """Graph-output positions the decode reads, in :attr:`ModelIO.outputs` order (``(0,)`` for
    bundled models, which have no :class:`ModelIO`)."""
    return tuple(o.index for o in io.outputs) if io is not None else (0,)


def output_decoder(spec) -> OutputDecoder:
    """The decoder for the outputs of the :class:`~.catalog.ModelSpec` `spec`, chosen once by its
    output kind (bundled files, which have no :class:`ModelIO`: ``keypoints`` or ``multipose``
    by architecture)."""
    io = spec.io
    name = spec.path.name
    if io is None:
        kind = "multipose" if spec.architecture == "multipose" else "keypoints"
        return OutputDecoder(kind, spec.num_keypoints, spec.input_size, name)
    return OutputDecoder(io.kind, io.num_keypoints, spec.input_size, name,
                         roles=tuple(o.role for o in io.outputs), activations=tuple(o.activation for o in io.outputs),
                         layouts=tuple(o.layout for o in io.outputs))
