"""Model information panel: what runs, read from :class:`~.engine.ModelInfo`.

Shows the model file and its size, the input (dtype, layout, quantisation or expected float
range) and outputs (role, layout, logits or probabilities, dequantisation) the file declares,
its output kind, keypoint set, op counts and custom ops, the weight precision, the runtime (name and version) and the device / execution provider actually
used, with the backend's note when it did not run as asked (an ONNX provider that fell back
to CPU). In compare mode a second column shows configuration B.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.errors import ModelError
from ...core.models.model_io import inspect_signature
from ..engine import ModelInfo

#: Row keys and labels, in display order.
ROWS: tuple[tuple[str, str], ...] = (
    ("model", "Model"), ("file", "File"), ("size", "Size"), ("input", "Input"), ("output", "Output"),
    ("kind", "Kind"), ("keypoints", "Keypoints"), ("ops", "Ops"), ("precision", "Precision"), ("runtime", "Runtime"), ("device", "Device"), ("threads", "Threads"),
    ("options", "Pipeline"), ("load", "Loaded in"), ("note", "Note"),
)


def format_size(size: int | None) -> str:
    """Bytes as ``2.9 MB`` / ``812 kB`` / ``120 B``; ``–`` when unknown."""
    if size is None:
        return "–"
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    if size >= 1000:
        return f"{size / 1000:.0f} kB"
    return f"{size} B"


def model_fields(info: ModelInfo) -> dict[str, str]:
    """The panel's rows for one model (plain text, keys of :data:`ROWS`)."""
    spec, config, signature = info.spec, info.config, info.signature
    if signature is not None:
        inputs = ", ".join(f"{t.name} {t}" for t in signature.inputs)
        outputs = ", ".join(f"{t.name} {t}" for t in signature.outputs)
        precision = signature.precision
    else:
        size = "dynamic" if spec.input_size[0] < 0 else "{}×{}".format(*spec.input_size)
        inputs, outputs, precision = f"{spec.input_dtype} {size}", "–", spec.precision
    io = spec.io
    if io is None and signature is not None:
        try:
            io = inspect_signature(signature, spec.path.name)
        except ModelError:
            io = None
    kind = keypoint_set = ops = "–"
    if io is not None:
        inputs = f"{io.input.name} {io.input.describe()}"
        kind = io.kind + (f" {io.map_layout}" if io.map_layout else "") + ": " + "; ".join(
            o.describe() for o in io.outputs)
        keypoint_set = f"{io.keypoint_set.label} ({io.num_keypoints})"
        ops = (f"{sum(c for _, c in io.signature.op_counts)} ops in {len(io.signature.op_counts)} types; custom: "
               + (", ".join(f"{n} ×{c}" for n, c in io.signature.custom_ops) or "none"))
    options = ([f"tracker {config.tracker}", f"min pose score {config.min_pose_score:.2f}"] if spec.is_multipose
               else [f"crop {'on' if config.crop else 'off'}", f"smoothing {'on' if config.smoothing else 'off'}"])
    if config.heads:
        options.append("heads" if info.heads_available else "heads (not found)")
    device = info.device or config.backend
    if info.provider and info.provider not in device:
        device = f"{device} ({info.provider})"
    return {
        # Zero-width spaces after "_" let long file names wrap in the narrow dock.
        "model": spec.label, "file": spec.path.name.replace("_", "_\u200b"), "size": format_size(info.file_size),
        "input": inputs, "output": outputs, "kind": kind, "keypoints": keypoint_set, "ops": ops,
        "precision": precision,
        "runtime": info.runtime_version or config.backend, "device": device, "threads": str(config.threads),
        "options": ", ".join(options), "load": f"{info.load_ms:.0f} ms", "note": info.note,
    }


class ModelInfoPanel(QWidget):
    """The model-information grid (a dock's content). Feed it with :meth:`show_model`
    (connected to :attr:`Engine.model_changed`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self.grid.setHorizontalSpacing(10)
        self.header_a = QLabel("<b>A</b>")
        self.header_b = QLabel("<b>B</b>")
        self.grid.addWidget(self.header_a, 0, 1)
        self.grid.addWidget(self.header_b, 0, 2)
        self.names: dict[str, QLabel] = {}
        self.values: dict[str, tuple[QLabel, QLabel]] = {}
        for row, (key, title) in enumerate(ROWS, start=1):
            name = QLabel(title)
            name.setStyleSheet("color: gray;")
            name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            pair = []
            for col in (1, 2):
                value = QLabel("–")
                value.setTextFormat(Qt.TextFormat.PlainText)
                value.setWordWrap(True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                if key == "note":
                    value.setStyleSheet("color: #ffb74d;")
                self.grid.addWidget(value, row, col)
                pair.append(value)
            self.grid.addWidget(name, row, 0)
            self.names[key] = name
            self.values[key] = (pair[0], pair[1])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self.grid)
        layout.addStretch(1)
        self._info: ModelInfo | None = None
        self._set_compare(False)
        self._set_row_visible("note", False)

    @property
    def info(self) -> ModelInfo | None:
        """The model shown, or None."""
        return self._info

    def text(self, key: str, side: str = "a") -> str:
        """The text of row `key` (:data:`ROWS`) for side ``a`` or ``b`` (tests and tools)."""
        return self.values[key][0 if side == "a" else 1].text()

    def _set_compare(self, on: bool) -> None:
        self.header_a.setVisible(on)
        self.header_b.setVisible(on)
        self.grid.setColumnStretch(2, 1 if on else 0)  # A alone takes the dock's whole width
        for key, (_, value_b) in self.values.items():
            value_b.setVisible(on and self.values[key][0].isVisibleTo(self))

    def _set_row_visible(self, key: str, visible: bool) -> None:
        self.names[key].setVisible(visible)
        a, b = self.values[key]
        a.setVisible(visible)
        b.setVisible(visible and self.header_b.isVisibleTo(self))

    @Slot(object)
    def show_model(self, info: ModelInfo) -> None:
        """Show `info` (and, in compare mode, ``info.compare`` in the B column)."""
        self._info = info
        fields_a = model_fields(info)
        fields_b = model_fields(info.compare) if info.compare is not None else {}
        for key, (value_a, value_b) in self.values.items():
            text_a, text_b = fields_a[key], fields_b.get(key, "")
            if key == "note":
                text_a, text_b = (f"⚠ {t}" if t else "" for t in (text_a, text_b))
            value_a.setText(text_a)
            value_b.setText(text_b)
            value_a.setToolTip(fields_a[key] if key in ("file", "input", "output") else "")
        self.values["file"][0].setToolTip(str(info.spec.path))
        if info.compare is not None:
            self.values["file"][1].setToolTip(str(info.compare.spec.path))
        self._set_compare(info.compare is not None)
        self._set_row_visible("note", bool(fields_a["note"] or fields_b.get("note")))
