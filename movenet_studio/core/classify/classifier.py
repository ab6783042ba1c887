"""Pose classifiers in the format of Google's TFLite pose-classification tutorial.

The tutorial ("Human pose classification with MoveNet and TensorFlow Lite",
tensorflow.org/lite/tutorials/pose_classification) trains a small Keras model on MoveNet
keypoints and converts it to TFLite; Google's Android, iOS and Raspberry Pi samples run it
live. Its file format, which :class:`PoseClassifier` loads:

- one float32 input ``[1, 51]``: the 17 COCO keypoints in MoveNet order, each as
  ``(x, y, score)`` with x and y in frame pixels (origin top-left). The model contains its
  own normalisation (hip-centred, divided by the pose size), so no scaling happens here;
- one float32 output ``[1, C]``: class probabilities (a softmax);
- a labels file, one class name per line in output-index order (the tutorial's
  ``pose_labels.txt``).

The coordinate-order trap: the tutorial's notebook writes rows of ``(x, y, score)``, while
Google's Android ``PoseClassifier.kt`` and Raspberry Pi ``classifier.py`` feed
``(y, x, score)`` (tensorflow/tensorflow#59807, #59470). A model trained one way and fed the
other way gives confident nonsense. :data:`COORDINATE_ORDERS` names both conventions
(``xy`` = the tutorial's, ``yx`` = the mobile samples'); :func:`classifier_input` builds
either row.

A classifier file that is not bundled is untrusted: :func:`load_classifier` first loads and
runs it once in a child process (:func:`~movenet_studio.core.sandbox.probe_file` with the classifier flag), so a
malformed file cannot crash the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError, StudioError
from ..decoding.keypoints import NUM_KEYPOINTS
from ..runtimes import litert, ort
from ..sandbox import check_onnx, probe_file
from ..text import first_line

#: Keypoint row layouts: ``xy`` = (x, y, score) as the tutorial trains; ``yx`` = (y, x, score)
#: as Google's Android and Raspberry Pi samples feed it.
COORDINATE_ORDERS: tuple[str, ...] = ("xy", "yx")
#: Human-readable description of each order (window, help texts).
ORDER_DESCRIPTIONS = {"xy": "(x, y, score): the tutorial's training rows",
                      "yx": "(y, x, score): Google's Android / Raspberry Pi samples"}
#: Values per keypoint in a classifier input row.
VALUES_PER_KEYPOINT = 3
#: Length of a classifier input row: 17 keypoints x (x, y, score).
INPUT_LENGTH = NUM_KEYPOINTS * VALUES_PER_KEYPOINT
#: Model file extensions a classifier may have.
CLASSIFIER_EXTENSIONS = (".tflite", ".onnx")
#: Most classes a labels file may list (a guard against reading a wrong, huge file as labels).
MAX_LABELS = 1000
#: Labels files larger than this (bytes) are refused.
MAX_LABELS_BYTES = 1 << 20
#: An output whose values are all in [0, 1] and sum to 1 within this is taken as probabilities
#: already; anything else is treated as logits and passed through a softmax.
PROBABILITY_TOLERANCE = 1e-3


class ClassifierError(StudioError):
    """A classifier or labels file is missing, unreadable, has the wrong signature, or does not
    fit the pose model (e.g. 13 keypoints). The message is one line for the user."""


@dataclass(frozen=True, slots=True)
class ClassifierSignature:
    """What a classifier file declares.

    Attributes:
        input_shape: shape of the single input (a dynamic batch reads as -1).
        input_dtype: its numpy dtype name (``float32`` expected).
        output_shape: shape of the single output (``[1, C]`` expected).
        output_dtype: its numpy dtype name (``float32`` expected).
        inputs, outputs: how many inputs and outputs the graph has.
    """

    input_shape: tuple[int, ...]
    input_dtype: str
    output_shape: tuple[int, ...]
    output_dtype: str
    inputs: int = 1
    outputs: int = 1

    @property
    def classes(self) -> int:
        """Number of classes (the output's last dimension)."""
        return int(self.output_shape[-1]) if self.output_shape else 0

    def problem(self) -> str | None:
        """Why this is not a tutorial-format pose classifier, or None when it is."""
        expected = f"one float32 input [1, {INPUT_LENGTH}] = {NUM_KEYPOINTS} keypoints x (x, y, score)"
        if self.inputs != 1:
            return f"{self.inputs} inputs; expected {expected}"
        batch_ok = len(self.input_shape) == 2 and self.input_shape[0] in (1, -1)
        if not batch_ok or self.input_shape[1] != INPUT_LENGTH or self.input_dtype != "float32":
            return f"input {self.input_dtype} {_shape_text(self.input_shape)}; expected {expected}"
        if self.outputs != 1:
            return f"{self.outputs} outputs; expected one float32 output [1, classes]"
        if len(self.output_shape) != 2 or self.output_shape[0] not in (1, -1) or self.classes < 2 \
                or self.output_dtype != "float32":
            return (f"output {self.output_dtype} {_shape_text(self.output_shape)}; "
                    "expected one float32 output [1, classes] with at least 2 classes")
        return None


def _shape_text(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join("?" if d < 0 else str(d) for d in shape) + "]"


def read_labels(path: Path) -> tuple[str, ...]:
    """Class names from a labels file: one per line, in output-index order.

    Surrounding whitespace is stripped and trailing empty lines are ignored (the tutorial's
    ``pose_labels.txt`` has no trailing newline; most editors add one).

    Raises:
        ClassifierError: missing, unreadable or not a regular file (a FIFO or device is never
            opened: :mod:`.files`), over :data:`MAX_LABELS_BYTES`, not UTF-8 text, no labels,
            an empty line between labels, a repeated label, or more than :data:`MAX_LABELS`.
    """
    from ..files import PathCheckError, read_input_bytes

    path = Path(path)
    try:
        text = read_input_bytes(path, MAX_LABELS_BYTES, "labels file").decode("utf-8-sig")
    except PathCheckError as exc:
        raise ClassifierError(str(exc)) from None
    except UnicodeDecodeError:
        raise ClassifierError(f"{path.name}: not a text labels file (not UTF-8)") from None
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ClassifierError(f"{path.name}: no labels (expected one class name per line)")
    if "" in lines:
        raise ClassifierError(f"{path.name}: empty line {lines.index('') + 1} between labels")
    if len(lines) > MAX_LABELS:
        raise ClassifierError(f"{path.name}: {len(lines)} lines; not a labels file (at most {MAX_LABELS} classes)")
    repeated = sorted({label for label in lines if lines.count(label) > 1})
    if repeated:
        raise ClassifierError(f"{path.name}: label {repeated[0]!r} appears more than once")
    return tuple(lines)


def classifier_input(keypoints: np.ndarray, order: str = "xy") -> np.ndarray:
    """The classifier's input row for one pose.

    Args:
        keypoints: [17, 3] (x, y, score) in frame pixels (a :class:`~.keypoints.Pose`'s
            ``keypoints``), any real dtype.
        order: ``xy`` -> rows of (x, y, score) (the tutorial); ``yx`` -> (y, x, score)
            (Google's mobile samples).

    Returns:
        float32 [1, 51].

    Raises:
        ClassifierError: not 17 keypoints (a 13-keypoint model cannot feed a 17-keypoint
            classifier).
        ValueError: an unknown `order`.
    """
    if order not in COORDINATE_ORDERS:
        raise ValueError(f"unknown coordinate order {order!r}; use {' or '.join(COORDINATE_ORDERS)}")
    kp = np.asarray(keypoints, dtype=np.float32)
    if kp.ndim != 2 or kp.shape[1] != VALUES_PER_KEYPOINT or kp.shape[0] != NUM_KEYPOINTS:
        count = kp.shape[0] if kp.ndim == 2 else kp.size // VALUES_PER_KEYPOINT
        raise ClassifierError(keypoint_count_problem(count))
    rows = kp[:, [1, 0, 2]] if order == "yx" else kp
    return np.ascontiguousarray(rows.reshape(1, INPUT_LENGTH))


def keypoint_count_problem(count: int) -> str:
    """The one-line message for a pose model whose poses have `count` keypoints, not 17."""
    return (f"the pose model gives {count} keypoints; a pose classifier needs MoveNet's {NUM_KEYPOINTS} "
            "COCO keypoints (x, y, score each), so it cannot classify this model's poses")


def to_probabilities(output: np.ndarray) -> np.ndarray:
    """Class probabilities from a classifier's raw output.

    An output that already is a distribution (all values in [0, 1], summing to 1 within
    :data:`PROBABILITY_TOLERANCE`: the tutorial's softmax layer) is only renormalised so it
    sums to 1 exactly in float64 terms; any other output is taken as logits and passed
    through a numerically stable softmax.

    Args:
        output: [C] or [1, C] float.

    Returns:
        float32 [C], non-negative, summing to 1 (NaN when the output was not finite).
    """
    values = np.asarray(output, dtype=np.float64).reshape(-1)
    if not np.isfinite(values).all():
        return np.full(values.shape, np.nan, dtype=np.float32)
    total = values.sum()
    if values.min() >= 0.0 and values.max() <= 1.0 and abs(total - 1.0) <= PROBABILITY_TOLERANCE:
        return (values / total).astype(np.float32)
    shifted = np.exp(values - values.max())
    return (shifted / shifted.sum()).astype(np.float32)


class _TFLiteRunner:
    def __init__(self, path: Path, threads: int):
        self._interpreter = litert.create_interpreter(path, threads=threads)
        inputs, outputs = self._interpreter.get_input_details(), self._interpreter.get_output_details()
        first_in, first_out = (inputs or [{}])[0], (outputs or [{}])[0]
        self.signature = ClassifierSignature(
            _tflite_shape(first_in), np.dtype(first_in.get("dtype", np.uint8)).name,
            _tflite_shape(first_out), np.dtype(first_out.get("dtype", np.uint8)).name, len(inputs), len(outputs))
        if self.signature.problem() is None:
            self._input, self._output = first_in["index"], first_out["index"]
            self._interpreter.allocate_tensors()

    def run(self, row: np.ndarray) -> np.ndarray:
        self._interpreter.set_tensor(self._input, row)
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output))


def _tflite_shape(detail: dict) -> tuple[int, ...]:
    shape = detail.get("shape_signature")
    if shape is None or not len(shape):
        shape = detail.get("shape", ())
    return tuple(int(d) for d in shape)


class _OnnxRunner:
    def __init__(self, path: Path, threads: int):
        self._session = ort.create_session(str(path), ort.session_options(threads), [ort.CPU])
        inputs, outputs = self._session.get_inputs(), self._session.get_outputs()
        self.signature = ClassifierSignature(
            _onnx_shape(inputs[0]) if inputs else (), _onnx_dtype(inputs[0]) if inputs else "none",
            _onnx_shape(outputs[0]) if outputs else (), _onnx_dtype(outputs[0]) if outputs else "none",
            len(inputs), len(outputs))
        self._input = inputs[0].name if inputs else ""
        self._output = outputs[0].name if outputs else ""

    def run(self, row: np.ndarray) -> np.ndarray:
        return np.asarray(self._session.run([self._output], {self._input: row})[0])


def _onnx_shape(value) -> tuple[int, ...]:
    return tuple(int(d) if isinstance(d, int) and d >= 0 else -1 for d in (value.shape or ()))


def _onnx_dtype(value) -> str:
    return ort.DTYPE_NAMES.get(value.type, value.type)


class PoseClassifier:
    """A pose classifier (tutorial format) loaded in this process.

    Use :func:`load_classifier` for files from users (it probes them in a child process first).

    Args:
        path: ``.tflite`` (run with LiteRT) or ``.onnx`` (ONNX Runtime, CPU) file.
        labels: class names in output-index order (see :func:`read_labels`); None names the
            classes by index (``0``, ``1``, ...).
        threads: CPU threads for the runtime (the model is tiny: 1 is plenty).

    Attributes:
        path, labels, signature: the file, its class names and its declared signature.
        format: ``tflite`` or ``onnx``.

    Raises:
        ClassifierError: an unsupported extension, a file the runtime cannot load, a signature
            other than one float32 input [1, 51] and one float32 output [1, C] (one line
            naming what the file has), or a labels count different from C.
    """

    def __init__(self, path: Path, labels: tuple[str, ...] | list[str] | None = None, *, threads: int = 1):
        self.path = Path(path)
        name = self.path.name
        suffix = self.path.suffix.lower()
        if suffix not in CLASSIFIER_EXTENSIONS:
            raise ClassifierError(f"{name}: not a classifier file (expected .tflite or .onnx)")
        check_classifier_file(self.path)
        self.format = suffix[1:]
        try:
            self._runner = (_TFLiteRunner if self.format == "tflite" else _OnnxRunner)(self.path, max(1, int(threads)))
        except StudioError as exc:
            raise ClassifierError(f"{name}: {exc}") from None
        except Exception as exc:
            raise ClassifierError(f"{name}: not a usable pose classifier ({first_line(exc)[:200]})") from None
        self.signature = self._runner.signature
        problem = self.signature.problem()
        if problem:
            raise ClassifierError(f"{name}: not a pose classifier: {problem}")
        self.labels = tuple(labels) if labels is not None else tuple(str(i) for i in range(self.signature.classes))
        if len(self.labels) != self.signature.classes:
            raise ClassifierError(f"{name} has {self.signature.classes} classes but the labels file lists "
                                  f"{len(self.labels)} ({', '.join(self.labels[:5])}"
                                  f"{', ...' if len(self.labels) > 5 else ''})")

    def probabilities(self, keypoints: np.ndarray, order: str = "xy") -> np.ndarray:
        """Class probabilities of one pose.

        Args:
            keypoints: [17, 3] (x, y, score) in frame pixels.
            order: ``xy`` or ``yx`` (see :data:`COORDINATE_ORDERS`).

        Returns:
            float32 [C] in label order, summing to 1 (:func:`to_probabilities`).

        Raises:
            ClassifierError: not 17 keypoints, or the runtime failed.
            ValueError: an unknown `order`.
        """
        row = classifier_input(keypoints, order)
        try:
            output = self._runner.run(row)
        except Exception as exc:
            raise ClassifierError(f"{self.path.name}: classifier run failed ({first_line(exc)[:200]})") from None
        return to_probabilities(output)

    def describe(self) -> str:
        """One line: file, format and classes, e.g. ``squat_classifier.tflite (tflite): squat, standing``."""
        return f"{self.path.name} ({self.format}): {', '.join(self.labels)}"


def check_classifier_file(path: Path) -> None:
    """Refuse a missing classifier file, or one that is not a regular file (never opened).

    Raises:
        ClassifierError: with the reason (:func:`~.files.check_input_file`).
    """
    from ..files import PathCheckError, check_input_file

    try:
        check_input_file(path, "classifier file")
    except PathCheckError as exc:
        raise ClassifierError(str(exc)) from None


def load_classifier(path: Path, labels_path: Path, *, probe: bool = True, threads: int = 1) -> PoseClassifier:
    """Read a labels file and load a classifier, probing the classifier in a child process first.

    Args:
        path: the classifier file (``.tflite`` / ``.onnx``).
        labels_path: its labels file (:func:`read_labels`).
        probe: load and run the file once in a child process first (:func:`probe_classifier`),
            so a file that crashes the runtime cannot take this process with it.
        threads: CPU threads for the runtime.

    Raises:
        ClassifierError: see :func:`read_labels`, :func:`probe_classifier` and :class:`PoseClassifier`.
    """
    path = Path(path)
    labels = read_labels(Path(labels_path))
    if path.suffix.lower() not in CLASSIFIER_EXTENSIONS:
        raise ClassifierError(f"{path.name}: not a classifier file (expected .tflite or .onnx)")
    check_classifier_file(path)
    if probe:
        probe_classifier(path)
    return PoseClassifier(path, labels, threads=threads)


#: A person standing upright, (x, y, score) in pixels of a 200 x 300 frame: what the child
#: process runs a classifier on (a blank pose has size 0, and the tutorial's normalisation
#: divides by it).
PROBE_POSE = np.array([
    [100, 40, 1], [95, 35, 1], [105, 35, 1], [90, 38, 1], [110, 38, 1], [80, 70, 1], [120, 70, 1],
    [75, 110, 1], [125, 110, 1], [72, 145, 1], [128, 145, 1], [88, 150, 1], [112, 150, 1],
    [88, 210, 1], [112, 210, 1], [88, 270, 1], [112, 270, 1]], dtype=np.float32)

#: Command-line flag of the child process that checks a classifier file (see :mod:`~movenet_studio.core.sandbox`).
CLASSIFIER_PROBE_FLAG = "--probe-classifier"


def probe_classifier(path: Path, timeout_s: float | None = None) -> dict:
    """Load and run classifier `path` once (zeros in, finite probabilities out) in a child process.

    Returns:
        The child's report ``{"ok": True, "classes": C, "input": [...], "output": [...]}``.

    Raises:
        ClassifierError: the child's reason (wrong signature, runtime error), the signal that
            killed it, or the timeout.
    """
    try:
        return probe_file(Path(path), timeout_s, flag=CLASSIFIER_PROBE_FLAG, what="pose classifier")
    except ModelError as exc:
        raise ClassifierError(str(exc)) from None


def check_classifier_child(file: Path) -> dict:
    """Child side of :func:`probe_classifier`: load `file`, run it on a blank pose, check the output.

    Returns:
        The report for :func:`~movenet_studio.core.sandbox.run_check` to print.

    Raises:
        ClassifierError: anything wrong (the message becomes the parent's error).
    """
    if file.suffix.lower() == ".onnx":
        check_onnx(file)
    classifier = PoseClassifier(file)
    probabilities = classifier.probabilities(PROBE_POSE)
    if not np.isfinite(probabilities).all():
        raise ClassifierError(f"{file.name}: not a usable pose classifier (non-finite output on a standing pose)")
    signature = classifier.signature
    return {"ok": True, "classes": signature.classes, "input": list(signature.input_shape),
            "output": list(signature.output_shape)}
