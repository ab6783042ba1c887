"""ONNX Runtime backend: CPU always, accelerated execution providers when installed.

Heads: found by :mod:`.onnx_heads` and fetched as extra graph outputs with every run (see there).
"""

from __future__ import annotations

import numpy as np

from ..errors import BackendError
from ..decoding.heads import Heads, HeadTensors, read_heads
from ..models.catalog import ModelSpec
from ..text import first_line
from .base import SignatureFromFile
from .onnx_external import model_bytes
from .onnx_heads import NCHW, OnnxHeads, add_head_outputs, locate_onnx_heads, static_input_size
from ..models.model_io import output_indices
from ..runtimes import ort
from ..runtimes.ort import CPU, INPUT_DTYPES, PREFERRED_PROVIDERS, available_providers, normalize_provider
from ..runtimes.tensors import output_to_float, prepare_input

class OnnxBackend(SignatureFromFile):
    """Runs a MoveNet .onnx file with ONNX Runtime.

    Args:
        model: an ONNX MoveNet model (NHWC image input of uint8, int32 or float32).
        threads: ``intra_op_num_threads``.
        heads: also output the four prediction heads (see :meth:`heads`); the session then
            runs an in-memory copy of the model with the head tensors as extra outputs.
        provider: execution provider to use (``CUDAExecutionProvider`` or a short name such
            as ``cuda``, see :func:`~movenet_studio.core.runtimes.ort.normalize_provider`),
            or None for the first available of :data:`~movenet_studio.core.runtimes.ort.PREFERRED_PROVIDERS`.
            When it is not available, fails to start, or fails on the first run, the session
            runs on CPU and :attr:`note` explains why.

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
        if image.type not in INPUT_DTYPES:
            raise BackendError(f"{model.path.name}: unsupported input type {image.type}")
        self._input_name = image.name
        self._input_dtype = INPUT_DTYPES[image.type]
        outputs = self._session.get_outputs()
        self._output_names = [outputs[i].name for i in output_indices(model.io)]
        self._verified = self.provider == CPU

    @property
    def runtime_version(self) -> str:
        """See :attr:`~.base.Backend.runtime_version` (e.g. ``onnxruntime 1.22.0``)."""
        return ort.version()

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
            size = static_input_size(proto) or self.model.input_size
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
        options = ort.session_options(self.threads)
        attempts = [[wanted, CPU], [CPU]] if wanted != CPU else [[CPU]]
        for providers in attempts:
            try:
                self._session = ort.create_session(self._model_bytes, options, providers)
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

    def invoke(self, image: np.ndarray) -> tuple[np.ndarray, ...]:
        """See :meth:`~movenet_studio.core.backends.base.Backend.invoke`.

        A non-CPU provider that fails on its first run is replaced by CPU (with a
        :attr:`note`) and the run is repeated there.
        """
        io = self.model.io
        tensor = prepare_input(image, io.input if io is not None else None, self._input_dtype)
        names = [*self._output_names, *self._head_outputs]
        self._head_arrays = None
        self._heads_cache = None
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
            return (outputs[0].astype(np.float32, copy=False),)
        return tuple(output_to_float(a, o) for a, o in zip(outputs[:count], io.outputs))

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
        """The four heads of the last :meth:`invoke` (see :mod:`movenet_studio.core.decoding.heads`).

        Returns:
            :class:`~movenet_studio.core.decoding.heads.Heads` (float32 NHWC without the batch axis;
            probabilities for centre and heatmaps, cells for regression and offsets), or None
            when the backend was built with ``heads=False``, the graph has no recognisable
            heads, the file outputs its maps itself (the decoder reads them from
            :meth:`invoke`'s outputs), or nothing was invoked yet.

        Raises:
            BackendError: converting the tensors failed.
        """
        if self._file_maps or self._head_arrays is None or not self.heads_available:
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
