"""TFLite backend: ai-edge-litert (LiteRT, preferred) or tflite-runtime (fallback)."""

from __future__ import annotations

import numpy as np

from ..errors import BackendError
from ..decoding.heads import Heads, HeadTensors, locate_heads, read_heads
from ..models.catalog import ModelSpec
from ..text import first_line
from .base import SignatureFromFile
from ..models.model_io import output_indices
from ..runtimes import litert
from ..runtimes.tensors import output_to_float, prepare_input


class TFLiteBackend(SignatureFromFile):
    """Runs a MoveNet .tflite file on the CPU (XNNPACK delegate, `threads` threads).

    With ``heads=True`` the interpreter is built with ``experimental_preserve_all_tensors``
    so the head tensors can be read after each invoke (:meth:`heads`); without it no tensor
    is preserved and nothing beyond the output is read per invoke. The heads are located
    once per input size (:func:`~movenet_studio.core.decoding.heads.locate_heads`, with the op list
    so the graph's own sigmoid outputs are used) and read lazily, only when asked for.
    Files whose outputs *are* maps (``heads`` / ``heatmaps`` kinds, see
    :mod:`~movenet_studio.core.models.model_io`) have them decoded from the outputs by the
    pipeline's decoder instead (:meth:`heads` is None for them).

    The input is quantised and laid out as the file declares and the outputs dequantised
    (:mod:`~movenet_studio.core.runtimes.tensors`); :meth:`invoke` returns them in the
    file's output order, undecoded (:mod:`~movenet_studio.core.decoding.output_decode` decodes).

    Implements the whole :class:`~.base.Backend` protocol; TFLite has no execution
    providers (:attr:`provider` is None) and runs as asked (:attr:`note` is ``""``).

    Raises:
        BackendError: the runtime is missing or the file fails to load.
    """

    name = "tflite"
    provider: str | None = None
    note = ""

    def __init__(self, model: ModelSpec, *, threads: int = 2, heads: bool = False, provider: str | None = None):
        self.model = model
        self.threads = threads
        self.heads_enabled = heads
        try:
            self._interpreter = litert.create_interpreter(model.path, threads=threads, preserve_all_tensors=heads)
            self._input = self._interpreter.get_input_details()[0]
            details = self._interpreter.get_output_details()
            self._outputs = [details[i] for i in output_indices(model.io)]
            self._interpreter.allocate_tensors()
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(f"{model.path.name}: TFLite could not load it ({first_line(exc)})") from None
        self._input_dtype = np.dtype(self._input["dtype"])
        shape = self._input["shape"]
        self._input_hw = (int(shape[1]), int(shape[2]))  # kept by resize_input; read on every invoke
        self._head_tensors: HeadTensors | None = None
        self._heads_located_for: tuple[int, int] | None = None
        self._heads_cache: Heads | None = None
        self._invoked = False
        self.device = f"CPU (XNNPACK), {threads} thread{'s' if threads > 1 else ''}"

    @property
    def runtime_version(self) -> str:
        """See :attr:`~.base.Backend.runtime_version` (e.g. ``ai-edge-litert 2.0.2``)."""
        return litert.version()

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the allocated input tensor."""
        return self._input_hw

    def resize_input(self, height: int, width: int) -> None:
        """Resize a dynamic input (official MultiPose files) to [1, height, width, 3]."""
        self._interpreter.resize_tensor_input(self._input["index"], [1, height, width, 3], strict=False)
        self._interpreter.allocate_tensors()
        self._input_hw = (int(height), int(width))
        self._invoked = False
        self._heads_cache = None

    def invoke(self, image: np.ndarray) -> tuple[np.ndarray, ...]:
        """See :meth:`Backend.invoke`."""
        if image.shape[:2] != self.input_size:
            self.resize_input(*image.shape[:2])
        io = self.model.io
        tensor = prepare_input(image, io.input if io is not None else None, self._input_dtype)
        try:
            if self.heads_enabled:  # the previous heads are gone from here on
                self._invoked = False
                self._heads_cache = None
            self._interpreter.set_tensor(self._input["index"], tensor)
            self._interpreter.invoke()
            self._invoked = self.heads_enabled
            arrays = [self._interpreter.get_tensor(d["index"]) for d in self._outputs]
        except Exception as exc:
            raise BackendError(f"TFLite invoke failed: {first_line(exc)}") from None
        if io is None:
            return (arrays[0].astype(np.float32, copy=False),)
        return tuple(output_to_float(a, o) for a, o in zip(arrays, io.outputs))

    def _locate(self) -> HeadTensors | None:
        size = self.input_size
        if self._heads_located_for != size:
            try:
                ops = self._interpreter._get_ops_details()  # private but long-stable; optional
            except Exception:
                ops = None
            self._head_tensors = locate_heads(self._interpreter.get_tensor_details(), size, ops)
            self._heads_located_for = size
        return self._head_tensors

    @property
    def _file_maps(self) -> bool:
        """The file outputs the maps itself (``heads`` / ``heatmaps`` kinds)."""
        return self.model.output_kind in ("heads", "heatmaps")

    @property
    def heads_available(self) -> bool:
        """True when heads are enabled and this graph has recognisable MoveNet heads (or the
        file outputs its maps itself, for the decoder to read)."""
        if self._file_maps:
            return bool(self.heads_enabled and self._interpreter is not None)
        return bool(self.heads_enabled and self._interpreter is not None and self._locate() is not None)

    def heads(self) -> Heads | None:
        """The four heads of the last :meth:`invoke` (see :mod:`movenet_studio.core.decoding.heads`).

        Returns:
            :class:`~movenet_studio.core.decoding.heads.Heads` (float32, probabilities for centre and
            heatmaps, cells for regression and offsets), or None when the backend was built
            with ``heads=False``, the graph has no recognisable heads, the file outputs its
            maps itself (the decoder reads them from :meth:`invoke`'s outputs), or nothing
            was invoked yet at the current input size.

        Raises:
            BackendError: reading the tensors failed.
        """
        if not self._invoked or not self.heads_available or self._file_maps:
            return None
        if self._heads_cache is None:
            try:
                self._heads_cache = read_heads(self._interpreter.get_tensor, self._head_tensors)
            except Exception as exc:
                raise BackendError(f"reading the head tensors failed: {first_line(exc)}") from None
        return self._heads_cache

    @property
    def head_tensors(self) -> HeadTensors | None:
        """Where the heads are in this graph (None when heads are off or not found, or the
        file outputs its maps itself)."""
        if self._file_maps:
            return None
        return self._locate() if self.heads_enabled and self._interpreter is not None else None

    @property
    def interpreter(self):
        """The underlying Interpreter (for head-tensor access)."""
        return self._interpreter

    def close(self) -> None:
        """Drop the interpreter."""
        self._interpreter = None
