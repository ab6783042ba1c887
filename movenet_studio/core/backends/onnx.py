"""ONNX Runtime backend: CPU always, accelerated execution providers when installed.

Heads on ONNX. The bundled ``.onnx`` files are tf2onnx conversions of the TFLite graphs:
the graph runs NCHW internally (ONNX ``Conv`` is NCHW) with ``Transpose`` nodes around it,
and node outputs keep the TFLite tensor names (``StatefulPartitionedCall/kpt_offset_0/
conv2d_7/BiasAdd/BiasAdd;StatefulPartitionedCall/kpt_regress_0/...``, sometimes with a
``__452:0`` suffix after a transpose). ONNX Runtime can only return graph outputs, so with
``heads=True`` the backend builds, in memory, a copy of the model whose graph also outputs
the head tensors (:func:`add_head_outputs`) and fetches them with every run.

The heads are found by the same rules as on TFLite (:func:`~movenet_studio.core.heads.
locate_heads`: leading-op-path scope + shape ``[1, H/4, W/4, C]``), applied to a TFLite-style
tensor list built from the ONNX graph (:func:`locate_onnx_heads`):

* shapes come from ``onnx.shape_inference``; a 4-D value counts in its logical NHWC shape,
  so an NCHW ``[1, C, S, S]`` convolution output is presented as ``[1, S, S, C]`` and
  transposed in numpy when read;
* outputs of pure layout ops (``Transpose``, ``Reshape``, ``Identity``, ``Squeeze``,
  ``Unsqueeze``) are left out when they only re-lay-out another head tensor or a
  ``Sigmoid`` output: tf2onnx's transpose optimiser pushes transposes through the sigmoid,
  so e.g. the Lightning file's NHWC ``.../center_0/conv2d_4/BiasAdd/BiasAdd;...__474:0``
  holds the centre *probabilities*, not the logits its name says;
* QDQ graphs (ONNX Runtime static quantisation) hold three same-named copies of each head:
  the float ``Conv`` output, its ``QuantizeLinear`` (integer) and ``DequantizeLinear`` (float)
  copies. The dequantised copy is what the rest of the graph computes on, so it is the one
  read (and the integer copy is never listed);
* ``Sigmoid`` nodes are given as ``LOGISTIC`` ops, so the graph's own sigmoid of the centre
  and heatmap logits is found by topology and read, exactly as the TFLite backend does (see
  :mod:`movenet_studio.core.heads`, "Sigmoids"); without one the sigmoid is applied in numpy.

Measured on the bundled float16 files (tests/test_onnx.py, same model input on both runtimes):
centre and heatmap probabilities within 5e-6 of TFLite's, regression and offsets within 5e-4
cells, model outputs within 2.4e-7 (normalised); both runtimes compute float32 from the same
float16-stored weights, so only summation order differs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import BackendError
from ..heads import HEAD_CHANNELS, HEAD_STRIDE, Heads, HeadTensors, head_scope, locate_heads, read_heads
from ..models import ModelSpec
from ..output_decode import DecodedOutput, OutputDecoder
from ..text import first_line
from .onnx_external import model_bytes
from .tensors import output_indices, output_to_float, prepare_input

CPU = "CPUExecutionProvider"
#: Preference order when no provider is asked for (first available wins; CPU is the fallback).
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "OpenVINOExecutionProvider", "CoreMLExecutionProvider",
                       "DmlExecutionProvider", CPU)
#: Short names accepted by :func:`normalize_provider` (case-insensitive).
PROVIDER_ALIASES = {
    "cpu": CPU, "cuda": "CUDAExecutionProvider", "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider", "openvino": "OpenVINOExecutionProvider",
    "coreml": "CoreMLExecutionProvider", "dml": "DmlExecutionProvider", "directml": "DmlExecutionProvider",
    "rocm": "ROCMExecutionProvider", "migraphx": "MIGraphXExecutionProvider", "qnn": "QNNExecutionProvider",
    "xnnpack": "XnnpackExecutionProvider", "webgpu": "WebGpuExecutionProvider",
}
_ORT_DTYPES = {"tensor(uint8)": np.uint8, "tensor(int8)": np.int8, "tensor(int32)": np.int32,
               "tensor(float)": np.float32}
#: Ops that only move values around: their output is the same tensor in another layout.
_LAYOUT_OPS = frozenset({"Transpose", "Reshape", "Identity", "Squeeze", "Unsqueeze"})
NHWC, NCHW = "NHWC", "NCHW"


def _ort():
    try:
        import onnxruntime
    except ImportError:
        raise BackendError("ONNX Runtime is not installed: pip install onnxruntime") from None
    return onnxruntime


def available_providers() -> tuple[str, ...]:
    """Execution providers this onnxruntime build lists (CPU always among them).

    Listed is not the same as usable: a provider can still fail to start (no driver, no
    device); :class:`OnnxBackend` then falls back to CPU and says so in :attr:`OnnxBackend.note`.
    """
    ort = _ort()
    return tuple(p for p in ort.get_available_providers() if p != "AzureExecutionProvider")


def normalize_provider(name: str | None) -> str | None:
    """The ONNX Runtime provider name for `name`: ``cuda`` -> ``CUDAExecutionProvider``.

    Full names pass through unchanged; short names (:data:`PROVIDER_ALIASES`, also with an
    ``ExecutionProvider`` suffix in any case) are expanded. None and ``""`` give None (auto).
    """
    if not name:
        return None
    key = name.strip().lower()
    if key.endswith("executionprovider"):
        key = key[: -len("executionprovider")]
    return PROVIDER_ALIASES.get(key, name.strip())


def runtime_version() -> str:
    """``onnxruntime X.Y.Z``, or ``none``."""
    try:
        return f"onnxruntime {_ort().__version__}"
    except BackendError:
        return "none"


@dataclass(frozen=True, slots=True)
class OnnxHeads:
    """Where the heads are in an ONNX graph (result of :func:`locate_onnx_heads`).

    Attributes:
        tensors: the heads as :func:`~movenet_studio.core.heads.locate_heads` found them;
            each :attr:`~movenet_studio.core.heads.TensorRef.index` indexes :attr:`values`
            and each shape is the logical NHWC shape ``[1, S, S, C]``.
        values: ONNX value names, by index.
        layouts: ``"NHWC"`` or ``"NCHW"`` per value: how the graph stores it.
    """

    tensors: HeadTensors
    values: tuple[str, ...]
    layouts: tuple[str, ...]

    def output_names(self) -> tuple[str, ...]:
        """The ONNX values to add as graph outputs (each head and sigmoid once, in refs order)."""
        names: list[str] = []
        for ref in self.tensors.refs():
            if self.values[ref.index] not in names:
                names.append(self.values[ref.index])
        return tuple(names)


def _static_shape(value_info) -> tuple[int, ...] | None:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    dims = []
    for d in tensor.shape.dim:
        if not d.HasField("dim_value"):
            return None
        dims.append(int(d.dim_value))
    return tuple(dims)


def _layout(shape: tuple[int, ...], rows: int, cols: int, channels: int) -> str | None:
    if len(shape) != 4 or shape[0] != 1:
        return None
    if shape[1:] == (rows, cols, channels):
        return NHWC
    if shape[1:] == (channels, rows, cols):
        return NCHW
    return None


def _logical(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    return shape if layout == NHWC else (shape[0], shape[2], shape[3], shape[1])


def locate_onnx_heads(model, input_size: tuple[int, int]) -> OnnxHeads | None:
    """Find MoveNet's four heads (and the graph's sigmoids of centre and heatmaps) in an ONNX graph.

    See the module docstring for the rules; the decision itself is
    :func:`~movenet_studio.core.heads.locate_heads`, the same as on TFLite.

    Args:
        model: an ``onnx.ModelProto`` (not modified).
        input_size: (height, width) of the model input in pixels (static).

    Returns:
        :class:`OnnxHeads`, or None when a head is missing or ambiguous, or the shapes
        cannot be inferred (e.g. a dynamic input): the model still runs, without heads.
    """
    from onnx import helper, shape_inference

    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:
        return None
    graph = inferred.graph
    infos = {vi.name: vi for vi in (*graph.value_info, *graph.output)}
    producer = {out: node for node in graph.node for out in node.output}
    h, w = int(input_size[0]), int(input_size[1])
    if h <= 0 or w <= 0 or h % HEAD_STRIDE or w % HEAD_STRIDE:
        return None
    rows, cols = h // HEAD_STRIDE, w // HEAD_STRIDE

    def root(name: str) -> str:
        """Follow layout-only ops back to the value that was computed."""
        seen = 0
        while name in producer and producer[name].op_type in _LAYOUT_OPS and producer[name].input and seen < 64:
            name, seen = producer[name].input[0], seen + 1
        return name

    values: list[str] = []
    layouts: list[str] = []
    details: list[dict] = []
    index: dict[str, int] = {}

    def add(name: str, shape: tuple[int, ...], layout: str) -> None:
        tensor = infos[name].type.tensor_type
        index[name] = len(values)
        details.append({"index": len(values), "name": name, "shape": np.array(_logical(shape, layout)),
                        "dtype": np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)), "quantization": (0.0, 0)})
        values.append(name)
        layouts.append(layout)

    for node in graph.node:  # topological order: a sigmoid's input is seen before it
        for out in node.output:
            if out not in infos or (shape := _static_shape(infos[out])) is None:
                continue
            if node.op_type == "QuantizeLinear":
                continue  # QDQ graphs: the integer copy of a tensor; its DequantizeLinear is read instead
            if node.op_type == "DequantizeLinear" and node.input:
                quantise = producer.get(node.input[0])
                source = quantise.input[0] if quantise is not None and quantise.op_type == "QuantizeLinear" else ""
                if source in index:  # the dequantised copy is what the graph computes on: read that one
                    i = index[source]
                    values[i] = out
                    details[i]["name"] = out
                    index[out] = i
                    continue
            if node.op_type == "Sigmoid":
                source = node.input[0] if node.input else ""
                if source in index:
                    add(out, shape, layouts[index[source]])
                continue
            head = head_scope(out)
            if head is None:
                continue
            layout = _layout(shape, rows, cols, HEAD_CHANNELS[head])
            if layout is None:
                continue
            if node.op_type in _LAYOUT_OPS:
                source = root(out)
                if source in index or (source in producer and producer[source].op_type == "Sigmoid"):
                    continue  # the same values as a tensor already listed, or post-sigmoid values
            add(out, shape, layout)
    ops = []
    for node in graph.node:
        if node.op_type == "Sigmoid" and node.input and node.input[0] in index and node.output[0] in index:
            ops.append({"op_name": "LOGISTIC", "inputs": [index[node.input[0]]], "outputs": [index[node.output[0]]]})
    tensors = locate_heads(details, (h, w), ops)
    if tensors is None:
        return None
    return OnnxHeads(tensors, tuple(values), tuple(layouts))


def add_head_outputs(model, names: tuple[str, ...]) -> bytes:
    """Serialise a copy of `model` whose graph also outputs the values `names`.

    Args:
        model: an ``onnx.ModelProto`` (not modified).
        names: value names inside the graph (e.g. :meth:`OnnxHeads.output_names`).

    Returns:
        The new model as bytes (for ``InferenceSession``); nothing is written to disk.
        Existing outputs keep their order; the new ones follow in the order of `names`.

    Raises:
        ValueError: a name has no inferable type.
    """
    import onnx
    from onnx import shape_inference

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    inferred = {vi.name: vi for vi in shape_inference.infer_shapes(model).graph.value_info}
    existing = {o.name for o in copy.graph.output}
    for name in names:
        if name in existing:
            continue
        if name not in inferred:
            raise ValueError(f"no type information for ONNX value {name!r}")
        copy.graph.output.append(inferred[name])
    return copy.SerializeToString()


class OnnxBackend:
    """Runs a MoveNet .onnx file with ONNX Runtime.

    Args:
        model: an ONNX MoveNet model (NHWC image input of uint8, int32 or float32).
        threads: ``intra_op_num_threads``.
        heads: also output the four prediction heads (see :meth:`heads`); the session then
            runs an in-memory copy of the model with the head tensors as extra outputs.
        provider: execution provider to use (``CUDAExecutionProvider`` or a short name such
            as ``cuda``, see :func:`normalize_provider`), or None for the first available of
            :data:`PREFERRED_PROVIDERS`. When it is not available, fails to start, or fails
            on the first run, the session runs on CPU and :attr:`note` explains why.

    Attributes:
        provider: the provider actually running the model.
        requested_provider: the provider that was asked for (or chosen automatically).
        note: a user-facing note when the asked-for provider was not used, else ``""``.
        device: e.g. ``CPUExecutionProvider, 2 threads``.

    Raises:
        BackendError: onnxruntime missing, or the model fails to load even on CPU.
    """

    name = "onnx"

    def __init__(self, model: ModelSpec, *, threads: int = 2, heads: bool = False, provider: str | None = None):
        self._ort = _ort()
        self.model = model
        self.threads = threads
        self.heads_enabled = heads
        self.note = ""
        self._onnx_heads: OnnxHeads | None = None
        self._head_outputs: tuple[str, ...] = ()
        self._head_arrays: dict[int, np.ndarray] | None = None
        self._heads_cache: Heads | None = None
        self._session = None
        available = available_providers()
        wanted = normalize_provider(provider) or next(p for p in PREFERRED_PROVIDERS if p in available or p == CPU)
        self.requested_provider = wanted
        if wanted not in available:
            self.note = f"{wanted} is not available in this onnxruntime build ({', '.join(available)}); running on CPU"
            wanted = CPU
        self._model_bytes = self._load_bytes()
        self._start_session(wanted)
        image = self._session.get_inputs()[0]
        if image.type not in _ORT_DTYPES:
            raise BackendError(f"{model.path.name}: unsupported input type {image.type}")
        self._input_name = image.name
        self._input_dtype = _ORT_DTYPES[image.type]
        outputs = self._session.get_outputs()
        self._output_names = [outputs[i].name for i in output_indices(model.io)]
        self._decoder = OutputDecoder(model.io, model.input_size)
        self._decoded: DecodedOutput | None = None
        self._verified = self.provider == CPU

    # -- session ------------------------------------------------------------------------

    def _load_bytes(self) -> bytes:
        """The model bytes the session runs (external data inlined from the model's own folder,
        see :mod:`.onnx_external`; with head outputs added when heads are on)."""
        data = model_bytes(self.model.path)
        if not self.heads_enabled or self._file_maps:
            return data
        try:
            import onnx

            proto = onnx.load_from_string(data)
            size = _static_input_size(proto) or self.model.input_size
            located = locate_onnx_heads(proto, size) if size[0] > 0 else None
            if located is None:
                return data  # not a graph with recognisable heads: run it without them
            patched = add_head_outputs(proto, located.output_names())
        except ImportError:
            return data  # the onnx package is needed to find heads; without it there are none
        except Exception:
            return data
        self._onnx_heads = located
        self._head_outputs = located.output_names()
        return patched

    def _start_session(self, wanted: str) -> None:
        """Create the session on `wanted` (then CPU); sets :attr:`provider`, :attr:`note`, :attr:`device`."""
        ort = self._ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        attempts = [[wanted, CPU], [CPU]] if wanted != CPU else [[CPU]]
        for providers in attempts:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._session = ort.InferenceSession(self._model_bytes, sess_options=options, providers=providers)
                break
            except Exception as exc:
                if providers == [CPU]:
                    raise BackendError(f"{self.model.path.name}: ONNX Runtime could not load it "
                                       f"({first_line(exc)})") from None
                self.note = f"{wanted} failed to start ({first_line(exc)}); running on CPU"
        self.provider = self._session.get_providers()[0]
        if wanted != CPU and self.provider != wanted and not self.note:
            self.note = f"{wanted} could not run this model; running on {self.provider}"
        self.device = f"{self.provider}, {self.threads} thread{'s' if self.threads > 1 else ''}"

    # -- running ------------------------------------------------------------------------

    def invoke(self, image: np.ndarray) -> np.ndarray:
        """See :meth:`~movenet_studio.core.backends.base.Backend.invoke`.

        A non-CPU provider that fails on its first run is replaced by CPU (with a
        :attr:`note`) and the run is repeated there.
        """
        io = self.model.io
        tensor = prepare_input(image, io.input if io is not None else None, self._input_dtype)
        names = [*self._output_names, *self._head_outputs]
        self._head_arrays = None
        self._heads_cache = None
        self._decoded = None
        try:
            outputs = self._session.run(names, {self._input_name: tensor})
        except Exception as exc:
            if self._verified or self._session is None:
                raise BackendError(f"ONNX Runtime run failed: {first_line(exc)}") from None
            failed = self.provider
            self._start_session(CPU)
            self.note = f"{failed} failed on the first run ({first_line(exc)}); running on CPU"
            try:
                outputs = self._session.run(names, {self._input_name: tensor})
            except Exception as exc2:
                raise BackendError(f"ONNX Runtime run failed: {first_line(exc2)}") from None
        self._verified = True
        count = len(self._output_names)
        if self._head_outputs:
            by_name = dict(zip(self._head_outputs, outputs[count:]))
            heads = self._onnx_heads
            self._head_arrays = {i: by_name[name] for i, name in enumerate(heads.values) if name in by_name}
        if io is None:
            return outputs[0].astype(np.float32, copy=False)
        self._decoded = self._decoder.decode([output_to_float(a, o) for a, o in zip(outputs[:count], io.outputs)])
        return self._decoded.raw

    # -- heads (same API as TFLiteBackend) ------------------------------------------------

    @property
    def _file_maps(self) -> bool:
        """The file outputs the maps itself (``heads`` / ``heatmaps`` kinds)."""
        return self.model.output_kind in ("heads", "heatmaps")

    @property
    def heads_available(self) -> bool:
        """True when heads are enabled and this graph has recognisable MoveNet heads."""
        if self._file_maps:
            return bool(self.heads_enabled and self._session is not None)
        return bool(self.heads_enabled and self._session is not None and self._onnx_heads is not None)

    @property
    def head_tensors(self) -> HeadTensors | None:
        """Where the heads are in this graph (indices into :attr:`OnnxHeads.values`, logical
        NHWC shapes); None when heads are off or not found."""
        return self._onnx_heads.tensors if self.heads_available and self._onnx_heads is not None else None

    @property
    def onnx_heads(self) -> OnnxHeads | None:
        """The located heads with their ONNX value names and layouts (None when unavailable)."""
        return self._onnx_heads if self.heads_available and not self._file_maps else None

    def heads(self) -> Heads | None:
        """The four heads of the last :meth:`invoke` (see :mod:`movenet_studio.core.heads`).

        Returns:
            :class:`~movenet_studio.core.heads.Heads` (float32 NHWC without the batch axis;
            probabilities for centre and heatmaps, cells for regression and offsets), or None
            when the backend was built with ``heads=False``, the graph has no recognisable
            heads, or nothing was invoked yet.

        Raises:
            BackendError: converting the tensors failed.
        """
        if self._file_maps:
            return self._decoded.heads if self._decoded is not None and self.heads_available else None
        if self._head_arrays is None or not self.heads_available:
            return None
        if self._heads_cache is None:
            layouts = self._onnx_heads.layouts
            arrays = self._head_arrays

            def get_tensor(i: int) -> np.ndarray:
                value = arrays[i]
                return np.transpose(value, (0, 2, 3, 1)) if layouts[i] == NCHW else value

            try:
                self._heads_cache = read_heads(get_tensor, self._onnx_heads.tensors)
            except Exception as exc:
                raise BackendError(f"reading the head tensors failed: {first_line(exc)}") from None
        return self._heads_cache

    def close(self) -> None:
        """Drop the session and the last outputs."""
        self._session = None
        self._head_arrays = None
        self._heads_cache = None


def _static_input_size(model) -> tuple[int, int] | None:
    """(height, width) of the first non-initializer NHWC graph input, when static."""
    initializers = {init.name for init in model.graph.initializer}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        shape = _static_shape(value)
        if shape and len(shape) == 4 and shape[3] == 3:
            return shape[1], shape[2]
        return None
    return None
